"""Signed-in probes and the run's own traffic, against the sandbox:

* a deployment whose only POST route is both rate-limited and validated is green when healthy and
  still caught on each fault of either guard, serially, and on each kind of fault across two xdist
  workers;
* an anonymous probe of a sign-in-first route is inconclusive and says what to fix;
* the token client signs in, refreshes, and the sandbox honours GoTrue's single-use refresh tokens;
* no token, refresh token or password reaches output, results or kept artifacts.
"""

from __future__ import annotations

import httpx
import pytest
from suite_runner import ROOT, artifacts_holding, run_suite

from monitor.checks.catalogue import catalogue
from monitor.probe import Exchange, NetworkSettings, Probe, trust_context
from monitor.probe.session import SupabasePasswordGrant
from monitor.profile import load_profile
from slurpy_sandbox import STATE_ENV
from slurpy_sandbox.faults import FAULTS, TRUSTS_HEADER

GUARD_TESTS = ("tests/security/test_rate_limits.py", "tests/security/test_validation.py")
SHIPPED = (ROOT / "targets" / "sandbox.toml").read_text()
RULES_START, RULES_END = SHIPPED.index("# Rate-limit probes spend"), SHIPPED.index("[services.frontend]")

ONLY_ROUTE = {
    # A sign-in-first route, probed as the monitor account: the budget is the account's.
    "signed-in": (
        "frontend",
        "/api/journal",
        """
[[rate_limits]]
service = "frontend"
path = "/api/journal"
auth = true
limit = 20
window_s = 60
json_body = {}

[[validation]]
service = "frontend"
path = "/api/journal"
auth = true
valid_body = { title = "synthetic", content = "validation probe" }
pad_field = "content"
wrong_types = { title = 7, content = ["x"] }
""",
    ),
}


def profile_dir(tmp_path, rules: str):
    targets = tmp_path / "targets"
    targets.mkdir()
    (targets / "sandbox.toml").write_text(SHIPPED[:RULES_START] + rules + "\n" + SHIPPED[RULES_END:])
    return targets


def expected(variant: str, fault: str | None) -> dict[str, tuple[str, str]]:
    """The checks that must not pass, as the registry says for the shipped profile's routes."""
    service, path, _ = ONLY_ROUTE[variant]
    limit, validation = f"rate_limit:{service}:POST {path}", f"validation:{service}:POST {path}"
    if fault is None:
        return {}
    if fault == "frontend-500-traceback":
        return {validation: ("fail", "validation")}
    return {limit: ("fail", "rate limit")}


# Slurpy's one public write route (/api/safety/events) has no limiter: the shared route is a
# sign-in-first one, limited per account, and a limiter that keys on a client-address header
# instead is escaped there too.
GUARD_FAULTS = {
    "signed-in": [
        None,
        "frontend-rate-limit-off",
        "frontend-rate-limit-no-retry-after",
        "frontend-500-traceback",
        *TRUSTS_HEADER,
    ],
}
# Serially, every fault; across two workers (what the budget plugin's scheduling must keep right: both
# guards of the one route on one worker, its budget shared), each kind of fault once: which header a
# limiter trusts changes what is escaped, not how the checks are scheduled, so one of them stands for all.
ACROSS_WORKERS = {None, "frontend-rate-limit-off", "frontend-rate-limit-no-retry-after", "frontend-500-traceback"}
ACROSS_WORKERS.add(next(iter(TRUSTS_HEADER)))
CASES = [
    (variant, workers, fault)
    for variant, faults in GUARD_FAULTS.items()
    for workers in (0, 2)
    for fault in faults
    if not workers or fault in ACROSS_WORKERS
]


@pytest.mark.parametrize(
    "variant,workers,fault", CASES, ids=[f"{v}-{'n2' if w else 'serial'}-{f or 'healthy'}" for v, w, f in CASES]
)
def test_validation_and_rate_limit_sharing_the_only_post_route(sandbox, tmp_path, variant, workers, fault):
    sandbox.clear()
    if fault:
        sandbox.switch_on(fault)
    env = {
        STATE_ENV: str(sandbox.state_file),
        "SLURPY_TARGET": "sandbox",
        "SLURPY_TARGETS_DIR": str(profile_dir(tmp_path, ONLY_ROUTE[variant][2])),
    }
    run = run_suite(
        GUARD_TESTS[0], tmp_path / "r.jsonl", GUARD_TESTS[1], *(["-n", str(workers)] if workers else []), env=env
    )
    assert len(run.results) == 2, run.output
    assert run.not_passing() == expected(variant, fault), run.output
    for check_id in expected(variant, fault):
        assert all(words in run.results[check_id].message for words in FAULTS[fault].says), run.results[
            check_id
        ].message
    assert_no_credentials(sandbox, run)


def assert_no_credentials(sandbox, run) -> None:
    for secret in [*sandbox.issued_tokens(), sandbox.state["secrets"]["SLURPY_SANDBOX_MONITOR_PASSWORD"]]:
        assert secret not in run.output and secret not in run.results_text
        assert not artifacts_holding(run.artifacts, secret)


def test_an_anonymous_probe_of_a_sign_in_first_route_is_inconclusive_and_says_what_to_fix(sandbox, tmp_path):
    sandbox.clear()
    anonymous = ONLY_ROUTE["signed-in"][2].replace("auth = true\n", "")
    env = {
        STATE_ENV: str(sandbox.state_file),
        "SLURPY_TARGET": "sandbox",
        "SLURPY_TARGETS_DIR": str(profile_dir(tmp_path, anonymous)),
    }
    run = run_suite(GUARD_TESTS[0], tmp_path / "r.jsonl", GUARD_TESTS[1], env=env)
    fix = "this route needs a signed-in probe (set auth = true and [auth] in the profile)"
    assert {r.id: (r.verdict.value, r.category) for r in run.results.values()} == {
        "rate_limit:frontend:POST /api/journal": ("error", "monitor"),
        "validation:frontend:POST /api/journal": ("error", "monitor"),
    }, run.output
    assert run.results["validation:frontend:POST /api/journal"].message.endswith(
        'POST /api/journal answered 401 {"error":"Unauthorized"} to every probe: ' + fix
    )
    assert run.results["rate_limit:frontend:POST /api/journal"].message.endswith(
        'POST /api/journal answered 401 {"error":"Unauthorized"} to the first request: ' + fix
    )
    assert sandbox.traffic()["tagged"] == 1 + 3, "an inconclusive rate-limit probe must stop at its first answer"


def answer(exchange: Exchange) -> httpx.Response:
    assert exchange.response is not None, exchange.error_text
    return exchange.response


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def test_the_token_client_signs_in_and_refreshes_and_the_route_takes_its_tokens(sandbox):
    sandbox.clear()
    profile, secrets = sandbox.live_profile(load_profile("sandbox")), sandbox.secrets
    settings, clock = NetworkSettings.from_profile(profile), Clock()
    grant = SupabasePasswordGrant(
        Probe(settings),
        profile.auth.supabase_url,
        secrets["SLURPY_SANDBOX_SUPABASE_ANON_KEY"],
        secrets["SLURPY_SANDBOX_MONITOR_EMAIL"],
        secrets["SLURPY_SANDBOX_MONITOR_PASSWORD"],
        clock=clock,
    )
    journal = profile.services["frontend"].url("/api/journal")
    signed_in = Probe(settings, session=lambda: {"Authorization": f"Bearer {grant.token()}"})
    assert answer(signed_in.request("POST", journal, json={})).status_code == 400  # past sign-in: the schema refused it
    clock.now = 3600  # the token's hour is up
    assert answer(signed_in.request("POST", journal, json={})).status_code == 400
    assert grant.grants == ["password", "refresh_token"]
    forged = Probe(settings, session=lambda: {"Authorization": "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.Zm9yZ2Vk"})
    refused = answer(forged.request("POST", journal, json={}))
    assert refused.status_code == 401 and refused.json() == {"error": "Unauthorized"}
    assert refused.headers["cache-control"] == "no-store"


def test_the_sandbox_spends_a_refresh_token_once_as_gotrue_does(sandbox):
    profile, secrets = sandbox.live_profile(load_profile("sandbox")), sandbox.secrets
    token_url = f"{profile.auth.supabase_url}/auth/v1/token"
    with httpx.Client(
        verify=trust_context(profile.tls.ca_bundle),
        trust_env=False,
        headers={"apikey": secrets["SLURPY_SANDBOX_SUPABASE_ANON_KEY"], "X-Synthetic-Monitor": "selftest"},
    ) as client:
        session = client.post(
            token_url,
            params={"grant_type": "password"},
            json={
                "email": secrets["SLURPY_SANDBOX_MONITOR_EMAIL"],
                "password": secrets["SLURPY_SANDBOX_MONITOR_PASSWORD"],
            },
        ).json()
        assert {"access_token", "expires_in", "refresh_token", "user"} <= set(session)
        refresh = {"refresh_token": session["refresh_token"]}
        assert client.post(token_url, params={"grant_type": "refresh_token"}, json=refresh).status_code == 200
        again = client.post(token_url, params={"grant_type": "refresh_token"}, json=refresh)
        assert again.status_code == 400 and again.json()["error"] == "invalid_grant"
        wrong_key = client.post(token_url, params={"grant_type": "password"}, headers={"apikey": "nope"}, json={})
        assert wrong_key.status_code == 401


def test_a_refused_sign_in_makes_each_signed_in_check_inconclusive_and_says_why(sandbox, tmp_path):
    sandbox.clear()
    wrong = "not-the-monitor-password-1"
    env = {STATE_ENV: str(sandbox.state_file), "SLURPY_TARGET": "sandbox", "SLURPY_SANDBOX_MONITOR_PASSWORD": wrong}
    run = run_suite(GUARD_TESTS[0], tmp_path / "r.jsonl", GUARD_TESTS[1], env=env)
    signed_in = {
        case.id
        for case in catalogue(load_profile("sandbox"))
        if case.auth and case.kind in ("rate_limit", "validation")
    }
    assert signed_in and signed_in <= set(run.results), run.output
    for check_id, result in run.results.items():
        if check_id in signed_in:
            assert (result.verdict, result.category) == ("error", "monitor"), result.message
            assert "could not sign in the monitor for signed-in probes: Supabase Auth at " in result.message
            assert "refused the monitor account: 400 Invalid login credentials" in result.message
        else:
            assert result.verdict.value == "pass", result.message
    assert wrong not in run.output and wrong not in run.results_text
