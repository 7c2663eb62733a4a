"""Alert policy, delivery state and channels against real local receivers (an HTTP server that
records what it got, GitHub's issues API included, and an SMTP server with STARTTLS): incidents
open after N failed runs and resolve after M passes, each message goes once per channel however
often or concurrently runs evaluate, a receiver that was down gets the message late but once."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from monitor.alerts import dispatch, policy
from monitor.alerts.state import AlertState
from monitor.history.observation import Observation
from monitor.history.schedule import Slot
from monitor.history.store import HistoryStore, RunInfo
from monitor.profile import AlertPolicy, Profile
from monitor.results import Category, CheckResult, Verdict
from testkit.receivers import HttpReceiver, SmtpReceiver

T0 = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
CHECK = "health:backend:/health/healthz"
CAUSE = "backend health /health/healthz failing: backend health fail"
OPENED = f"[CRITICAL] t: {CAUSE}"
RESOLVED = f"[RESOLVED] t: backend recovered (was: {CAUSE})"


def obs(n: int, verdict: str, check: str = CHECK) -> Observation:
    at = T0 + timedelta(minutes=5 * n)
    kind = check.split(":")[0]
    return Observation(
        f"run-{n:02d}", at, "", "smoke", check, kind, "", Verdict(verdict), None, at, message=f"run {n}: {verdict}"
    )


def verdicts(sequence: str) -> list[Observation]:
    names = {"F": "fail", "P": "pass", "K": "flaky", "W": "warn", "S": "skip", "E": "error"}
    return [obs(n, names[c]) for n, c in enumerate(sequence)]


def spans(sequence: str, **settings) -> list[tuple[str, str | None, str]]:
    return [
        (i.opened_run, i.resolved_run or None, i.severity)
        for i in policy.incidents(AlertPolicy(**settings), "t", verdicts(sequence))
    ]


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
    slots = [
        Slot(T0 + timedelta(minutes=5 * i), T0 + timedelta(minutes=5 * i + 5), "*/5 * * * *", run_ids=ids)
        for i, ids in enumerate([["a"], [], ["b"], [], [], [], ["c"]])
    ]
    [incident] = policy.missed_run_incidents(AlertPolicy(), "t", "smoke", slots)
    assert (incident.check_id, incident.since, incident.resolved_run, incident.failed_runs) == (
        "missed-runs:smoke",
        T0 + timedelta(minutes=15),
        "c",
        3,
    )
    assert "3 expected runs missed" in incident.last_error


# one incident per outage


API = "https://api.example.test"
REFUSED = "expected an answer, could not connect: [Errno 111] Connection refused (after 3 attempt(s))"


def record(
    n: int, check_id: str, verdict: str, category: str | None = None, text: str = "", problems: tuple[str, ...] = ()
) -> Observation:
    """What run n (every 5 minutes from 10:00) recorded for one check, its message as the checks write it."""
    kind, service, path = (check_id.split(":") + [""])[:3]
    url = API + path if kind != "tls" else API
    head = f"{service} {kind} {'FAILED' if verdict == 'fail' else 'ok'}" + (f" [{category}]" if category else "")
    at = T0 + timedelta(minutes=5 * n)
    return Observation(
        f"run-{n:02d}",
        at,
        "",
        "smoke",
        check_id,
        kind,
        service,
        Verdict(verdict),
        category,
        at,
        message=f"{head}: {url}: {text or verdict}",
        url=url,
        problems=problems,
    )


def crashed(n: int) -> list[Observation]:
    return [record(n, c, "fail", "connect", REFUSED) for c in (CHECK, "latency:backend", "tls:backend")]


def healthy(n: int) -> list[Observation]:
    return [record(n, c, "pass") for c in (CHECK, "latency:backend", "tls:backend")]


def degraded(n: int, slow: bool = False) -> list[Observation]:
    """The backend answers but its health body names a failing dependency; ``slow``: its latency fails too."""
    return [
        record(
            n,
            CHECK,
            "fail",
            "body",
            "failing dependencies: qdrant; expected ok == true, got false",
            ("failing dependencies: qdrant", "expected ok == true, got false"),
        ),
        record(n, "latency:backend", "fail", "latency", "median 900 ms over 500 ms")
        if slow
        else record(n, "latency:backend", "pass"),
        record(n, "tls:backend", "pass"),
    ]


# The act rehearsal of monitor.yml: crashed 1-2, healthy 3-4, degraded 5-6, degraded and slow 7-8, healthy 9-10.
SECOND_OUTAGE = [
    *crashed(1),
    *crashed(2),
    *healthy(3),
    *healthy(4),
    *degraded(5),
    *degraded(6),
    *degraded(7, slow=True),
    *degraded(8, slow=True),
    *healthy(9),
    *healthy(10),
]


def test_a_second_outage_of_a_service_is_its_own_incident_as_the_runs_arrive():
    def as_of(n: int) -> list[tuple[str, str, str, list[str]]]:
        seen = [o for o in SECOND_OUTAGE if o.run_id <= f"run-{n:02d}"]
        return [
            (i.key, i.opened_run, i.resolved_run, [u.run_id for u in i.updates])
            for i in policy.outages(AlertPolicy(), "t", "backend", seen)
        ]

    crash: tuple[str, str, str, list[str]] = ("t|backend|run-01", "run-02", "run-04", [])
    assert as_of(7) == [crash, ("t|backend|run-05", "run-06", "", [])]
    assert as_of(10) == [crash, ("t|backend|run-05", "run-06", "run-10", ["run-08"])]


def test_a_crashed_backend_is_one_incident_named_by_its_cause():
    runs = healthy(0) + crashed(1) + crashed(2) + crashed(3) + healthy(4) + healthy(5)
    [outage] = policy.outages(AlertPolicy(), "t", "backend", runs)
    assert outage.cause == "backend unreachable: connection refused" and outage.also == ["latency", "tls"]
    assert (outage.opened_run, outage.resolved_run, outage.failed_runs) == ("run-02", "run-05", 3)
    assert outage.checks == [CHECK, "latency:backend", "tls:backend"] and outage.updates == []
    assert outage.last_error.startswith("backend health FAILED [connect]")
    assert outage.key == "t|backend|run-01"


def test_a_new_different_problem_in_an_open_incident_is_one_update():
    """The frontend's secrets check is red for a Stripe test key (run 1 on); from run 4 a live key
    leaks too: announced once it was seen twice in a row (run 5), never swallowed, never twice.
    Sizes and counts that change between runs are not new problems."""
    check = "secrets:frontend"
    old = "Stripe secret sk_test_…1234 in /static/app.js"
    new = "Stripe secret sk_live_…9f3a in /static/chunk-7.js"

    def scan(n: int, *found: str, files: int = 12) -> Observation:
        return record(n, check, "fail", "secret", f"scanned {files} files, {files * 31} kB; " + "; ".join(found), found)

    runs = [
        scan(1, old),
        scan(2, old, files=13),
        scan(3, old, files=14),
        scan(4, old, new),
        scan(5, new, old),
        scan(6, old, new),
        record(7, check, "pass"),
        record(8, check, "pass"),
    ]
    [outage] = policy.outages(AlertPolicy(), "t", "frontend", runs)
    assert outage.cause == f"frontend secrets failing [secret]: scanned 13 files, 403 kB; {old}"  # run 2 opened it
    [update] = outage.updates
    assert (update.run_id, update.text) == ("run-05", f"frontend secrets failing [secret]: {new}")
    assert "sk_live_…9f3a" in update.detail and outage.resolved_run == "run-08"
    once = policy.outages(AlertPolicy(), "t", "frontend", [*runs[:3], scan(4, old, new), scan(5, old), scan(6, old)])
    assert once[0].updates == [], "seen in one run only: not yet a problem to wake anyone for"


def test_a_slow_service_that_then_stops_answering_gets_worse():
    slow = [record(n, "latency:backend", "fail", "latency", "median 900 ms over 500 ms") for n in (1, 2, 3)]
    runs = [*slow, *crashed(4), *crashed(5), *crashed(6)]
    [outage] = policy.outages(AlertPolicy(), "t", "backend", runs)
    assert outage.cause == "backend latency failing [latency]: median 900 ms over 500 ms"
    assert [(u.run_id, u.text) for u in outage.updates] == [("run-05", "backend unreachable: connection refused")]
    assert outage.updates[0].detail.startswith("backend health FAILED [connect]")  # the health check tells it


def test_a_service_that_flaps_between_refusing_and_hanging_is_not_worse_each_time():
    hung = "expected an answer, no complete answer within the 10 s deadline: ReadTimeout (after 1 attempt(s))"
    runs = [*crashed(1), *crashed(2)] + [record(n, CHECK, "fail", "timeout", hung) for n in (3, 4, 5)] + crashed(6)
    [outage] = policy.outages(AlertPolicy(), "t", "backend", runs)
    assert outage.updates == []


@pytest.mark.parametrize("first", [2, 3], ids=["failing when it opened", "failing after"])
def test_another_check_of_the_service_is_listed_when_it_opened_or_an_update_after(first):
    headers = [record(n, "headers:backend:/", "fail", "headers", "no HSTS") for n in range(first, 6)]
    [outage] = policy.outages(AlertPolicy(), "t", "backend", crashed(1) + crashed(2) + crashed(3) + headers)
    assert outage.cause == "backend unreachable: connection refused"
    if first == 2:
        assert outage.also == ["latency", "tls", "headers /"] and outage.updates == []
    else:
        assert outage.also == ["latency", "tls"]
        assert [(u.run_id, u.text) for u in outage.updates] == [
            ("run-04", "backend headers / failing [headers]: no HSTS")
        ]


# delivery, against real receivers


@pytest.fixture
def http():
    receiver = HttpReceiver.start()
    yield receiver
    receiver.stop()


def make_profile(
    http: HttpReceiver, monkeypatch, tmp_path: Path, smtp: SmtpReceiver | None = None, **alerts
) -> Profile:
    monkeypatch.setenv("T_SLACK", f"{http.url}/slack")
    monkeypatch.setenv("T_HOOK", f"{http.url}/hook")
    monkeypatch.setenv("T_GH", "gh-token-123")
    monkeypatch.setenv("T_PING", f"{http.url}/ping/abc")
    channels: list[dict[str, Any]] = [
        {"name": "chat", "kind": "slack", "url_secret": "slack"},
        {"name": "sms", "kind": "webhook", "url_secret": "hook", "min_severity": "critical"},
        {"name": "issues", "kind": "github", "repo": "acme/status", "token_secret": "gh", "api_url": http.url},
    ]
    if smtp is not None:
        monkeypatch.setenv("T_SMTP_USER", smtp.user)
        monkeypatch.setenv("T_SMTP_PASSWORD", smtp.password)
        channels.append(
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
            "secrets": {
                "slack": "T_SLACK",
                "hook": "T_HOOK",
                "gh": "T_GH",
                "ping": "T_PING",
                "smtp_user": "T_SMTP_USER",
                "smtp_password": "T_SMTP_PASSWORD",
            },
            "alerts": {"channels": channels, "heartbeat_secret": "ping", "delivery_backoff_s": 0, **alerts},
        }
    )


class History:
    def __init__(self, path: Path):
        self.path, self.n = path, 0

    def run(self, verdict: str, at: datetime | None = None) -> datetime:
        started = at or T0 + timedelta(minutes=5 * self.n)
        run_id = f"run-{self.n:02d}"
        self.n += 1
        with HistoryStore(self.path) as store:
            store.begin_run(RunInfo(run_id, "t", started.isoformat(timespec="milliseconds")))
            store.add(
                CheckResult(
                    "health",
                    "backend",
                    Verdict(verdict),
                    f"backend health {verdict}",
                    target="t",
                    url="https://api.example.test/health/healthz",
                    path="/health/healthz",
                    run_id=run_id,
                    suite="smoke",
                ),
                0,
            )
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
    assert http.got("/slack")[0].json["text"].startswith(OPENED)
    assert "last error: backend health fail" in http.got("/slack")[0].json["text"]
    assert http.issues[1]["title"] == OPENED and http.issues[1]["labels"] == ["slurpy-monitor"]
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
        OPENED,
        f"[CRITICAL] t: still open: {CAUSE}",
        RESOLVED,
    ]
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
            ("chat", "failed", 2),
            ("sms", "failed", 2),
            ("issues", "failed", 2),
        }
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
    window = {
        "start": T0.isoformat(),
        "end": (T0 + timedelta(hours=1)).isoformat(),
        "checks": ["health:*"],
        "reason": "database upgrade",
    }
    profile = make_profile(http, monkeypatch, tmp_path, maintenance=[window])
    history = History(tmp_path / "h.sqlite")
    for _ in range(3):
        now = history.run("fail")
    outcome = dispatch.evaluate(profile, history.path, now, "r")
    assert http.received == [] and outcome.suppressed == ["backend: database upgrade"]
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
        assert [" ".join(m["Subject"].split()) for m in smtp.messages] == [OPENED, RESOLVED]  # unfolded
        assert (
            smtp.messages[0]["To"] == "oncall@x.test"
            and "last error: backend health fail" in smtp.messages[0].get_payload()
        )
        monkeypatch.setenv("T_SMTP_PASSWORD", "wrong")
        for verdict in ["fail", "fail"]:
            outcome = dispatch.evaluate(profile, history.path, history.run(verdict), "r")
        assert any("mail (email) after 1 attempt(s): SMTP login refused" in line for line in outcome.failed), (
            outcome.failed
        )
    finally:
        smtp.stop()


def test_heartbeat_pings_the_dead_mans_switch(http, monkeypatch, tmp_path):
    profile = make_profile(http, monkeypatch, tmp_path)
    assert dispatch.heartbeat(profile, "run r: 3 checks") is None
    [ping] = http.got("/ping/abc")
    assert ping.body == b"run r: 3 checks"
    http.down = True
    assert "heartbeat not delivered after 3 attempt(s): HTTP 503" in (dispatch.heartbeat(profile, "x") or "")


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


def test_burn_rate_alerts_are_debounced_and_fold_into_the_outage_they_measure(http, monkeypatch, tmp_path):
    """The SLO tests' scripted history (three 500s from 11:00, a dropped 11:15 run, healthy again
    from 11:20), as it arrives. Each of the workbook's alerts opens only after two runs found it
    firing (page-slow at 11:00 and 11:05, page-fast at 11:05 and 11:10; alone, the 11:00 run
    opens nothing), and both measure the outage the health check opened at 11:05: one incident,
    its cause the health check, one opened and one resolved per channel, no burn message."""
    from testkit.scripted_history import NOON, history_lines, scripted

    profile = make_profile(http, monkeypatch, tmp_path).model_copy(update={"name": "production"})
    history = tmp_path / "h.sqlite"
    during = datetime(2026, 3, 10, 11, 15, tzinfo=UTC)
    rows = scripted()
    with HistoryStore(history) as store:
        store.import_lines(history_lines([o for o in rows if o.started < during]), "scripted")
    with AlertState(history) as state:
        state.enabled_since(during - timedelta(hours=2))
        burn = {i.check_id: (i.severity, i.opened_run) for i in dispatch.burn_incidents(profile, state, during)}
        first = datetime(2026, 3, 10, 11, 2, tzinfo=UTC)  # after the 11:00 run, the first to find it firing
        assert dispatch.burn_incidents(profile, state, first) == []
    assert burn == {"burn:page-fast:backend": ("critical", "r14"), "burn:page-slow:backend": ("warning", "r13")}
    dispatch.evaluate(profile, history, during, "t1")
    assert [(r.json["check_id"], r.json["kind"]) for r in http.got("/hook")] == [("backend", "opened")]
    opened = http.got("/slack")[0].json["text"].splitlines()[0]
    assert opened.startswith("[CRITICAL] production: backend health /health failing [http status]"), opened
    with HistoryStore(history) as store:
        store.import_lines(history_lines([o for o in rows if o.started >= during]), "scripted")
    dispatch.evaluate(profile, history, NOON, "t2")
    assert [(r.json["check_id"], r.json["kind"]) for r in http.got("/hook")] == [
        ("backend", "opened"),
        ("backend", "resolved"),
    ]
    assert [r.json["text"].splitlines()[0].split(":")[0] for r in http.got("/slack")] == [
        "[CRITICAL] production",
        "[RESOLVED] production",
    ]


def test_a_budget_burning_without_a_failing_streak_opens_its_own_incident_after_two_runs(http, monkeypatch, tmp_path):
    """Every other run fails (every 2 minutes, by hand): no check ever fails twice in a row, but
    the budget burns. The first evaluation whose figures (``slurpy-monitor uptime``'s) say
    page-fast fires sends nothing; the incident opens one run later, its cause the burn."""
    from monitor.slo.report import from_history

    profile = make_profile(http, monkeypatch, tmp_path)
    history = History(tmp_path / "h.sqlite")
    firing, sent = [], []
    for n in range(16):
        now = history.run("fail" if n % 2 else "pass", at=T0 + timedelta(minutes=2 * n))
        with HistoryStore(history.path) as store:
            firing.append(from_history(store, "t", profile.slo, now, ["backend"])[1].services[0].alerts[0].firing)
        dispatch.evaluate(profile, history.path, now, "r")
        sent.append(len(http.got("/hook")))
    # From 10:10 (the hour holds 10 minutes of known time) page-fast fires at every evaluation.
    assert firing == [False] * 5 + [True] * 11
    assert sent == [0] * 6 + [1] * 10  # opened at the second firing evaluation, once
    [opened] = http.got("/hook")
    assert opened.json["check_id"] == "backend" and opened.json["summary"] == (
        "backend: error budget burning at 500.0x over 1h (of 12 min known) and 600.0x over 5m (of 5 min known) "
        "(alert at 14.4x)"
    )


def store_run(path: Path, seen: list[Observation]) -> datetime:
    """Record one run's observations as the checks would (its problems in details); its start."""
    started = seen[0].started
    with HistoryStore(path) as store:
        store.begin_run(RunInfo(seen[0].run_id, "t", started.isoformat(timespec="milliseconds")))
        for seq, o in enumerate(seen):
            kind, service, check_path = (o.check_id.split(":") + [""])[:3]
            store.add(
                CheckResult(
                    kind,
                    service,
                    o.verdict,
                    o.message,
                    target="t",
                    url=o.url,
                    path=check_path,
                    category=Category(o.category) if o.category else None,
                    run_id=o.run_id,
                    suite="smoke",
                    details={"problems": list(o.problems)} if o.problems else {},
                ),
                seq,
            )
    return started


def test_a_second_outage_of_the_same_service_is_opened_worse_and_resolved_under_its_own_key(
    http, monkeypatch, tmp_path
):
    """The act rehearsal's ten runs, evaluated as each arrives. The crash's incident was announced
    and resolved; the later degraded backend's incident must not take over the crash's place (it
    was resolved at run 7 and its real end never told)."""
    profile = make_profile(http, monkeypatch, tmp_path)
    path = tmp_path / "h.sqlite"
    sent: list[tuple[int, str]] = []
    for n in range(1, 11):
        started = store_run(path, [o for o in SECOND_OUTAGE if o.run_id == f"run-{n:02d}"])
        dispatch.evaluate(profile, path, started + timedelta(seconds=30), "r")
        sent += [(n, r.json["kind"]) for r in http.got("/hook")[len(sent) :]]
    assert sent == [(2, "opened"), (4, "resolved"), (6, "opened"), (8, "worse"), (10, "resolved")]
    hooks = http.got("/hook")
    assert [h.json["incident"] for h in hooks] == ["t|backend|run-01"] * 2 + ["t|backend|run-05"] * 3
    crash = "backend unreachable: connection refused"
    sick = "backend health /health/healthz failing [body]: failing dependencies: qdrant; expected ok == true, got false"
    assert [r.json["text"].splitlines()[0] for r in http.got("/slack")] == [
        f"[CRITICAL] t: {crash}; also failing: latency, tls",
        f"[RESOLVED] t: backend recovered (was: {crash})",
        f"[CRITICAL] t: {sick}",
        "[CRITICAL] t: backend worse: backend latency failing [latency]: median 900 ms over 500 ms",
        f"[RESOLVED] t: backend recovered (was: {sick})",
    ]
    first, second = sorted(http.issues.values(), key=lambda i: i["title"])[::-1]
    assert (first["state"], len(first["comments"])) == ("closed", 1)
    assert (second["state"], len(second["comments"])) == ("closed", 2)


def test_an_outage_longer_than_the_lookback_keeps_the_key_it_was_announced_under(http, monkeypatch, tmp_path):
    """Lookback one hour: the backend fails from 10:00, is announced at 10:05, still fails at 11:30
    (its first run read is now 10:35) and recovers at 11:40: one opened, one resolved, one key."""
    profile = make_profile(http, monkeypatch, tmp_path, lookback_days=1 / 24)
    history = History(tmp_path / "h.sqlite")
    for n in range(24):
        verdict = "pass" if n >= 20 else "fail"
        dispatch.evaluate(profile, history.path, history.run(verdict, at=T0 + timedelta(minutes=5 * n)), "r")
    hooks = http.got("/hook")
    assert [(h.json["kind"], h.json["incident"]) for h in hooks] == [
        ("opened", "t|backend|run-00"),
        ("resolved", "t|backend|run-00"),
    ]


def test_one_outage_is_opened_worse_and_resolved_once_per_channel(http, monkeypatch, tmp_path):
    """The backend crashes (health, latency and TLS refused) in runs 0-4; from run 2 its headers
    also lose HSTS; runs 5 and 6 are healthy. Each channel gets exactly: opened (the cause first),
    one "worse" (the headers, once seen twice), resolved. GitHub: one issue, two comments, closed."""
    profile = make_profile(http, monkeypatch, tmp_path)
    path = tmp_path / "h.sqlite"
    for n in range(8):
        seen = healthy(n) if n >= 5 else crashed(n)
        if n >= 2:
            seen.append(
                record(
                    n,
                    "headers:backend:/",
                    "fail" if n <= 4 else "pass",
                    "headers" if n <= 4 else None,
                    "no HSTS",
                    ("no HSTS",) if n <= 4 else (),
                )
            )
        started = store_run(path, seen)
        dispatch.evaluate(profile, path, started + timedelta(seconds=30), "r")
    titles = [r.json["text"].splitlines()[0] for r in http.got("/slack")]
    assert titles == [
        "[CRITICAL] t: backend unreachable: connection refused; also failing: latency, tls",
        "[CRITICAL] t: backend worse: backend headers / failing [headers]: no HSTS",
        "[RESOLVED] t: backend recovered (was: backend unreachable: connection refused)",
    ]
    assert [r.json["kind"] for r in http.got("/hook")] == ["opened", "worse", "resolved"]
    worse = http.got("/hook")[1].json
    assert worse["update_detail"] == "backend headers FAILED [headers]: https://api.example.test/: no HSTS"
    [issue] = http.issues.values()
    assert issue["title"] == titles[0] and len(issue["comments"]) == 2 and issue["state"] == "closed"
    assert issue["comments"][0].startswith(titles[1])
