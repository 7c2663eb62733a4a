"""What a run costs the target, stated and capped: each check records the requests it sent, the
summary sums them per service and per check kind, and the count is what the target received
(the sandbox's frontend counts every tagged request); with max_requests_per_run the run stops
early, every check left skipped with the reason and named in the run's notes."""

from __future__ import annotations

from suite_runner import ROOT

from monitor import cost
from monitor.results import CheckResult, Verdict

# Checks whose every request is an HTTP request to their service: a TLS check's handshakes, a
# signed-in check's sign-in (to Supabase Auth) and the plain-http redirect are not requests the
# frontend's counter sees.
HTTP_ONLY = [
    "tests/smoke/test_health.py",
    "tests/smoke/test_latency.py",
    "tests/security/test_headers.py",
    "tests/security/test_cors.py",
    "tests/security/test_exposure.py",
    "tests/security/test_https.py",
    "-k",
    "not test_http_redirects_to_https",
]  # the plain-http redirect is served apart from the counter


def test_the_requests_stated_are_the_requests_the_target_received(run_against_sandbox, sandbox):
    run = run_against_sandbox(HTTP_ONLY[0], *HTTP_ONLY[1:])
    assert run.returncode == 0, run.output
    stated = cost.tally(list(run.results.values()))
    assert stated.by_service["frontend"] == sandbox.traffic()["tagged"] > 0
    assert f"requests sent: {stated.total} (" in run.output and "by check: cors " in run.output
    assert set(stated.by_kind) == {"health", "latency", "headers", "cors", "exposure", "secrets", "cookies"}


def test_a_run_over_its_cap_stops_early_naming_the_checks_left(sandbox, tmp_path):
    from suite_runner import run_suite

    targets = tmp_path / "targets"
    targets.mkdir()
    text = (ROOT / "targets" / "sandbox.toml").read_text()
    (targets / "sandbox.toml").write_text(
        text.replace("latency_samples = 3", "latency_samples = 3\nmax_requests_per_run = 25")
    )
    sandbox.clear()
    env = {
        "SLURPY_SANDBOX_STATE": str(sandbox.state_file),
        "SLURPY_TARGET": "sandbox",
        "SLURPY_TARGETS_DIR": str(targets),
    }
    run = run_suite("tests/smoke", tmp_path / "r.jsonl", "tests/security", "--history", "none", "--no-alerts", env=env)
    results = list(run.results.values())
    left = cost.capped(results)
    ran = [r for r in results if r.id not in left]
    spent = cost.tally(ran).total
    assert left and all(r.verdict is Verdict.SKIP and "(25) after" in r.message for r in results if r.id in left)
    assert spent >= 25 and spent - max(r.details.get("requests", 0) for r in ran) < 25, (
        "it stops at the first check past the cap"
    )
    assert "stopped early: the run reached max_requests_per_run (25); checks not run: " + ", ".join(left) in run.output
    assert run.returncode == 0, run.output  # skipped by the profile's choice, not failed


def test_the_tally_is_per_service_and_per_check_kind():
    results = [
        CheckResult("cors", "frontend", Verdict.PASS, "m", details={"requests": 42}),
        CheckResult("cors", "mcp", Verdict.PASS, "m", details={"requests": 30}),
        CheckResult("journey", "frontend", Verdict.FAIL, "m", path="chat", details={"requests": 7}),
        CheckResult("rate_limit", "frontend", Verdict.SKIP, "m"),
    ]
    tally = cost.tally(results)
    assert (tally.total, tally.by_service, tally.by_kind) == (
        79,
        {"frontend": 49, "mcp": 30},
        {"cors": 72, "journey": 7},
    )
    assert cost.line(tally) == "requests sent: 79 (frontend 49, mcp 30); by check: cors 72, journey 7"
    assert cost.line(cost.tally([])) == "requests sent: none recorded"
