"""Uptime, unknown time, error budget, burn rates and incidents from a scripted history, checked
against figures worked out by hand in each test."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from monitor.profile import SLOPolicy
from monitor.slo.compute import Observation, incidents, p95
from monitor.slo.report import build, burn_rate_alerts

EVERY_5 = "*/5 * * * *"
T0 = datetime(2026, 3, 10, 10, 0, tzinfo=UTC)
POLICY = SLOPolicy()


def slot(n: int) -> datetime:
    return T0 + timedelta(minutes=5 * n)


def run(n: int, health: str = "pass", latency: str = "pass", late_s: int = 30, samples=(100.0,) * 5):
    """One smoke run in slot n (10:00 + 5n min), started `late_s` after its scheduled time."""
    started = slot(n) + timedelta(seconds=late_s)
    rid = f"r{n:02d}"
    return [
        Observation(rid, started, EVERY_5, "smoke", "health:backend:/health", "health", "backend", health,
                    "http status" if health == "fail" else None, started + timedelta(seconds=1)),
        Observation(rid, started, EVERY_5, "smoke", "latency:backend", "latency", "backend", latency,
                    "latency" if latency == "fail" else None, started + timedelta(seconds=2),
                    (900.0,) * 5 if latency == "fail" else samples),
    ]


def scripted() -> list[Observation]:
    """10:00-10:55 healthy (12 runs); 11:00, 11:05, 11:10 the health endpoint answers 500 (fault on);
    11:15 no run (GitHub dropped it); 11:20 health back but slow (latency fails); 11:25-11:55 healthy."""
    rows = []
    for n in range(24):
        if n == 15:
            continue
        rows += run(n, health="fail" if n in (12, 13, 14) else "pass", latency="fail" if n == 16 else "pass")
    return rows


NOON = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


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
    assert {w: round(b.burn, 6) for w, b in backend.burn.items()} == {"5m": 1000, "30m": 500, "1h": 250, "6h": 200}
    alerts = burn_rate_alerts(report)
    assert [(a["name"], a["factor"], a["firing"]) for a in alerts] == [("page-fast", 14.4, True),
                                                                       ("page-slow", 6.0, True)]
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


@pytest.mark.parametrize("rows", [[], run(0)], ids=["empty history", "one run"])
def test_no_history_or_one_run_is_no_data_never_a_hundred_percent(rows):
    report = build(rows, POLICY, slot(1) + timedelta(minutes=3), "production", ["backend", "frontend"])
    for entity in report.services:
        assert all(u.ratio is None for u in entity.uptime.values()), entity.name
    frontend = report.services[1]
    assert frontend.budget is None and frontend.state == "unknown" and frontend.last_check is None


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
    from selftests.scripted_history import history_lines

    with HistoryStore(tmp_path / "h.sqlite") as store:
        store.import_lines(history_lines(scripted()), "scripted")
        rows = observations(store, "production", NOON - timedelta(days=30), POLICY.latency)
    assert sorted(rows) == sorted(scripted())
    backend = build(rows, POLICY, NOON, "production", ["backend"]).services[0]
    assert backend.uptime["1h"].ratio == pytest.approx(2100 / 3300)
