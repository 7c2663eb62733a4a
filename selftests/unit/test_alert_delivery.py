"""Alert delivery against hostile receivers (real local servers): each attempt has one wall-clock
deadline, a run's alerting one budget with channels in parallel, and the monitor's own record
(sent, not delivered, unconfirmed, not sent) matches what each receiver actually got.

The semantics proven here: a failure before the request was written is *not delivered* and is
tried again; once it was written and no answer came it is *unconfirmed*: a receiver that drops
copies (GitHub by a marker, a webhook honouring Idempotency-Key) gets it again, any other never
(at most once per message); a job killed between sending and recording costs at most one copy."""

from __future__ import annotations

import asyncio
import json
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from test_alerts import OPENED, History, make_profile

from monitor.alerts import dispatch
from monitor.alerts.state import CLAIM_LEASE_S, AlertLog, AlertState
from monitor.profile import MissingSecret, Profile, Secrets
from monitor.results import CheckResult, Verdict
from testkit.receivers import HttpReceiver, SmtpReceiver

ROOT = Path(__file__).resolve().parents[2]
# Deadlines long enough that a busy machine (xdist, other jobs) still connects and writes within them.
FAST: dict[str, Any] = {"delivery_timeout_s": 1.5, "delivery_backoff_s": 0, "delivery_attempts": 3}


@pytest.fixture
def http():
    receiver = HttpReceiver.start()
    receiver.drip_s, receiver.slow_s = 0.5, 4.0
    yield receiver
    receiver.stop()


def changed(profile: Profile, index: int, **changes) -> Profile:
    """The profile with channel ``index`` changed (profiles are frozen)."""
    channels = list(profile.alerts.channels)
    channels[index] = channels[index].model_copy(update=changes)
    return profile.model_copy(update={"alerts": profile.alerts.model_copy(update={"channels": channels})})


def failing(tmp_path: Path, runs: int = 2) -> tuple[History, datetime]:
    history = History(tmp_path / "h.sqlite")
    started = [history.run("fail") for _ in range(runs)]
    return history, started[-1]


def record(path: Path, channel: str) -> list[tuple[str, str, int]]:
    with AlertState(path) as state:
        return [(d.event, d.state, d.attempts) for d in state.all() if d.channel == channel]


@pytest.mark.parametrize("how", ["drip", "hang", "close", "slow"])
def test_no_answer_after_the_request_is_unconfirmed_and_never_sent_again_where_copies_are_kept(
    http, monkeypatch, tmp_path, how
):
    http.hostile["/slack"] = how
    profile = make_profile(http, monkeypatch, tmp_path, **FAST)
    history, now = failing(tmp_path)
    outcome = dispatch.evaluate(profile, history.path, now, "r1")
    assert len(http.got("/slack")) == 1, "one copy reached the receiver"
    assert record(history.path, "chat") == [("opened", "unconfirmed", 1)]
    [line] = [u for u in outcome.unconfirmed if "-> chat" in u]
    assert "the request was sent and" in line and "not sent again: this channel cannot tell a copy" in line
    dispatch.evaluate(profile, history.path, now + timedelta(minutes=5), "r2")
    assert len(http.got("/slack")) == 1 and record(history.path, "chat") == [("opened", "unconfirmed", 1)]
    assert kinds_sent(http) == 1, "the other channels were not held up"


def kinds_sent(http: HttpReceiver) -> int:
    return len(http.got("/hook"))


def test_an_idempotent_webhook_gets_an_unconfirmed_message_again_under_the_same_key(http, monkeypatch, tmp_path):
    http.hostile["/hook"] = "slow"
    profile = changed(make_profile(http, monkeypatch, tmp_path, **FAST), 1, idempotent=True)
    history, now = failing(tmp_path)
    dispatch.evaluate(profile, history.path, now, "r1")
    assert len(http.got("/hook")) == 3 and len(http.keys("/hook")) == 1, "retried in the run, always the same key"
    assert record(history.path, "sms") == [("opened", "unconfirmed", 3)]
    del http.hostile["/hook"]
    outcome = dispatch.evaluate(profile, history.path, now + timedelta(minutes=5), "r2")
    assert len(http.got("/hook")) == 4 and len(http.keys("/hook")) == 1, "what the receiver keeps: one message"
    assert record(history.path, "sms") == [("opened", "sent", 4)]
    assert any("-> sms (webhook), late" in line for line in outcome.sent)


def test_an_error_answer_is_not_delivered_and_retried_within_and_after_the_run(http, monkeypatch, tmp_path):
    http.hostile["/slack"] = "500"
    profile = make_profile(http, monkeypatch, tmp_path, **FAST)
    history, now = failing(tmp_path)
    outcome = dispatch.evaluate(profile, history.path, now, "r1")
    assert len(http.got("/slack")) == 3 and record(history.path, "chat") == [("opened", "failed", 3)]
    assert any(
        "-> chat (slack) after 3 attempt(s): HTTP 500" in line and "retried next run" in line for line in outcome.failed
    )
    del http.hostile["/slack"]
    dispatch.evaluate(profile, history.path, now + timedelta(minutes=5), "r2")
    assert len(http.got("/slack")) == 4 and record(history.path, "chat") == [("opened", "sent", 4)]


def test_a_refused_connection_is_not_delivered(http, monkeypatch, tmp_path):
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    profile = make_profile(http, monkeypatch, tmp_path, **FAST)
    monkeypatch.setenv("T_SLACK", f"http://127.0.0.1:{port}/slack")
    history, now = failing(tmp_path)
    outcome = dispatch.evaluate(profile, history.path, now, "r1")
    assert record(history.path, "chat") == [("opened", "failed", 3)]
    assert any("not delivered: the connection broke while connecting" in line for line in outcome.failed), (
        outcome.failed
    )


def test_two_answers_to_one_request_count_once(http, monkeypatch, tmp_path):
    http.hostile["/slack"] = "double"
    profile = make_profile(http, monkeypatch, tmp_path, **FAST)
    history, now = failing(tmp_path)
    dispatch.evaluate(profile, history.path, now, "r1")
    dispatch.evaluate(profile, history.path, now + timedelta(minutes=5), "r2")
    assert len(http.got("/slack")) == 1 and record(history.path, "chat") == [("opened", "sent", 1)]


def test_the_run_budget_bounds_alerting_channels_in_parallel_and_says_what_was_not_sent(http, monkeypatch, tmp_path):
    """Every channel hangs; five incidents. With a 3.5 s budget and 1.5 s deadlines each channel
    gets through two or three messages, all channels at once, and the rest are recorded as not
    sent and go out next run."""
    for prefix in ("/slack", "/hook", "/repos"):
        http.hostile[prefix] = "hang"
    profile = make_profile(http, monkeypatch, tmp_path, delivery_budget_s=3.5, **FAST)
    history = History(tmp_path / "h.sqlite")
    for _ in range(2):
        now = history.run("fail")
        with AlertState(history.path) as state:  # four more failing checks in the same runs
            for n in range(4):
                state.history.add(
                    CheckResult(
                        "health",
                        f"svc{n}",
                        Verdict.FAIL,
                        "down",
                        target="t",
                        path="/h",
                        run_id=f"run-{history.n - 1:02d}",
                        suite="smoke",
                    ),
                    n + 1,
                )
    outcome = dispatch.evaluate(profile, history.path, now, "r1")
    for channel, prefix in (("chat", "/slack"), ("sms", "/hook")):
        rows = record(history.path, channel)
        tried = [r for r in rows if r[1] == "unconfirmed"]
        untried = [r for r in rows if r[1] == "failed"]  # not sent, or cut by the budget before it was written
        assert len(rows) == 5 and 1 <= len(tried) <= 3 and len(tried) + len(untried) == 5, rows
        assert len(http.got(prefix)) == len(tried), "the receiver got exactly what the monitor says it sent"
    not_sent = [line for line in outcome.failed if "alerting budget (3.5 s) was spent" in line]
    assert len(not_sent) >= 4, outcome.failed
    http.hostile.clear()
    dispatch.evaluate(profile, history.path, now + timedelta(minutes=5), "r2")
    assert len(http.keys("/hook")) == 5 and {r[1] for r in record(history.path, "sms")} <= {"sent", "unconfirmed"}


def test_smtp_that_never_confirms_the_data_is_unconfirmed_one_that_never_greets_not_delivered(
    http, monkeypatch, tmp_path
):
    smtp = SmtpReceiver(tmp_path)
    release = asyncio.Event()
    handler = smtp.controller.handler

    async def hold(server, session, envelope):
        smtp.messages.append(envelope.content)
        await asyncio.wait_for(release.wait(), 30)
        return "250 OK"

    handler.handle_DATA = hold
    try:
        profile = make_profile(http, monkeypatch, tmp_path, smtp=smtp, **FAST)
        history, now = failing(tmp_path)
        outcome = dispatch.evaluate(profile, history.path, now, "r1")
        assert len(smtp.messages) == 1 and record(history.path, "mail") == [("opened", "unconfirmed", 1)]
        assert any("-> mail (email)" in line and "the server may have it" in line for line in outcome.unconfirmed)
        smtp.controller.loop.call_soon_threadsafe(release.set)  # the server answers again: still never sent twice
        dispatch.evaluate(profile, history.path, now + timedelta(minutes=5), "r2")
        assert len(smtp.messages) == 1 and record(history.path, "mail") == [("opened", "unconfirmed", 1)]
    finally:
        smtp.controller.loop.call_soon_threadsafe(release.set)
        smtp.stop()
    with socket.socket() as silent:  # accepts, never says a word
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        profile = changed(profile, 3, port=silent.getsockname()[1])
        history2 = History(tmp_path / "h2.sqlite")
        for _ in range(2):
            now = history2.run("fail")
        outcome = dispatch.evaluate(profile, history2.path, now, "r1")
    assert record(history2.path, "mail") == [("opened", "failed", 3)]
    assert any("-> mail (email)" in line and "not delivered" in line for line in outcome.failed), outcome.failed


KILLED_JOB = """
import os, signal, sys
from datetime import datetime
sys.path[:0] = {paths!r}
from test_alerts import make_profile
from test_alert_delivery import changed
from monitor.alerts import dispatch
from monitor.alerts.state import AlertState

class Env:
    def setenv(self, k, v): os.environ[k] = v
    def delenv(self, k): os.environ.pop(k)
class Http:
    url = {url!r}
def die(*args, **kwargs):
    os.kill(os.getpid(), signal.SIGKILL)
AlertState.finish = die  # killed once the receivers answered, before anything was recorded
profile = changed(make_profile(Http(), Env(), None, **{fast!r}), 1, idempotent=True)
dispatch.evaluate(profile, {history!r}, datetime.fromisoformat({now!r}), "killed", log_dir={log!r})
"""


def test_a_job_killed_between_send_and_record_costs_at_most_one_copy(http, monkeypatch, tmp_path):
    """The claim stays; after its lease another run takes it over: Slack gets a second copy (the
    stated worst case), GitHub finds its issue by the marker, the idempotent webhook repeats its key."""
    history, now = failing(tmp_path)
    log = tmp_path / "text"
    script = KILLED_JOB.format(
        paths=[str(ROOT / "selftests"), str(ROOT / "selftests" / "unit")],
        url=http.url,
        fast=FAST,
        history=str(history.path),
        now=now.isoformat(),
        log=str(log),
    )
    killed = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert (len(http.got("/slack")), len(http.got("/hook")), len(http.issues)) == (1, 1, 1)
    assert {r[1] for r in record(history.path, "chat")} == {"sending"}
    # The next job is on another runner: a fresh SQLite file, its alert state from the text alone.
    fresh = tmp_path / "fresh.sqlite"
    shutil.copy(history.path, fresh)
    with sqlite3.connect(fresh) as db:
        db.execute("DELETE FROM alert_deliveries")
        db.execute("DELETE FROM alert_meta")
    with AlertState(fresh, log=AlertLog(log)) as state:
        assert state.load("t") == []
    history.path = fresh
    assert {r[1] for r in record(history.path, "chat")} == {"sending"}, "the claim came back from the text"
    profile = changed(make_profile(http, monkeypatch, tmp_path, **FAST), 1, idempotent=True)
    dispatch.evaluate(profile, history.path, now + timedelta(seconds=CLAIM_LEASE_S - 60), "early", log_dir=log)
    assert len(http.got("/slack")) == 1, "a live claim is left alone"
    outcome = dispatch.evaluate(
        profile, history.path, now + timedelta(seconds=CLAIM_LEASE_S + 60), "later", log_dir=log
    )
    assert all("taken over from killed" in line for line in outcome.sent) and len(outcome.sent) == 3
    assert len(http.got("/slack")) == 2, "Slack: the one duplicate docs/alerting.md states"
    assert len(http.got("/hook")) == 2 and len(http.keys("/hook")) == 1, "the webhook: one message by its key"
    assert len(http.issues) == 1, "GitHub: the issue was found by its marker, not opened twice"
    for channel in ("chat", "sms", "issues"):
        assert record(history.path, channel) == [("opened", "sent", 1)]
    dispatch.evaluate(profile, history.path, now + timedelta(hours=1), "after", log_dir=log)
    assert (len(http.got("/slack")), len(http.got("/hook")), len(http.issues)) == (2, 2, 1)
    assert http.issues[1]["title"] == OPENED


def test_secrets_come_from_the_environment_then_from_one_json_variable_by_the_profiles_names(
    http, monkeypatch, tmp_path
):
    profile = make_profile(http, monkeypatch, tmp_path)
    bundle = {"T_SLACK": f"{http.url}/bundled", "github_token": "gh-from-actions", "UNRELATED": "x"}
    env = {"SLURPY_SECRETS": json.dumps(bundle), "T_HOOK": f"{http.url}/from-env"}
    profile = profile.model_copy(update={"secrets": {**profile.secrets, "gh": "GITHUB_TOKEN"}})
    secrets = Secrets(profile, env=env)
    assert secrets.get("slack") == f"{http.url}/bundled"
    assert secrets.get("hook") == f"{http.url}/from-env", "a variable set directly wins"
    assert secrets.get("gh") == "gh-from-actions", "GitHub's own token, as toJSON(secrets) spells it"
    with pytest.raises(MissingSecret, match="set environment variable T_PING"):
        secrets.get("ping")
    with pytest.raises(MissingSecret):
        Secrets(profile, env={"SLURPY_SECRETS": "not json"}).get("slack")


def test_the_heartbeat_says_status_counts_and_the_run_link_only():
    body = dispatch.heartbeat_body(
        "run r1 on production", {"pass": 9, "fail": 1, "skip": 0}, "https://github.com/acme/mon/actions/runs/1"
    )
    assert body == "FAIL run r1 on production: 9 pass, 1 fail\nrun: https://github.com/acme/mon/actions/runs/1"
    assert dispatch.heartbeat_body("run r2 on production", {"pass": 3}, "") == "OK run r2 on production: 3 pass"


def test_a_text_copy_that_cannot_be_written_costs_the_copy_not_the_alert(http, monkeypatch, tmp_path):
    profile = make_profile(http, monkeypatch, tmp_path, **FAST)
    history, now = failing(tmp_path)
    blocked = tmp_path / "text"
    blocked.write_text("a file where the folder should be")
    outcome = dispatch.evaluate(profile, history.path, now, "r1", log_dir=blocked)
    assert len(http.got("/slack")) == 1 and len(outcome.sent) == 3
    [problem] = [line for line in outcome.failed if "alert state not kept as text" in line]
    assert "the next job will not know what this one sent" in problem
