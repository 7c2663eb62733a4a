"""The figures ``slurpy-monitor uptime`` prints and the status page and metrics show, as data:
per service and per check, uptime over each window with unknown time beside it, the error
budget, burn rates and the multi-window alerts, incidents, and the latency objectives."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from operator import attrgetter
from typing import Any

from monitor.history.observation import Observation
from monitor.history.schedule import Slot
from monitor.history.store import HistoryStore
from monitor.profile import SLOPolicy
from monitor.slo.compute import (
    BURN_WINDOWS,
    WINDOWS,
    Budget,
    BurnAlert,
    BurnRate,
    Incident,
    Tally,
    Uptime,
    burn_alerts,
    burn_rates,
    incidents,
    p95,
    slots_for,
    state,
    suite_timelines,
)
from monitor.slo.read import observations


@dataclass
class Entity:
    """A service (its checks in the availability suites) or one check."""

    name: str
    kind: str  # "service" or "check"
    service: str
    uptime: dict[str, Uptime]
    budget: Budget | None  # None: nothing known in the SLO window ("no data")
    burn: dict[str, BurnRate]
    alerts: list[BurnAlert]
    incidents: list[Incident]
    state: str = "unknown"
    last_check: datetime | None = None
    slots: list[Slot] = field(default_factory=list, repr=False)

    def to_dict(self, now: datetime) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "service": self.service,
            "state": self.state,
            "last_check": self.last_check.isoformat() if self.last_check else None,
            "uptime": {w: u.to_dict() for w, u in self.uptime.items()},
            "budget": self.budget.to_dict() if self.budget else None,
            "burn_rates": {w: vars(b) for w, b in self.burn.items()},
            "alerts": [a.to_dict() for a in self.alerts],
            "incidents": [i.to_dict(now) for i in self.incidents],
        }


@dataclass(frozen=True)
class LatencyResult:
    name: str
    check: str
    objective_ms: float
    p95_ms: float | None  # None: no samples in the window ("no data")
    samples: int

    @property
    def met(self) -> bool | None:
        return None if self.p95_ms is None else self.p95_ms <= self.objective_ms


@dataclass
class Report:
    target: str
    now: datetime
    objective: float
    window_days: int
    services: list[Entity]
    checks: list[Entity]
    latency: list[LatencyResult]
    runs: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "now": self.now.isoformat(),
            "objective": self.objective,
            "window_days": self.window_days,
            "runs": self.runs,
            "services": [e.to_dict(self.now) for e in self.services],
            "checks": [e.to_dict(self.now) for e in self.checks],
            "latency": [{**vars(r), "met": r.met} for r in self.latency],
        }


def _entity(
    name: str,
    kind: str,
    service: str,
    rows: list[Observation],
    policy: SLOPolicy,
    now: datetime,
    timelines: dict[str, list[Slot]],
) -> Entity:
    slots = slots_for(rows, timelines)
    tally = Tally(slots)
    uptime = {w: tally.window(w, now - span, now) for w, span in WINDOWS.items()}
    budget_window = timedelta(days=policy.window_days)
    seen = tally.window(f"{policy.window_days}d", now - budget_window, now)
    budget = (
        Budget(
            policy.availability,
            f"{policy.window_days}d",
            (1 - policy.availability) * budget_window.total_seconds(),
            seen.down_s,
        )
        if seen.known_s
        else None
    )
    burn = burn_rates(tally, policy.availability, now)
    latest_run = max(rows, key=attrgetter("started", "run_id")).run_id if rows else None
    latest = [o for o in rows if o.run_id == latest_run]
    ongoing = state(latest)
    if slots and slots[-1].status.value == "unknown" and slots[-1].end <= now:
        ongoing = "unknown"  # the last expected run never came: what it would have seen is not known
    return Entity(
        name,
        kind,
        service,
        uptime,
        budget,
        burn,
        burn_alerts(burn),
        incidents(name, rows),
        ongoing,
        max((o.time for o in latest), default=None),
        slots,
    )


def build(
    observations: list[Observation],
    policy: SLOPolicy,
    now: datetime,
    target: str = "",
    services: list[str] | None = None,
) -> Report:
    """``services``: the profile's, so a service that never ran is listed with no data."""
    window = timedelta(days=max(policy.window_days, 30))
    rows = [o for o in observations if o.started >= now - window - timedelta(days=1)]
    by_service: dict[str, list[Observation]] = defaultdict(list)
    by_check: dict[str, list[Observation]] = defaultdict(list)
    for o in rows:
        by_check[o.check_id].append(o)
        if o.suite in policy.availability_suites:
            by_service[o.service].append(o)
    names = list(dict.fromkeys([*(services or []), *sorted(by_service)]))
    timelines = suite_timelines(rows, now, timedelta(seconds=policy.ad_hoc_sample_s))
    latency = []
    slo_since = now - timedelta(days=policy.window_days)
    for name, objective in policy.latency.items():
        values = [v for o in by_check.get(objective.check, []) if o.started >= slo_since for v in o.latency_ms]
        latency.append(LatencyResult(name, objective.check, objective.p95_ms, p95(values), len(values)))
    return Report(
        target,
        now,
        policy.availability,
        policy.window_days,
        [_entity(n, "service", n, by_service.get(n, []), policy, now, timelines) for n in names],
        [_entity(c, "check", r[0].service, r, policy, now, timelines) for c, r in sorted(by_check.items())],
        latency,
        len({o.run_id for o in rows}),
    )


def burn_rate_alerts(report: Report) -> list[dict[str, Any]]:
    """For alerting: every service's multi-window burn-rate alerts, firing or not, as plain data
    ({target, service, name, factor, firing, long: {window, error_rate, burn}, short: {...}})."""
    return [{"target": report.target, "service": e.name, **a.to_dict()} for e in report.services for a in e.alerts]


def service_slots(rows: list[Observation], policy: SLOPolicy, now: datetime) -> dict[str, list[Slot]]:
    """Each service's timeline from its checks in the availability suites, as :func:`build` works
    it out, without the per-check figures, budgets or latency: what burn rates read."""
    by_service: dict[str, list[Observation]] = defaultdict(list)
    for o in rows:
        if o.suite in policy.availability_suites:
            by_service[o.service].append(o)
    timelines = suite_timelines(rows, now, timedelta(seconds=policy.ad_hoc_sample_s))
    return {name: slots_for(seen, timelines) for name, seen in by_service.items()}


def burn_alerts_at(
    slots: dict[str, list[Slot]], objective: float, moments: list[datetime], quiet: set[int] | None = None
) -> dict[str, list[list[BurnAlert] | None]]:
    """Each service's multi-window alerts as they stood at each of ``moments`` (the ends of runs),
    from its timeline: what alerting debounces. None at a moment with no down time at all in the
    longest window (nothing can fire; worked out first, it spares the other windows)."""
    longest = max(BURN_WINDOWS.values())
    found: dict[str, list[list[BurnAlert] | None]] = {}
    for name, timeline in slots.items():
        tally = Tally(timeline)
        found[name] = [
            None if not tally.window("", at - longest, at).down_s else burn_alerts(burn_rates(tally, objective, at))
            for at in moments
        ]
    return found


def from_history(
    store: HistoryStore,
    target: str,
    policy: SLOPolicy,
    now: datetime,
    services: list[str] | None = None,
    days: int | None = None,
) -> tuple[list[Observation], Report]:
    """The report of ``target`` from a history, over ``days`` (default: the SLO window), and the
    observations it was built from (the status page draws them)."""
    rows = observations(store, target, now - timedelta(days=days or policy.window_days), policy.latency)
    return rows, build(rows, policy, now, target, services)
