"""Alert policy, delivery state and channels against real local receivers (an HTTP server that
records what it got, GitHub's issues API included, and an SMTP server with STARTTLS): incidents
open after N failed runs and resolve after M passes, each message goes once per channel however
often or concurrently runs evaluate, a receiver that was down gets the message late but once."""
from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from receivers import HttpReceiver, SmtpReceiver

from monitor.alerts import dispatch, policy
from monitor.alerts.state import AlertState
from monitor.history.schedule import Slot
from monitor.history.store import HistoryStore, RunInfo
from monitor.profile import AlertPolicy, Profile
from monitor.results import CheckResult, Verdict

T0 = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
CHECK = "health:backend:/health/healthz"


def obs(n: int, verdict: str, check: str = CHECK) -> policy.Observation:
    return policy.Observation(f"run-{n:02d}", T0 + timedelta(minutes=5 * n), check, Verdict(verdict), f"run {n}: {verdict}")


def verdicts(sequence: str) -> list[policy.Observation]:
    names = {"F": "fail", "P": "pass", "K": "flaky", "W": "warn", "S": "skip", "E": "error"}
    return [obs(n, names[c]) for n, c in enumerate(sequence)]


def spans(sequence: str, **settings) -> list[tuple[str, str | None, str]]:
    return [(i.opened_run, i.resolved_run or None, i.severity)
            for i in policy.incidents(AlertPolicy(**settings), "t", verdicts(sequence))]


def test_one_failure_opens_nothing_two_open_two_passes_resolve():
    assert spans("PFPFP") == []
    assert spans("PFFPP") == [("run-02", "run-04", "critical")]
    assert spans("FFPFPP") == [("run-01", "run-05", "critical")]  # a failure between passes restarts the count
    assert spans("FFFFP") == [("run-01", None, "critical")]


def test_flaky_counts_as_a_pass_and_is_counted():
    [incident] = policy.incidents(AlertPolicy(), "t", verdicts("FFKP"))
    assert (incident.resolved_run, incident.flaky_runs, incident.failed_runs) == ("run-03", 1, 2)


def test_skips_and_monitor_errors_neither_break_nor_extend_a_streak():
    assert spans("FEF") == [("run-02", None, "critical")]
    assert spans("FFPSEP") == [("run-01", "run-05", "critical")]


def test_thresholds_and_severity_come_from_the_policy():
    assert spans("FFFPPP", open_after=3, resolve_after=3) == [("run-02", "run-05", "critical")]
    assert spans("WWPP") == [("run-01", "run-03", "warning")]
    assert spans("WW", warn_severity="none") == []
    assert spans("FF", severity={"health:*": "warning"}) == [("run-01", None, "warning")]
    assert spans("WWFF") == [("run-01", None, "critical")]  # a warning that becomes an outage


def test_missed_runs_open_after_consecutive_empty_slots_and_resolve_on_the_next_run():
    slots = [Slot(T0 + timedelta(minutes=5 * i), T0 + timedelta(minutes=5 * i + 5), "*/5 * * * *", run_ids=ids)
             for i, ids in enumerate([["a"], [], ["b"], [], [], [], ["c"]])]
    [incident] = policy.missed_run_incidents(AlertPolicy(), "t", "smoke", slots)
    assert (incident.check_id, incident.since, incident.resolved_run, incident.failed_runs) == \
        ("missed-runs:smoke", T0 + timedelta(minutes=15), "c", 3)
    assert "3 expected runs missed" in incident.last_error


# delivery, against real receivers


@pytest.fixture
def http():
    receiver = HttpReceiver.start()
    yield receiver
    receiver.stop()


def make_profile(http: HttpReceiver, monkeypatch, tmp_path: Path, smtp: SmtpReceiver | None = None, **alerts) -> Profile:
    monkeypatch.setenv("T_SLACK", f"{http.url}/slack")
    monkeypatch.setenv("T_HOOK", f"{http.url}/hook")
    monkeypatch.setenv("T_GH", "gh-token-123")
    monkeypatch.setenv("T_PING", f"{http.url}/ping/abc")
    channels = [{"name": "chat", "kind": "slack", "url_secret": "slack"},
                {"name": "sms", "kind": "webhook", "url_secret": "hook", "min_severity": "critical"},
                {"name": "issues", "kind": "github", "repo": "acme/status", "token_secret": "gh", "api_url": http.url}]
    if smtp is not None:
        monkeypatch.setenv("T_SMTP_USER", smtp.user)
        monkeypatch.setenv("T_SMTP_PASSWORD", smtp.password)
        channels.append({"name": "mail", "kind": "email", "host": "127.0.0.1", "port": smtp.port,
                         "username_secret": "smtp_user", "password_secret": "smtp_password", "sender": "monitor@x.test",
                         "to": ["oncall@x.test"], "ca_file": str(smtp.ca_file)})
    return Profile.model_validate({
        "name": "t", "services": {"backend": {"base_url": "https://api.example.test", "latency_ms": 500,
                                             "health": [{"path": "/health/healthz"}]}},
        "secrets": {"slack": "T_SLACK", "hook": "T_HOOK", "gh": "T_GH", "ping": "T_PING",
                    "smtp_user": "T_SMTP_USER", "smtp_password": "T_SMTP_PASSWORD"},
        "alerts": {"channels": channels, "heartbeat_secret": "ping", "delivery_backoff_s": 0, **alerts}})


class History:
    def __init__(self, path: Path):
        self.path, self.n = path, 0

    def run(self, verdict: str, at: datetime | None = None) -> datetime:
        started = at or T0 + timedelta(minutes=5 * self.n)
        run_id = f"run-{self.n:02d}"
        self.n += 1
        with HistoryStore(self.path) as store:
            store.begin_run(RunInfo(run_id, "t", started.isoformat(timespec="milliseconds")))
            store.add(CheckResult("health", "backend", Verdict(verdict), f"backend health {verdict}", target="t",
                                  url="https://api.example.test/health/healthz", path="/health/healthz",
                                  run_id=run_id, suite="smoke"), 0)
        return started


def kinds(http: HttpReceiver, prefix: str) -> list[str]:
    return [r.json["kind"] for r in http.got(prefix)]


def test_exact_sequence_per_channel_opened_reminder_resolved(http, monkeypatch, tmp_path):
    profile = make_profile(http, monkeypatch, tmp_path, remind_every_h=1)
    history = History(tmp_path / "h.sqlite")
    now = None
    for verdict in ["pass", "fail"]:
        now = history.run(verdict)
        dispatch.evaluate(profile, history.path, now, "r")
    assert http.got("/slack") == [] and http.got("/repos") == []  # one failure: nothing
    now = history.run("fail")
    outcome = dispatch.evaluate(profile, history.path, now, "r")
    assert kinds(http, "/hook") == ["opened"]
    assert http.got("/slack")[0].json["text"].startswith(f"[CRITICAL] t: {CHECK} failing")
    assert "last error: backend health fail" in http.got("/slack")[0].json["text"]
    assert http.issues[1]["title"] == f"[CRITICAL] t: {CHECK} failing" and http.issues[1]["labels"] == ["slurpy-monitor"]
    assert http.got("/repos")[0].headers["Authorization"] == "Bearer gh-token-123"
    assert len(outcome.sent) == 3 and outcome.failed == []
    dispatch.evaluate(profile, history.path, now + timedelta(minutes=1), "r")  # the same state again: nothing new
    assert kinds(http, "/hook") == ["opened"]
    dispatch.evaluate(profile, history.path, now + timedelta(minutes=70), "r")  # an hour open: a reminder
    dispatch.evaluate(profile, history.path, now + timedelta(minutes=80), "r")
    assert kinds(http, "/hook") == ["opened", "reminder"]
    assert len(http.issues[1]["comments"]) == 1
    for verdict in ["pass", "pass"]:
        now = history.run(verdict, at=now + timedelta(minutes=90))
        dispatch.evaluate(profile, history.path, now, "r")
    dispatch.evaluate(profile, history.path, now + timedelta(minutes=5), "r")
    assert kinds(http, "/hook") == ["opened", "reminder", "resolved"]
    assert [r.json["text"].split("\n")[0] for r in http.got("/slack")] == [
        f"[CRITICAL] t: {CHECK} failing", f"[CRITICAL] t: {CHECK} still failing", f"[RESOLVED] t: {CHECK} passes again"]
    assert http.issues[1]["state"] == "closed" and len(http.issues[1]["comments"]) == 2 and len(http.issues) == 1


def test_severity_filter_sends_warnings_only_where_asked(http, monkeypatch, tmp_path):
    profile = make_profile(http, monkeypatch, tmp_path)
    history = History(tmp_path / "h.sqlite")
    for _ in range(2):
        now = history.run("warn")
    dispatch.evaluate(profile, history.path, now, "r")
    assert kinds(http, "/hook") == [] and len(http.got("/slack")) == 1  # the SMS webhook is critical-only
    assert http.got("/slack")[0].json["text"].startswith("[WARNING]")


def test_receiver_down_then_up_gets_the_message_late_but_once(http, monkeypatch, tmp_path):
    profile = make_profile(http, monkeypatch, tmp_path, delivery_attempts=2)
    history = History(tmp_path / "h.sqlite")
    http.down = True
    for _ in range(2):
        now = history.run("fail")
    outcome = dispatch.evaluate(profile, history.path, now, "r")
    assert http.received == []
    assert len(outcome.failed) == 3 and "after 2 attempt(s): HTTP 503" in outcome.failed[0]
    with AlertState(history.path) as state:
        assert {(d.channel, d.state, d.attempts) for d in state.all()} == {
            ("chat", "failed", 2), ("sms", "failed", 2), ("issues", "failed", 2)}
    now = history.run("fail")
    dispatch.evaluate(profile, history.path, now, "r")  # still down: nothing, no duplicate rows
    http.down = False
    now = history.run("fail")
    outcome = dispatch.evaluate(profile, history.path, now, "r")
    assert kinds(http, "/hook") == ["opened"] and len(http.got("/slack")) == 1 and len(http.issues) == 1
    assert all("earlier attempt(s) failed" in line for line in outcome.sent)
    dispatch.evaluate(profile, history.path, now + timedelta(minutes=1), "r")
    assert kinds(http, "/hook") == ["opened"]


def test_overlapping_evaluations_send_each_message_once(http, monkeypatch, tmp_path):
    profile = make_profile(http, monkeypatch, tmp_path)
    history = History(tmp_path / "h.sqlite")
    for _ in range(2):
        now = history.run("fail")
    threads = [threading.Thread(target=dispatch.evaluate, args=(profile, history.path, now, f"r{i}")) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert kinds(http, "/hook") == ["opened"] and len(http.got("/slack")) == 1 and len(http.issues) == 1


def test_bad_credentials_are_not_retried_within_the_run_but_are_next_run(http, monkeypatch, tmp_path):
    profile = make_profile(http, monkeypatch, tmp_path)
    monkeypatch.delenv("T_HOOK")
    history = History(tmp_path / "h.sqlite")
    for _ in range(2):
        now = history.run("fail")
    outcome = dispatch.evaluate(profile, history.path, now, "r")
    [failed] = outcome.failed
    assert "sms (webhook) after 1 attempt(s): secret 'hook' missing: set environment variable T_HOOK" in failed
    monkeypatch.setenv("T_HOOK", f"{http.url}/hook")
    dispatch.evaluate(profile, history.path, now + timedelta(minutes=1), "r")
    assert kinds(http, "/hook") == ["opened"]


def test_maintenance_suppresses_alerts_and_what_is_still_wrong_after_it_is_alerted(http, monkeypatch, tmp_path):
    window = {"start": T0.isoformat(), "end": (T0 + timedelta(hours=1)).isoformat(), "checks": ["health:*"],
              "reason": "database upgrade"}
    profile = make_profile(http, monkeypatch, tmp_path, maintenance=[window])
    history = History(tmp_path / "h.sqlite")
    for _ in range(3):
        now = history.run("fail")
    outcome = dispatch.evaluate(profile, history.path, now, "r")
    assert http.received == [] and outcome.suppressed == [f"{CHECK}: database upgrade"]
    dispatch.evaluate(profile, history.path, T0 + timedelta(hours=1), "r")
    assert kinds(http, "/hook") == ["opened"]


def test_an_incident_over_inside_a_maintenance_window_is_never_sent(http, monkeypatch, tmp_path):
    window = {"start": T0.isoformat(), "end": (T0 + timedelta(hours=1)).isoformat()}
    profile = make_profile(http, monkeypatch, tmp_path, maintenance=[window])
    history = History(tmp_path / "h.sqlite")
    for verdict in ["fail", "fail", "pass", "pass"]:
        dispatch.evaluate(profile, history.path, history.run(verdict), "r")
    dispatch.evaluate(profile, history.path, T0 + timedelta(hours=2), "r")
    assert http.received == []


def test_email_over_starttls_with_login(http, monkeypatch, tmp_path):
    smtp = SmtpReceiver(tmp_path)
    try:
        profile = make_profile(http, monkeypatch, tmp_path, smtp=smtp)
        history = History(tmp_path / "h.sqlite")
        for verdict in ["fail", "fail", "pass", "pass"]:
            dispatch.evaluate(profile, history.path, history.run(verdict), "r")
        assert [m["Subject"] for m in smtp.messages] == [f"[CRITICAL] t: {CHECK} failing",
                                                          f"[RESOLVED] t: {CHECK} passes again"]
        assert smtp.messages[0]["To"] == "oncall@x.test" and "last error: backend health fail" in \
            smtp.messages[0].get_payload()
        monkeypatch.setenv("T_SMTP_PASSWORD", "wrong")
        for verdict in ["fail", "fail"]:
            outcome = dispatch.evaluate(profile, history.path, history.run(verdict), "r")
        assert any("mail (email) after 1 attempt(s): SMTP login refused" in line for line in outcome.failed), outcome.failed
    finally:
        smtp.stop()


def test_heartbeat_pings_the_dead_mans_switch(http, monkeypatch, tmp_path):
    profile = make_profile(http, monkeypatch, tmp_path)
    assert dispatch.heartbeat(profile, "run r: 3 checks") is None
    [ping] = http.got("/ping/abc")
    assert ping.body == b"run r: 3 checks"
    http.down = True
    assert "heartbeat not delivered after 3 attempt(s): HTTP 503" in dispatch.heartbeat(profile, "x")


def test_missed_scheduled_runs_raise_their_own_alert(http, monkeypatch, tmp_path):
    profile = make_profile(http, monkeypatch, tmp_path)
    path = tmp_path / "h.sqlite"
    with HistoryStore(path) as store:
        for i in (0, 1, 5):  # runs at 10:00, 10:05, then nothing until 10:25
            run_id = f"run-{i}"
            store.begin_run(RunInfo(run_id, "t", (T0 + timedelta(minutes=5 * i)).isoformat(), schedule="*/5 * * * *"))
            store.add(CheckResult("health", "backend", Verdict.PASS, "ok", target="t", run_id=run_id, suite="smoke"), 0)
    dispatch.evaluate(profile, path, T0 + timedelta(minutes=26), "r")
    assert kinds(http, "/hook") == [] and http.got("/slack") == []  # the gap is over: 3 missed, then a run
    with AlertState(path) as state:  # ... but alerting started after it was over
        assert state.all() == []
    dispatch.evaluate(profile, path, T0 + timedelta(minutes=41), "r")  # 10:30, 10:35 missed, still open
    [hook] = http.got("/hook")
    assert (hook.json["kind"], hook.json["check_id"]) == ("opened", "missed-runs:smoke")
    assert "no smoke run since 2026-11-27 10:30 UTC: 2 expected runs missed" in hook.json["last_error"]


def test_burn_rate_alerts_come_from_the_slo_figures_fast_pages_slow_warns_and_both_resolve(http, monkeypatch, tmp_path):
    """The SLO tests' scripted history (three 500s from 11:00, a dropped 11:15 run, healthy again
    from 11:20): at 11:15 both of the workbook's alerts fire on backend; at noon neither does, and
    what was announced resolves."""
    from scripted_history import history_lines
    from test_slo import NOON, scripted

    profile = make_profile(http, monkeypatch, tmp_path)
    profile = profile.model_copy(update={"name": "production"})
    history = tmp_path / "h.sqlite"
    with HistoryStore(history) as store:
        store.import_lines(history_lines(scripted()), "scripted")
    during = datetime(2026, 3, 10, 11, 15, tzinfo=UTC)
    with AlertState(history) as state:
        state.enabled_since(during - timedelta(hours=2))
        fired = {i.check_id: i.severity for i in dispatch.burn_incidents(profile, state, during)}
    assert fired == {"burn:page-fast:backend": "critical", "burn:page-slow:backend": "warning"}
    outcome = dispatch.evaluate(profile, history, during, "t1")
    assert {(r.json["check_id"], r.json["kind"]) for r in http.got("/hook")} >= {("burn:page-fast:backend", "opened")}
    assert ("burn:page-slow:backend", "opened") not in {(r.json["check_id"], r.json["kind"]) for r in http.got("/hook")}, \
        "the slow burn is a warning: the critical-only channel does not get it"
    chat = [r.json["text"].splitlines()[0] for r in http.got("/slack")]
    assert "[WARNING] production: burn:page-slow:backend failing" in chat, chat
    dispatch.evaluate(profile, history, NOON, "t2")
    chat = [r.json["text"].splitlines()[0] for r in http.got("/slack")]
    assert {"[RESOLVED] production: burn:page-fast:backend passes again",
            "[RESOLVED] production: burn:page-slow:backend passes again"} <= set(chat), outcome.lines()
