"""Uptime, unknown time, error budget, burn rates and incidents from a scripted history, checked
against figures worked out by hand in each test."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from monitor.history.observation import Observation
from monitor.results import Verdict
from monitor.slo.compute import incidents, p95
from monitor.slo.report import build, burn_rate_alerts
from testkit.scripted_history import NOON, POLICY, T0, history_lines, run, scripted, slot, watch_round


def test_uptime_counts_known_time_only_and_reports_the_gap_as_unknown():
    report = build(scripted(), POLICY, NOON, "production", ["backend"])
    backend = report.services[0]
    hour, day = backend.uptime["1h"], backend.uptime["24h"]
    # 11:00-12:00: 12 slots of 300 s; down 11:00, 11:05, 11:10, 11:20; unknown 11:15; up the other 7.
    assert (hour.up_s, hour.down_s, hour.unknown_s) == (2100, 1200, 300)
    assert hour.ratio == pytest.approx(2100 / 3300)
    # The whole history: 19 slots up, 4 down, 1 unknown (nothing before 10:00 was due).
    assert (day.up_s, day.down_s, day.unknown_s) == (5700, 1200, 300)
    assert day.ratio == pytest.approx(5700 / 6900)
    assert backend.uptime["30d"].ratio == pytest.approx(5700 / 6900)


def test_each_check_has_its_own_uptime():
    report = build(scripted(), POLICY, NOON, "production", ["backend"])
    health = next(c for c in report.checks if c.name == "health:backend:/health")
    # health failed only in 11:00, 11:05, 11:10: 8 slots up in the last hour, 3 down, 1 unknown.
    assert (health.uptime["1h"].up_s, health.uptime["1h"].down_s, health.uptime["1h"].unknown_s) == (2400, 900, 300)


def test_error_budget_is_the_objective_over_thirty_days_less_the_down_time():
    budget = build(scripted(), POLICY, NOON, "production", ["backend"]).services[0].budget
    assert budget is not None
    # 0.1 % of 30 days = 2592 s (43.2 min); 4 down slots = 1200 s spent; 1392 s left = 53.7 %.
    assert (budget.allowed_s, budget.spent_s) == (pytest.approx(2592), 1200)
    assert budget.left_s == pytest.approx(1392)
    assert budget.left_ratio == pytest.approx(1392 / 2592)


def test_burn_rates_at_noon_after_recovery_fire_no_alert():
    backend = build(scripted(), POLICY, NOON, "production", ["backend"]).services[0]
    # 1 h: 1200 s down of 3300 s known = 0.3636 error rate, / 0.001 = 363.6x; 5 m and 30 m: all up.
    assert backend.burn["1h"].burn == pytest.approx(1200 / 3300 / 0.001)
    assert backend.burn["5m"].burn == 0 and backend.burn["30m"].burn == 0
    # 6 h: everything known is from 10:00: 1200 down of 6900.
    assert backend.burn["6h"].burn == pytest.approx(1200 / 6900 / 0.001)
    assert [a.firing for a in backend.alerts] == [False, False]  # the short windows say it is over


def test_burn_rates_during_the_fault_fire_both_alerts():
    now = datetime(2026, 3, 10, 11, 15, tzinfo=UTC)
    rows = [o for o in scripted() if o.started < now]
    report = build(rows, POLICY, now, "production", ["backend"])
    backend = report.services[0]
    # 5 m: the 11:10 slot, down: 1000x. 1 h (10:15-11:15): 3 down of 12 slots = 250x.
    # 30 m (10:45-11:15): 3 of 6 = 500x. 6 h: 3 down of the 15 slots since 10:00 = 200x.
    assert {w: b.burn for w, b in backend.burn.items()} == pytest.approx({"5m": 1000, "30m": 500, "1h": 250, "6h": 200})
    alerts = burn_rate_alerts(report)
    assert [(a["name"], a["factor"], a["firing"]) for a in alerts] == [
        ("page-fast", 14.4, True),
        ("page-slow", 6.0, True),
    ]
    assert alerts[0]["service"] == "backend" and alerts[0]["long"]["window"] == "1h"
    assert backend.state == "down" and backend.incidents[0].ended is None
    assert backend.incidents[0].duration_s(now) == pytest.approx(14 * 60 + 30)  # open since 11:00:30


def test_incident_runs_from_first_failed_run_to_first_passing_run():
    backend = build(scripted(), POLICY, NOON, "production", ["backend"]).services[0]
    [incident] = backend.incidents
    # First failed run 11:00:30; the 11:15 gap neither ends nor extends it; 11:20 failed on latency;
    # first passing run 11:25:30: 25 minutes.
    assert (incident.started, incident.ended) == (slot(12) + timedelta(seconds=30), slot(17) + timedelta(seconds=30))
    assert incident.duration_s(NOON) == 1500
    assert incident.runs == 4 and incident.categories == ["http status", "latency"]
    assert incident.checks == ["health", "latency"]
    health = next(c for c in build(scripted(), POLICY, NOON).checks if c.name == "health:backend:/health")
    assert [i.duration_s(NOON) for i in health.incidents] == [1200]  # 11:00:30 to 11:20:30


def test_latency_objective_is_the_nearest_rank_p95_of_the_samples():
    report = build(scripted(), POLICY, NOON, "production", ["backend"])
    api = next(r for r in report.latency if r.name == "api")
    # 23 runs x 5 samples: 110 at 100 ms, 5 at 900 ms; rank ceil(0.95 * 115) = 110 -> 100 ms.
    assert (api.samples, api.p95_ms, api.met) == (115, 100.0, True)
    chat = next(r for r in report.latency if r.name == "chat")
    assert (chat.samples, chat.p95_ms, chat.met) == (0, None, None)
    assert p95([float(v) for v in range(1, 21)]) == 19.0


def test_no_run_in_the_window_is_no_data_never_a_hundred_percent():
    report = build([], POLICY, slot(1) + timedelta(minutes=3), "production", ["backend", "frontend"])
    for entity in report.services:
        assert all(u.ratio is None and u.known_s == 0 for u in entity.uptime.values()), entity.name
    frontend = report.services[1]
    assert frontend.budget is None and frontend.state == "unknown" and frontend.last_check is None


def test_one_run_is_a_figure_with_the_time_it_observed():
    """The first run already says something: its slot (10:00-10:05) was observed up. It is shown
    with the five minutes behind it, and the service that never ran still has no data."""
    report = build(run(0), POLICY, slot(1) + timedelta(minutes=3), "production", ["backend", "frontend"])
    backend, frontend = report.services
    assert {w: (u.ratio, u.known_s, u.unknown_s) for w, u in backend.uptime.items()} == {
        w: (1.0, 300, 0) for w in ("1h", "24h", "7d", "30d")
    }
    assert all(u.ratio is None for u in frontend.uptime.values())


def test_clock_skew_sorts_runs_and_gives_no_negative_duration():
    rows = scripted()
    # A runner whose clock is 4 minutes behind records the 11:20 run before the 11:10 one; the
    # records also arrive in reverse.
    skewed = [o._replace(started=o.started - timedelta(minutes=14)) if o.run_id == "r16" else o for o in rows]
    found = incidents("backend", reversed(skewed))
    assert all(i.duration_s(NOON) >= 0 for i in found)
    assert [i.started for i in found] == sorted(i.started for i in found)
    report = build(list(reversed(skewed)), POLICY, NOON, "production", ["backend"])
    for entity in [*report.services, *report.checks]:
        for u in entity.uptime.values():
            assert min(u.up_s, u.down_s, u.unknown_s) >= 0


def test_a_run_from_a_clock_ahead_of_now_is_kept_without_error():
    rows = scripted() + run(24)  # 12:00:30, after "now"
    report = build(rows, POLICY, NOON, "production", ["backend"])
    assert report.services[0].uptime["1h"].known_s == 3300


def test_the_report_is_plain_data():
    data = build(scripted(), POLICY, NOON, "production", ["backend"]).to_dict()
    backend = data["services"][0]
    assert backend["uptime"]["1h"]["unknown_s"] == 300 and backend["budget"]["spent_s"] == 1200
    assert backend["incidents"][0]["categories"] == ["http status", "latency"]


def test_the_history_read_back_gives_the_same_figures(tmp_path):
    from monitor.history.store import HistoryStore
    from monitor.slo.read import observations

    with HistoryStore(tmp_path / "h.sqlite") as store:
        store.import_lines(history_lines(scripted()), "scripted")
        rows = observations(store, "production", NOON - timedelta(days=31), POLICY.latency)
    assert sorted(rows) == sorted(scripted())
    backend = build(rows, POLICY, NOON, "production", ["backend"]).services[0]
    assert backend.uptime["1h"].ratio == pytest.approx(2100 / 3300)


def test_watch_mode_cadence_gives_figures_from_its_own_rounds():
    """40 rounds every 15 s from 10:00:00; rounds 5, 9 and 13 a little late; rounds 20 and 21 never
    came (the watch machine rebooted); rounds 30-33 found the backend down. At 10:10:00: known
    600 - 30 = 570 s, down 4 x 15 = 60 s, up 510 s, unknown 30 s."""
    rows = [
        o
        for k in range(40)
        if k not in (20, 21)
        for o in watch_round(k, "fail" if 30 <= k <= 33 else "pass", 0.4 if k in (5, 9, 13) else 0.0)
    ]
    now = T0 + timedelta(minutes=10)
    hour = build(rows, POLICY, now, "production", ["backend"]).services[0].uptime["1h"]
    assert (hour.up_s, hour.down_s, hour.unknown_s) == (pytest.approx(510), pytest.approx(60), pytest.approx(30))
    assert hour.ratio == pytest.approx(510 / 570)


def test_runs_by_hand_count_as_samples_of_what_they_saw():
    """No schedule at all: runs by hand at 10:00, :02, :03, :10, :30, :31 (down), :33 (down), :40.
    Each observes until the next run, at most 5 minutes: 2 + 1 + 5 + 5 + 1 = 14 min up, 2 + 5 = 7
    min down, then :40-:45 up: 19 min up of 26 known; nothing was due, so nothing is unknown."""
    rows = []
    for minute in (0, 2, 3, 10, 30, 31, 33, 40):
        started = T0 + timedelta(minutes=minute)
        verdict = Verdict.FAIL if minute in (31, 33) else Verdict.PASS
        rows.append(
            Observation(
                f"h{minute:02d}",
                started,
                "",
                "smoke",
                "health:backend:/health",
                "health",
                "backend",
                verdict,
                "http status" if verdict == "fail" else None,
                started + timedelta(seconds=1),
            )
        )
    hour = build(rows, POLICY, T0 + timedelta(minutes=50), "production", ["backend"]).services[0].uptime["1h"]
    assert (hour.up_s, hour.down_s, hour.unknown_s) == (19 * 60, 7 * 60, 0)
    assert hour.ratio == pytest.approx(19 / 26)


def test_a_run_by_hand_inside_a_missed_slot_makes_it_known():
    """The scripted day's dropped 11:15 run, with a run by hand at 11:17 that found it all up: the
    last hour is now 2400 s up of 3600 known, not 2100 of 3300."""
    started = slot(15) + timedelta(minutes=2)
    by_hand = [o._replace(run_id="by-hand", started=started, schedule="", time=started) for o in run(15)]
    hour = build(scripted() + by_hand, POLICY, NOON, "production", ["backend"]).services[0].uptime["1h"]
    assert (hour.up_s, hour.down_s, hour.unknown_s) == (2400, 1200, 0)


@pytest.mark.parametrize("minutes", [3, 8, 63, 75, 80, 120])
def test_uptime_and_burn_rate_never_disagree(minutes):
    """Over the same window, the error rate burn is worked out from is 1 - uptime: both have a
    figure or neither, at any moment of the scripted day (from 3 minutes after the first run)."""
    now = T0 + timedelta(minutes=minutes)
    report = build([o for o in scripted() if o.started < now], POLICY, now, "production", ["backend"])
    for entity in [*report.services, *report.checks]:
        uptime, burn = entity.uptime["1h"], entity.burn["1h"]
        assert (uptime.ratio is None) == (burn.error_rate is None), entity.name
        if uptime.ratio is not None and burn.error_rate is not None:
            assert uptime.ratio + burn.error_rate == pytest.approx(1) and burn.known_s == uptime.known_s


def test_a_burn_rate_alert_needs_known_time_before_it_can_fire():
    """A fresh monitor: one passing run at 10:00:30, then the backend fails at 10:05:30. At 10:06
    the hour burns at 167x (60 s down of 360 s known) but holds less than two 5 m windows of known
    time: page-fast is not ready. After the 10:10:30 run, at 10:11: 360 s down of 660 s known, the
    5 m window all known and down: page-fast fires; page-slow needs an hour known and is not ready."""
    rows = run(0) + run(1, health="fail") + run(2, health="fail")
    now = slot(2) + timedelta(minutes=1)
    backend = build(rows, POLICY, now, "production", ["backend"]).services[0]
    fast, slow = backend.alerts
    assert backend.uptime["1h"].known_s == 660 and backend.burn["1h"].burn == pytest.approx(360 / 660 / 0.001)
    assert (fast.ready, fast.firing) == (True, True)
    assert (slow.ready, slow.firing) == (False, False) and slow.long.burn == pytest.approx(360 / 660 / 0.001)
    first = build(
        run(0) + run(1, health="fail"), POLICY, slot(1) + timedelta(minutes=1), "production", ["backend"]
    ).services[0]
    # one run before the failure: 360 s known in the hour, under two 5 m windows (600 s): not ready
    assert first.burn["1h"].burn == pytest.approx(60 / 360 / 0.001) and not first.alerts[0].ready
    assert not first.alerts[0].firing


def test_a_history_made_before_the_reader_index_gains_it_when_a_writer_opens_it(tmp_path):
    import sqlite3

    from monitor.history.store import HistoryStore

    path = tmp_path / "h.sqlite"
    with HistoryStore(path) as store:
        store.import_lines(history_lines(scripted()), "scripted")
    with sqlite3.connect(path) as db:
        db.execute("DROP INDEX runs_by_start")
    with HistoryStore(path) as store:
        rows = store.observations("production", NOON - timedelta(days=31), {})
        plan = (
            store._connect()
            .execute(
                "EXPLAIN QUERY PLAN SELECT 1 FROM runs CROSS JOIN results r ON r.run_id = "
                "runs.run_id WHERE runs.target = 'p' AND runs.started >= ''"
            )
            .fetchall()
        )
    assert sorted(rows) == sorted(o._replace(latency_ms=()) for o in scripted())
    assert any("runs_by_start" in str(step) for step in plan), plan
