"""The access-control check without a network: the analyser on answers healthy deployments give
(401, 403, a redirect to sign-in) and broken ones give (served, reached the schema check, a 5xx
that leaks), and the check against an httpx MockTransport route, including what it sends."""

import json
from functools import partial

import httpx
import pytest

from monitor.analysers.access import Trial, judge_access
from monitor.checks.access import FOREIGN_ORIGIN, access
from monitor.checks.catalogue import access_rules
from monitor.probe import NetworkSettings, Probe
from monitor.profile import AccessRule, ProfileError, load_profile
from monitor.results import Category, Verdict

URL = "https://fe.test/api/journal"
ANON = partial(Trial, label="an anonymous request", gate="sign-in")
CSRF = partial(Trial, label="a signed-in request from a foreign Origin", gate="CSRF", signed_in=True)


@pytest.mark.parametrize(
    "trial,outcome",
    [
        (ANON(status=401, body='{"error":"Unauthorized"}'), "refused"),
        (ANON(status=403, body=""), "refused"),
        (ANON(status=307, location="/sign-in?redirect=%2Fapi%2Fjournal"), "refused"),
        (ANON(status=302, location="https://fe.test/sign-in/"), "refused"),
        (ANON(status=200, body='{"ok":true}'), "open"),
        (ANON(status=400, body='{"error":"Invalid request"}'), "open"),
        (ANON(status=404), "unreached"),
        (ANON(status=429, body='{"error":"too many requests"}'), "unreached"),
        (ANON(status=302, location="https://login.other.example/"), "unreached"),
        (ANON(status=503, body="upstream down"), "server_errors"),
        (CSRF(status=403, body='{"error":"csrf"}'), "refused"),
        (CSRF(status=401, body='{"error":"Unauthorized"}'), "unreached"),
        (CSRF(status=429), "unreached"),
        (CSRF(status=400, body='{"error":"Invalid request"}'), "open"),
        (CSRF(status=201, body="{}"), "open"),
    ],
)
def test_each_answer_is_a_refusal_an_open_gate_a_server_error_or_unreached(trial, outcome):
    judgement = judge_access([trial], "/sign-in")
    found = {name: getattr(judgement, name) for name in ("refused", "open", "server_errors", "unreached")}
    assert [name for name, items in found.items() if items] == [outcome]


def test_an_open_gate_says_which_gate_what_came_and_what_was_expected():
    [problem] = judge_access([ANON(status=400, body='{"error":"Invalid request"}')], "/sign-in").open
    assert problem == (
        "sign-in not enforced: an anonymous request reached the route's own checks "
        '(400 {"error":"Invalid request"}); expected 401 or 403 (or a redirect to sign-in)'
    )


def test_an_error_body_that_leaks_fails_even_on_a_refusal():
    trace = 'Traceback (most recent call last):\n  File "/app/auth.py", line 3'
    judgement = judge_access([ANON(status=401, body=trace)], "/sign-in")
    assert judgement.refused and judgement.leaks and "a Python traceback" in judgement.problems[0]


class Route:
    """A sign-in-first route with a double-submit check: ``open_to`` names the gates left open."""

    def __init__(self, open_to=()):
        self.open_to, self.requests = set(open_to), []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        token = request.headers.get("authorization", "")
        if token != "Bearer real" and not ("forged" in self.open_to and token) and "anonymous" not in self.open_to:
            return httpx.Response(401, json={"error": "Unauthorized"})
        if "csrf" not in self.open_to:
            cookie = request.headers.get("cookie", "").partition("=")[2]
            if request.headers.get("origin") != "https://fe.test" or request.headers.get("x-csrf") != cookie:
                return httpx.Response(403, json={"error": "csrf"})
        return httpx.Response(400, json={"error": "Invalid request"})


def _probes(route, signed=True):
    settings = NetworkSettings(target="t", retries=0)
    anonymous = Probe(settings, transport=httpx.MockTransport(route))
    session = {
        "Authorization": "Bearer real",
        "Origin": "https://fe.test",
        "Cookie": "slurpy.csrf=abc",
        "x-csrf": "abc",
    }
    return anonymous, Probe(settings, transport=httpx.MockTransport(route), session=lambda: session) if signed else None


def _check(route, rule=None, signed=True):
    anonymous, session = _probes(route, signed)
    rule = rule or AccessRule(service="frontend", path="/api/journal", csrf=True, json_body={})
    return access(
        anonymous,
        session,
        rule=rule,
        url=URL,
        sign_in_path="/sign-in",
        origin="https://fe.test",
        csrf_cookie="slurpy.csrf",
        csrf_header="x-csrf",
    )


def test_a_healthy_route_refuses_every_trial_and_each_trial_removes_one_proof():
    route = Route()
    result = _check(route)
    assert result.verdict is Verdict.PASS, result.message
    anonymous, forged, foreign, mismatched, missing = route.requests
    assert "authorization" not in anonymous.headers and anonymous.headers["origin"] == "https://fe.test"
    assert forged.headers["authorization"] != "Bearer real" and forged.headers["authorization"].startswith("Bearer eyJ")
    assert foreign.headers["origin"] == FOREIGN_ORIGIN and foreign.headers["x-csrf"] == "abc"
    assert mismatched.headers["origin"] == "https://fe.test" and mismatched.headers["x-csrf"] != "abc"
    assert "x-csrf" not in missing.headers and missing.headers["cookie"] == "slurpy.csrf=abc"
    assert all(json.loads(r.content) == {} for r in route.requests)


@pytest.mark.parametrize(
    "gate,says",
    [
        ("anonymous", "sign-in not enforced: an anonymous request"),
        ("forged", "bearer token check not enforced: a forged bearer token"),
        ("csrf", "CSRF not enforced: a signed-in request from a foreign Origin"),
    ],
)
def test_each_open_gate_fails_as_access(gate, says):
    result = _check(Route(open_to={gate}))
    assert (result.verdict, result.category) == (Verdict.FAIL, Category.ACCESS)
    assert says in result.message and URL in result.message


def test_without_csrf_only_the_sign_in_trials_are_sent_and_no_session_is_needed():
    route = Route()
    result = _check(route, AccessRule(service="frontend", path="/api/journal"), signed=False)
    assert result.verdict is Verdict.PASS and len(route.requests) == 2


def test_csrf_without_a_session_is_inconclusive():
    result = _check(Route(), signed=False)
    assert (result.verdict, result.category) == (Verdict.ERROR, Category.MONITOR)
    assert "set [auth]" in result.message


def test_a_refused_session_makes_the_csrf_trials_inconclusive_not_a_pass():
    anonymous, _ = _probes(Route())
    stale = Probe(
        NetworkSettings(target="t", retries=0),
        transport=httpx.MockTransport(Route()),
        session=lambda: {"Authorization": "Bearer expired"},
    )
    result = access(
        anonymous,
        stale,
        rule=AccessRule(service="frontend", path="/api/journal", csrf=True),
        url=URL,
        sign_in_path="/sign-in",
        origin="https://fe.test",
        csrf_cookie="slurpy.csrf",
        csrf_header="x-csrf",
    )
    assert result.verdict is Verdict.ERROR and "refused the monitor's session" in result.message


def test_every_sign_in_first_rule_implies_an_access_rule_and_an_explicit_one_wins():
    profile = load_profile("sandbox")
    rules = {(r.method, r.path): r for r in access_rules(profile)}
    assert set(rules) == {("POST", p) for p in ("/api/proxy-chat-stream", "/api/stripe/create-session", "/api/journal")}
    assert all(rule.csrf for rule in rules.values())


def test_a_csrf_rule_needs_auth(tmp_path):
    (tmp_path / "t.toml").write_text("""
[services.frontend]
base_url = "https://app.test"
latency_ms = 500
[[services.frontend.health]]
path = "/api/health"
[[access]]
service = "frontend"
path = "/api/journal"
csrf = true
""")
    with pytest.raises(ProfileError, match="csrf = true"):
        load_profile("t", directory=tmp_path)
