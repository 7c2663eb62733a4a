"""Alerting end to end: the smoke suite against the sandbox, in child pytests, with a fault
switched on and off between runs, a profile whose [alerts] point at real local receivers, and one
history. The messages each receiver got are exactly: nothing on the first failed run, "opened"
on the second, a reminder while it stays open, "resolved" after two passing runs; a receiver
that was down gets the alert late but once; a heartbeat per run; a silent schedule raises the
missed-runs alert; SIGTERM stops the watch mode cleanly.

Reminders are due every 0.0001 h (0.36 s) here: less than any child pytest takes to start, so
every evaluation while the incident is open has a new reminder due, and sends one."""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from suite_runner import SuiteRun, run_suite

from monitor.alerts.state import AlertLog, AlertState
from monitor.commands.monitor import main
from monitor.history.store import HistoryStore, RunInfo
from monitor.results import CheckResult, Verdict
from slurpy_sandbox import STATE_ENV, Sandbox
from testkit.receivers import HttpReceiver

ROOT = Path(__file__).resolve().parent.parent
FAULT = "backend-degraded"
CAUSE = "backend health /health/healthz failing [body]: failing dependencies: qdrant; expected ok == true, got false"
SLURPY_MONITOR = Path(sys.executable).parent / "slurpy-monitor"

ALERTS = """
[alerts]
remind_every_h = 0.0001
delivery_backoff_s = 0
delivery_attempts = 2
heartbeat_secret = "ping"

[[alerts.channels]]
name = "chat"
kind = "slack"
url_secret = "slack"

[[alerts.channels]]
name = "issues"
kind = "github"
repo = "acme/slurpy-status"
token_secret = "gh"
api_url = "{api}"
"""


@pytest.fixture
def receiver():
    http = HttpReceiver.start()
    yield http
    http.stop()


@pytest.fixture
def alerting(sandbox, receiver, tmp_path):
    """Run the smoke suite with alerts to ``receiver``; returns (run, history path)."""
    targets = tmp_path / "targets"
    targets.mkdir()
    profile = (ROOT / "targets" / "sandbox.toml").read_text()
    profile = profile.replace("[secrets]\n", '[secrets]\nslack = "T_SLACK"\ngh = "T_GH"\nping = "T_PING"\n', 1)
    (targets / "sandbox.toml").write_text(profile + ALERTS.format(api=receiver.url))
    history = tmp_path / "history.sqlite"
    env = {
        STATE_ENV: str(sandbox.state_file),
        "SLURPY_TARGET": "sandbox",
        "SLURPY_TARGETS_DIR": str(targets),
        "T_SLACK": f"{receiver.url}/slack",
        "T_GH": "gh-test-token",
        "T_PING": f"{receiver.url}/ping/watcher",
    }
    return AlertingRuns(sandbox, tmp_path, history, env), history


@dataclass
class AlertingRuns:
    """Runs of a suite against the sandbox, alerting, into one history; ``env`` is theirs."""

    sandbox: Sandbox
    tmp_path: Path
    history: Path
    env: dict[str, str]
    count: Iterator[int] = field(default_factory=itertools.count)

    def __call__(self, fault: bool | tuple[str, ...], *args: str, suite: str = "tests/smoke") -> SuiteRun:
        """One run with ``FAULT`` on (True), none (False), or the faults named."""
        self.sandbox.clear()
        for name in (FAULT,) if fault is True else fault or ():
            self.sandbox.switch_on(name)
        folder = self.tmp_path / f"run{next(self.count)}"
        folder.mkdir()
        return run_suite(suite, folder / "results.jsonl", "--history", str(self.history), *args, env=self.env)


def firsts(receiver: HttpReceiver) -> list[str]:
    return [r.json["text"].split("\n")[0] for r in receiver.got("/slack")]


def test_opened_on_the_second_failure_reminded_resolved_after_two_passes(alerting, receiver, tmp_path):
    run, history = alerting
    text = tmp_path / "text-history"  # as the data branch keeps it
    seen: list[list[str]] = []
    for fault in (False, True, True, True, False, False, False):
        before = len(receiver.got("/slack"))
        result = run(fault, "--history-dir", str(text))
        assert result.returncode == (1 if fault else 0), result.output
        seen.append(firsts(receiver)[before:])
    failing = f"[CRITICAL] sandbox: {CAUSE}"
    assert seen == [
        [],
        [],
        [failing],
        [f"[CRITICAL] sandbox: still open: {CAUSE}"],
        [f"[CRITICAL] sandbox: still open: {CAUSE}"],
        [f"[RESOLVED] sandbox: backend recovered (was: {CAUSE})"],
        [],
    ]
    opened = receiver.got("/slack")[0].json["text"]
    assert "last error: backend health FAILED [body]" in opened and "checked: https://127.0.0.1:" in opened
    [issue] = receiver.issues.values()
    assert issue["title"] == failing and issue["state"] == "closed" and len(issue["comments"]) == 3
    pings = [r.body.decode() for r in receiver.got("/ping/watcher")]
    assert len(pings) == 7  # a heartbeat per run: its status and counts, nothing a third party should read
    assert [p.split(" ")[0] for p in pings] == ["OK", "FAIL", "FAIL", "FAIL", "OK", "OK", "OK"]
    assert all("127.0.0.1" not in p and "health" not in p and "\n" not in p for p in pings), pings
    # The text copy of the alert state alone rebuilds the same delivery record, heartbeats kept too.
    with AlertState(history) as state:
        kept = sorted((d.incident, d.event, d.channel, d.state, d.ref) for d in state.all())
    fresh = tmp_path / "fresh.sqlite"
    assert main(["history", "rebuild", "--from", str(text), "--to", str(fresh)]) == 0
    with AlertState(fresh) as state:
        assert sorted((d.incident, d.event, d.channel, d.state, d.ref) for d in state.all()) == kept
    facts, skipped = AlertLog(text).lines("sandbox")
    assert skipped == [] and sum(f["alert"] == "heartbeat" and not f["error"] for f in facts) == 7
    assert "slurpy monitor alerts" in result.output


def announced(receiver: HttpReceiver) -> list[str]:
    """What the chat channel was told, reminders aside (they are due at every run here)."""
    return [title for title in firsts(receiver) if ": still open: " not in title]


def test_a_degraded_backend_that_then_crashes_is_one_incident_that_gets_worse_once(alerting, receiver):
    """Two runs with the backend reporting itself unhealthy open the incident, named by its cause;
    then it stops listening: once two runs saw it, one "worse" (the crash: the health, latency and
    TLS checks all refused are one problem); two healthy runs resolve it. One GitHub issue."""
    run, _ = alerting
    for faults in [("backend-degraded",)] * 2 + [("backend-down",)] * 3 + [()] * 2:
        run(faults)
    assert announced(receiver) == [
        f"[CRITICAL] sandbox: {CAUSE}",
        "[CRITICAL] sandbox: backend worse: backend unreachable: connection refused",
        f"[RESOLVED] sandbox: backend recovered (was: {CAUSE})",
    ]
    worse = next(r.json["text"] for r in receiver.got("/slack") if " worse: " in r.json["text"])
    assert "new: backend health FAILED [connect]" in worse
    [issue] = receiver.issues.values()
    assert issue["state"] == "closed" and sum(" worse: " in c for c in issue["comments"]) == 1


def test_a_new_leak_inside_a_secrets_check_already_red_is_announced_as_worse(alerting, receiver):
    """The issue's case: the bundle leaks a Stripe secret (the check is red, announced); then a
    chunk loaded at run time leaks an OpenAI key too. The check was red all along; the new leak is
    still announced, once, as an update of the frontend's incident."""
    run, _ = alerting
    leaks = ("frontend-leaks-stripe-secret", "frontend-leaks-openai-key-in-lazy-chunk")
    secrets = "tests/security/test_exposure.py::test_no_leaked_secrets"
    for faults in [leaks[:1]] * 2 + [leaks] * 2:
        run(faults, suite=secrets)
    opened, worse = announced(receiver)
    assert opened.startswith("[CRITICAL] sandbox: frontend secrets failing [secret]: scanned ") and "Stripe" in opened
    assert worse.startswith("[CRITICAL] sandbox: frontend worse: frontend secrets failing [secret]: OpenAI API key "), (
        worse
    )
    run(leaks, suite=secrets)
    assert len(announced(receiver)) == 2, "the same problems again: nothing new to say"


def test_a_receiver_down_then_up_gets_the_alert_late_but_once(alerting, receiver):
    run, history = alerting
    run(True)
    receiver.down = True
    down = run(True)
    assert down.returncode == 1  # the target's failure, not the receiver's
    assert "alert opened backend -> chat (slack) after 2 attempt(s): HTTP 503" in down.output
    assert "heartbeat not delivered after 2 attempt(s): HTTP 503" in down.output
    assert receiver.got("/slack") == [] and receiver.issues == {}
    receiver.down = False
    up = run(True)
    assert firsts(receiver)[0] == f"[CRITICAL] sandbox: {CAUSE}"
    assert len(receiver.issues) == 1
    assert "earlier attempt(s) failed" in up.output
    run(True)
    assert firsts(receiver).count(f"[CRITICAL] sandbox: {CAUSE}") == 1
    with AlertState(history) as state:
        assert sorted((d.channel, d.event) for d in state.all() if d.event == "opened") == [
            ("chat", "opened"),
            ("issues", "opened"),
        ]


def test_a_silent_schedule_raises_the_missed_runs_alert(alerting, receiver, tmp_path):
    run, history = alerting
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    earlier = now - timedelta(minutes=5)
    with HistoryStore(history) as store:  # the last scheduled run, five minutes ago
        store.begin_run(RunInfo("cron-1", "sandbox", earlier.isoformat(timespec="milliseconds"), schedule="* * * * *"))
        store.add(
            CheckResult("health", "backend", Verdict.PASS, "ok", target="sandbox", run_id="cron-1", suite="smoke"), 0
        )
    with AlertState(history) as state:
        state.enabled_since(earlier)  # alerting was on then
    env = {**os.environ, **run.env}
    watchdog = subprocess.run(
        [str(SLURPY_MONITOR), "alerts", "evaluate", "--history", str(history)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert watchdog.returncode == 0, watchdog.stderr + watchdog.stdout
    [missed] = firsts(receiver)
    assert missed.startswith("[CRITICAL] sandbox: smoke runs stopped: none since ")
    assert (
        "expected runs missed (schedule '* * * * *'); is the scheduler still running?"
        in receiver.got("/slack")[0].json["text"]
    )
    run(False, "--schedule", "* * * * *")  # the schedule is back
    assert firsts(receiver)[-1].startswith("[RESOLVED] sandbox: missed-runs:smoke recovered (was: smoke runs stopped")


def test_watch_mode_runs_rounds_alerts_and_stops_on_sigterm(alerting, receiver, sandbox, tmp_path):
    run, history = alerting
    sandbox.clear()
    sandbox.switch_on(FAULT)
    log = tmp_path / "watch.log"
    with log.open("w") as out:
        watch = subprocess.Popen(
            [
                str(SLURPY_MONITOR),
                "watch",
                "--every",
                "1s",
                "--history",
                str(history),
                "--results-dir",
                str(tmp_path / "watch"),
            ],
            cwd=tmp_path,
            env={**os.environ, **run.env},
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + 120
            while not receiver.got("/slack") and time.monotonic() < deadline and watch.poll() is None:
                time.sleep(0.2)
            watch.send_signal(signal.SIGTERM)
            assert watch.wait(timeout=150) == 0
        finally:
            if watch.poll() is None:
                watch.kill()
    text = log.read_text()
    assert firsts(receiver)[0] == f"[CRITICAL] sandbox: {CAUSE}", text
    assert "SIGTERM: stopping after the current round" in text and text.rstrip().endswith("watch: stopped")
    with HistoryStore(history) as store:
        assert len(store.runs()) >= 2
