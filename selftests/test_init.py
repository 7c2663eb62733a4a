"""`slurpy-monitor init` against the sandbox: the draft it writes from a healthy deployment runs
green with nothing added; drafted while faults are on, it does not take them for the expected
behaviour (an echoed attacker origin is never listed as allowed, a body that says "not ok" is
still held to ok), so the same draft fails those checks while the faults last and passes once
they are gone. Every request is counted, bounded and read-only; nothing is overwritten."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib

import pytest
from suite_runner import ROOT, run_suite

from monitor.commands.init import init
from monitor.draft.observe import MAX_REQUESTS
from monitor.draft.propose import ATTACKER_ORIGIN
from monitor.profile import load_profile

FAULTS = (
    "backend-cors-reflects-any-origin",
    "frontend-cors-wildcard-credentials",
    "backend-degraded",
    "mcp-wrong-body",
    "frontend-health-no-dependencies",
    "frontend-insecure-cookie",
    "backend-docs-public",
    "mcp-stats-qdrant-down",
)
# Checks a draft leaves to its TODOs (write routes and their gates, the plain-http URL): skipped, each with its reason.
UNDRAFTED = {
    "https_redirect": ("skip", None),
    "rate_limit": ("skip", None),
    "validation": ("skip", None),
    "access": ("skip", None),
}
# What each fault breaks, as the draft made during it must still see it broken.
CAUGHT = {
    "cors:backend": "cors",
    "health:backend:/health/healthz": "body",
    "health:mcp:/healthz": "body",
    "health:frontend:/api/health": "body",
    "cookies:frontend:/sign-in": "cookie",
    "exposure:backend": "exposure",
    "health:mcp:/stats": "body",
}


def _draft(sandbox, targets, capsys, name):
    urls = sandbox.urls
    code = init([urls["frontend"], f"backend={urls['backend']}", f"mcp={urls['mcp']}"], name, sandbox.ca_bundle, 5.0)
    out = capsys.readouterr()
    assert code == 0, out.err
    return (targets / f"{name}.toml").read_text(), out.out


def _run(sandbox, tmp_path, targets, name):
    env = {"SLURPY_TARGETS_DIR": str(targets), "SLURPY_TARGET": name, "SLURPY_SANDBOX_STATE": str(sandbox.state_file)}
    return run_suite(
        "tests/smoke",
        tmp_path / f"{name}-{len(list(tmp_path.iterdir()))}.jsonl",
        "tests/security",
        "--history",
        "none",
        "--no-alerts",
        env=env,
    )


@pytest.fixture
def targets(tmp_path, monkeypatch):
    folder = tmp_path / "targets"
    monkeypatch.setenv("SLURPY_TARGETS_DIR", str(folder))
    return folder


def test_a_draft_of_the_healthy_sandbox_runs_green_and_init_sends_few_read_only_requests(
    sandbox, targets, tmp_path, capsys
):
    sandbox.clear()  # also zeroes the sandbox's traffic counters
    text, said = _draft(sandbox, targets, capsys, "fresh")
    sent_to_frontend = sandbox.traffic()["tagged"]
    profile = load_profile("fresh")
    assert profile.sensitive and not profile.allow_destructive and not profile.allow_budget
    total = int(said.split(" from ")[1].split()[0])
    # The count it states is what the frontend received, plus the plain-http request to port 80 that
    # nothing here answers (the sandbox serves http on a port of its own, which init cannot know).
    assert "plain http://127.0.0.1/ did not answer" in text
    assert total <= MAX_REQUESTS and f"frontend {sent_to_frontend + 1}," in said, said
    assert f"from {total} read-only, anonymous requests" in text
    assert set(profile.services) == {"frontend", "backend", "mcp"}
    assert [h.path for h in profile.services["frontend"].health] == ["/api/health", "/health"]
    assert profile.services["backend"].health[0].dependencies == ["supabase", "qdrant"]
    assert "/stats" not in [p.path for s in profile.services.values() for p in s.security.private_paths]
    for value in sandbox.secrets.values():  # it never writes a secret, not even one it could have read
        assert value not in text
    assert all(v.startswith("SLURPY_FRESH_") for v in profile.secrets.values())
    assert text.count("TODO:") >= 5 and "[[rate_limits]]" in text  # what it could not learn, asked

    assert f'cors_origins = ["{sandbox.urls["frontend"]}"]: its preflight allowed' in text  # in the frontend's TODO

    run = _run(sandbox, tmp_path, targets, "fresh")
    assert run.returncode == 0 and run.not_passing() == UNDRAFTED, run.output
    judged = [r for r in run.results.values() if r.verdict.value == "pass"]
    assert len(judged) >= 20, run.output  # health, latency, TLS, headers, cookies, CORS, secrets, exposure

    fits = subprocess.run(
        [sys.executable, "-m", "monitor.commands.monitor", "check-profile", "--target", "fresh"],
        cwd=ROOT,
        env={**os.environ, "SLURPY_TARGETS_DIR": str(targets)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert fits.returncode == 0 and "nothing to fix: the profile fits the deployment" in fits.stdout, fits.stdout

    before = (targets / "fresh.toml").read_bytes()
    assert init([sandbox.urls["frontend"]], "fresh", sandbox.ca_bundle, 5.0) == 2
    assert "never overwritten" in capsys.readouterr().err and (targets / "fresh.toml").read_bytes() == before


def test_a_draft_made_while_faults_are_on_does_not_take_them_for_the_expected_behaviour(
    sandbox, targets, tmp_path, capsys
):
    sandbox.clear()
    for fault in FAULTS:
        sandbox.switch_on(fault)
    text, _ = _draft(sandbox, targets, capsys, "faulty")
    profile = load_profile("faulty")
    raw = tomllib.loads(text)
    origins = [o for s in raw["services"].values() for o in s["security"].get("cors_origins", [])]
    assert ATTACKER_ORIGIN not in origins and origins == [], "an origin allowed by a deployment that allows any"
    assert f"cors_origins = []: NOTE: its preflight allowed {ATTACKER_ORIGIN}" in text  # the frontend's TODO
    assert f"cors_origins = []  # NOTE: its preflight allowed {ATTACKER_ORIGIN}" in text  # the backend's
    backend, mcp, frontend = (profile.services[s] for s in ("backend", "mcp", "frontend"))
    assert backend.health[0].json_equals == {"ok": True} and "said ok: false today" in text
    assert mcp.health[0].json_equals == {"status": "ok"} and "it said 'starting' today" in text
    assert frontend.health[0].dependencies == ["sli_checks"]  # an empty group fails: it checked nothing
    assert frontend.security.session_cookies == ["slurpy-csrf"]  # by its name, not by its missing HttpOnly
    assert [p.path for p in backend.security.private_paths] == ["/docs", "/openapi.json"]
    assert "/docs, /openapi.json answered an anonymous GET with 2xx today" in text

    while_faulty = _run(sandbox, tmp_path, targets, "faulty")
    failing = {
        check: category for check, (verdict, category) in while_faulty.not_passing().items() if verdict == "fail"
    }
    assert failing == CAUGHT, while_faulty.output

    sandbox.clear()
    healthy = _run(sandbox, tmp_path, targets, "faulty")
    assert healthy.returncode == 0 and healthy.not_passing() == UNDRAFTED, healthy.output


def test_the_frontends_scripts_name_the_other_services_and_the_supabase_project():
    from monitor.draft.propose import Sighting

    seen = Sighting(
        urls={"frontend": "https://app.example.com"},
        scripts={
            "/_next/static/chunks/main.js": 'const api="https://api.example.com/v1",sb="https://abcd1234.supabase.co";'
            'fetch("https://js.stripe.com/v3");const chat="https://mcp.example.com";'
        },
    )
    assert seen.hosts_in_scripts() == {
        "backend": ("https://api.example.com", "/_next/static/chunks/main.js"),
        "mcp": ("https://mcp.example.com", "/_next/static/chunks/main.js"),
    }
    assert seen.supabase() == ("https://abcd1234.supabase.co", "/_next/static/chunks/main.js")
    from monitor.draft.propose import Seen, ServiceSeen, draft
    from monitor.profile import Profile

    json_answer = [("content-type", "application/json")]
    seen.services["frontend"] = ServiceSeen(
        "frontend",
        "https://app.example.com",
        health={
            "/api/health": Seen(
                "GET", "/api/health", 200, json_answer, b'{"ok": true, "sli_checks": {"database": {"ok": true}}}'
            ),
            "/health": Seen("GET", "/health", 404, [("content-type", "text/html")], b"<html>not found</html>"),
        },
    )
    text = draft(seen, "staging", "https://app.example.com", None, {"frontend": 9})
    profile = Profile.model_validate({**tomllib.loads(text), "name": "staging"})
    assert profile.auth.method == "supabase-password" and profile.auth.supabase_url == "https://abcd1234.supabase.co"
    assert profile.secrets["supabase_anon_key"] == "SLURPY_STAGING_SUPABASE_ANON_KEY"
    assert [h.path for h in profile.services["frontend"].health] == ["/api/health"]
    assert profile.services["frontend"].health[0].dependencies == ["sli_checks.database"]


def test_the_drafts_journeys_run_green_once_its_secrets_are_set_and_an_untrusted_certificate_fails_tls(
    sandbox, targets, tmp_path, capsys
):
    """The browser trusts the profile's private CA through its own trust store for the run (the
    sandbox's certificates are not ignored, they are verified); without the CA, the journeys fail
    [tls] with the reason, not as a broken page."""
    sandbox.clear()
    text, _ = _draft(sandbox, targets, capsys, "browsed")
    (targets / "untrusted.toml").write_text(
        "\n".join(line for line in text.splitlines() if not line.startswith("ca_bundle"))
    )
    secrets = {
        "SLURPY_BROWSED_MONITOR_EMAIL": sandbox.secrets["SLURPY_SANDBOX_MONITOR_EMAIL"],
        "SLURPY_BROWSED_MONITOR_PASSWORD": sandbox.secrets["SLURPY_SANDBOX_MONITOR_PASSWORD"],
        "SLURPY_UNTRUSTED_MONITOR_EMAIL": sandbox.secrets["SLURPY_SANDBOX_MONITOR_EMAIL"],
        "SLURPY_UNTRUSTED_MONITOR_PASSWORD": sandbox.secrets["SLURPY_SANDBOX_MONITOR_PASSWORD"],
    }
    for name in ("browsed", "untrusted"):
        env = {"SLURPY_TARGETS_DIR": str(targets), "SLURPY_TARGET": name, **secrets}
        run = run_suite("tests/journeys", tmp_path / f"{name}.jsonl", "--history", "none", "--no-alerts", env=env)
        destructive = {"journey:frontend:sign-up": ("skip", None), "journey:frontend:payment": ("skip", None)}
        if name == "browsed":
            assert run.not_passing() == destructive, run.output  # skipped on a sensitive target, with the reason
            assert {"journey:frontend:sign-in", "journey:frontend:chat"} <= set(run.results), run.output
        else:
            assert run.not_passing() == {
                **destructive,
                "journey:frontend:sign-in": ("fail", "tls"),
                "journey:frontend:chat": ("fail", "tls"),
            }, run.output
            message = run.results["journey:frontend:sign-in"].message
            assert "FAILED [tls]" in message and "not issued by a CA the browser trusts" in message, message
            assert "net::ERR_CERT_AUTHORITY_INVALID" in message
