"""Alerts that say what to do: owner and runbook from [alerts.runbooks], the cause in words, the
command that reproduces the failing check (every check of a real profile's catalogue maps to a
test pytest collects), the run link only when there is one; Slack in Block Kit (validated against
Slack's documented limits) with the severity colour and the scanned fields; the same facts by
e-mail."""

from __future__ import annotations

import shlex
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import jsonschema
import pytest
from test_alerts import CHECK, T0

from monitor.alerts import channels, dispatch
from monitor.alerts.guidance import cause, guidance, node_id, reproduce
from monitor.checks.catalogue import catalogue
from monitor.history.store import HistoryStore, RunInfo
from monitor.profile import AlertPolicy, Profile, load_profile
from monitor.results import CAUSES, Category, CheckResult, Verdict
from testkit.provider_schemas import SLACK_MESSAGE
from testkit.receivers import HttpReceiver, SmtpReceiver

ROOT = Path(__file__).resolve().parents[2]
RUNBOOKS = {
    "runbooks": {
        "backend": {"owner": "@backend-oncall"},
        "health": {"runbook": "https://wiki.example.test/runbooks/health", "owner": "@platform"},
        "tls:*": {"owner": "@security", "runbook": "https://wiki.example.test/runbooks/tls"},
    }
}


def test_owner_and_runbook_come_from_the_first_entry_that_sets_each():
    alerts = AlertPolicy.model_validate(RUNBOOKS)
    said = guidance(alerts, CHECK, "backend", "production", "backend health FAILED [body]: https://x/: not ok")
    assert (said["owner"], said["runbook"]) == ("@backend-oncall", "https://wiki.example.test/runbooks/health")
    assert said["cause"] == "answered, but reported itself unhealthy"
    said = guidance(alerts, "tls:frontend", "frontend", "production", "frontend tls FAILED [certificate]: expires")
    assert (said["owner"], said["runbook"], said["cause"]) == (
        "@security",
        "https://wiki.example.test/runbooks/tls",
        "its certificate is expiring or invalid",
    )
    said = guidance(alerts, "latency:mcp", "mcp", "production", "mcp latency FAILED [latency]: 1200 ms")
    assert (said["owner"], said["runbook"]) == ("", "")  # nothing matches: nothing invented


def test_a_runbook_must_be_a_link():
    with pytest.raises(ValueError, match="must be an http"):
        AlertPolicy.model_validate({"runbooks": {"health": {"runbook": "wiki/runbooks/health"}}})


def test_every_failure_category_has_words():
    assert set(CAUSES) == set(Category)


def test_the_cause_of_alerts_that_are_not_one_check():
    assert cause("burn:page-fast:backend", "error budget burning at 20.0x") == "the error budget is burning fast"
    assert cause("missed-runs:smoke", "") == "scheduled runs did not come"
    assert cause(CHECK, "something without a category") == ""
    assert reproduce("burn:page-fast:backend", "production") == "slurpy-monitor uptime --target production"
    assert reproduce("missed-runs:smoke", "production") == "slurpy-monitor history gaps --target production"


def test_every_check_of_a_real_profile_reproduces_with_one_command_that_pytest_collects():
    profile = load_profile("production.example")
    cases = catalogue(profile)
    commands = [reproduce(case.id, "production.example") for case in cases]
    assert all(
        c.startswith("./run suites ") and c.endswith("--target production.example --no-alerts") for c in commands
    )
    nodes = [shlex.split(c)[2] for c in commands]
    assert (
        nodes[0]
        == node_id("health:frontend:/api/health")
        == "tests/smoke/test_health.py::test_health[frontend/api/health]"
    )
    collected = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "--collect-only",
            "-q",
            "--target",
            "production.example",
            "-p",
            "no:randomly",
            *nodes,
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert collected.returncode == 0, collected.stdout[-2000:] + collected.stderr[-2000:]
    assert f"{len(set(nodes))} tests collected" in collected.stdout, collected.stdout[-2000:]


@pytest.fixture
def http():
    receiver = HttpReceiver.start()
    yield receiver
    receiver.stop()


def guided_profile(http: HttpReceiver, monkeypatch, smtp: SmtpReceiver | None = None) -> Profile:
    monkeypatch.setenv("T_SLACK", f"{http.url}/slack")
    monkeypatch.delenv("SLURPY_RUN_URL", raising=False)
    monkeypatch.delenv("GITHUB_RUN_ID", raising=False)
    chans: list[dict] = [{"name": "chat", "kind": "slack", "url_secret": "slack"}]
    secrets = {"slack": "T_SLACK"}
    if smtp is not None:
        monkeypatch.setenv("T_SMTP_USER", smtp.user)
        monkeypatch.setenv("T_SMTP_PASSWORD", smtp.password)
        secrets |= {"smtp_user": "T_SMTP_USER", "smtp_password": "T_SMTP_PASSWORD"}
        chans.append(
            {
                "name": "mail",
                "kind": "email",
                "host": "127.0.0.1",
                "port": smtp.port,
                "username_secret": "smtp_user",
                "password_secret": "smtp_password",
                "sender": "monitor@x.test",
                "to": ["oncall@x.test"],
                "ca_file": str(smtp.ca_file),
            }
        )
    return Profile.model_validate(
        {
            "name": "t",
            "services": {
                "backend": {
                    "base_url": "https://api.example.test",
                    "latency_ms": 500,
                    "health": [{"path": "/health/healthz"}],
                }
            },
            "secrets": secrets,
            "alerts": {"channels": chans, "delivery_backoff_s": 0, "burn_rate": False, **RUNBOOKS},
        }
    )


class History:
    """Runs of the backend health check whose failures say why, as the real check's messages do."""

    def __init__(self, path: Path):
        self.path, self.n = path, 0

    def run(self, verdict: str) -> datetime:
        started, run_id = T0 + timedelta(minutes=5 * self.n), f"run-{self.n:02d}"
        self.n += 1
        said = (
            "backend health FAILED [body]: https://api.example.test/health/healthz: failing dependencies: qdrant"
            if verdict == "fail"
            else "backend healthy"
        )
        with HistoryStore(self.path) as store:
            store.begin_run(RunInfo(run_id, "t", started.isoformat(timespec="milliseconds")))
            store.add(
                CheckResult(
                    "health",
                    "backend",
                    Verdict(verdict),
                    said,
                    target="t",
                    path="/health/healthz",
                    url="https://api.example.test/health/healthz",
                    run_id=run_id,
                    suite="smoke",
                ),
                0,
            )
        return started


def test_slack_gets_block_kit_with_the_severity_colour_and_the_fields_people_scan(http, monkeypatch, tmp_path):
    profile = guided_profile(http, monkeypatch)
    history = History(tmp_path / "h.sqlite")
    for verdict in ("fail", "fail", "pass", "pass"):
        dispatch.evaluate(profile, history.path, history.run(verdict), "r")
    opened, resolved = (r.json for r in http.got("/slack"))
    for message in (opened, resolved):
        jsonschema.validate(message, SLACK_MESSAGE)
    assert (
        opened["blocks"][0]["text"]["text"] == "[CRITICAL] t: backend health /health/healthz failing: "
        "failing dependencies: qdrant"
    )
    [attachment] = opened["attachments"]
    assert attachment["color"] == channels.SEVERITY_COLOURS["critical"]
    fields = [f["text"].split("\n")[0] for f in attachment["blocks"][0]["fields"]]
    assert fields == ["*Service*", "*Since*", "*Cause*", "*Owner*", "*Runbook*"]
    assert attachment["blocks"][0]["fields"][2]["text"] == "*Cause*\nanswered, but reported itself unhealthy"
    buttons = next(b for b in attachment["blocks"] if b["type"] == "actions")["elements"]
    assert [b["url"] for b in buttons] == ["https://wiki.example.test/runbooks/health"]  # no run link: there is none
    reproduce_line = next(b for b in attachment["blocks"] if b["type"] == "context")["elements"][0]["text"]
    assert (
        reproduce_line == "Reproduce: `./run suites 'tests/smoke/test_health.py::test_health[backend/health/healthz]' "
        "--target t --no-alerts`"
    )
    assert "run:" not in opened["text"] and "runbook: https://wiki.example.test/runbooks/health" in opened["text"]
    assert resolved["attachments"][0]["color"] == channels.SEVERITY_COLOURS["resolved"]


def test_the_run_link_is_there_when_there_is_one(http, monkeypatch, tmp_path):
    profile = guided_profile(http, monkeypatch)
    monkeypatch.setenv("SLURPY_RUN_URL", "https://ci.example.test/runs/42")
    history = History(tmp_path / "h.sqlite")
    for verdict in ("fail", "fail"):
        dispatch.evaluate(profile, history.path, history.run(verdict), "r")
    [opened] = (r.json for r in http.got("/slack"))
    buttons = next(b for b in opened["attachments"][0]["blocks"] if b["type"] == "actions")["elements"]
    assert [b["text"]["text"] for b in buttons] == ["Runbook", "Run"] and buttons[1][
        "url"
    ] == "https://ci.example.test/runs/42"
    assert "run: https://ci.example.test/runs/42" in opened["text"]


def test_block_kit_holds_to_slacks_limits_with_a_huge_error():
    message = {
        "kind": "opened",
        "target": "t",
        "check_id": CHECK,
        "service": "backend",
        "severity": "warning",
        "since": "2026-11-27T10:00:00+00:00",
        "failed_runs": 2,
        "last_error": "x" * 10_000,
        "url": "",
        "run_url": "",
        "owner": "o" * 3000,
        "runbook": "",
        "cause": "too slow",
        "reproduce": "./run suites y",
    }
    built = channels.blocks(message)
    jsonschema.validate(built, SLACK_MESSAGE)
    worse = channels.blocks(
        {**message, "kind": "worse", "update": "y" * 500, "update_detail": "z" * 5000, "summary": "s"}
    )
    jsonschema.validate(worse, SLACK_MESSAGE)
    assert built["attachments"][0]["color"] == channels.SEVERITY_COLOURS["warning"]
    with pytest.raises(jsonschema.ValidationError):  # the schema can fail: an unbounded field is refused
        jsonschema.validate(
            {**built, "blocks": [{"type": "header", "text": {"type": "plain_text", "text": "t" * 151}}]}, SLACK_MESSAGE
        )


def test_email_says_the_same_facts(http, monkeypatch, tmp_path):
    smtp = SmtpReceiver(tmp_path)
    try:
        profile = guided_profile(http, monkeypatch, smtp)
        history = History(tmp_path / "h.sqlite")
        for verdict in ("fail", "fail"):
            dispatch.evaluate(profile, history.path, history.run(verdict), "r")
        [mail] = smtp.messages
        body = mail.get_payload(decode=True).decode().replace("\r\n", "\n")
        for line in (
            "service: backend",
            "cause: answered, but reported itself unhealthy",
            "owner: @backend-oncall",
            "runbook: https://wiki.example.test/runbooks/health",
            "reproduce: ./run suites 'tests/smoke/test_health.py::test_health[backend/health/healthz]' --target t "
            "--no-alerts",
            "last error: backend health FAILED [body]",
        ):
            assert line in body, body
        assert "\nrun:" not in body
        [slack] = http.got("/slack")
        assert body.strip() == slack.json["text"] and " ".join(mail["Subject"].split()) == body.splitlines()[0]
    finally:
        smtp.stop()
