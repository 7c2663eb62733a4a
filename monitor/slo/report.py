"""The figures ``slurpy-monitor uptime`` prints and the status page and metrics show, as data:
per service and per check, uptime over each window with unknown time beside it, the error
budget, burn rates and the multi-window alerts, incidents, and the latency objectives."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from monitor.history.observation import Drawn, Observation, RunChecks, summarise
from monitor.history.schedule import Slot, Status
from monitor.history.store import HistoryStore
from monitor.profile import SLOPolicy
from monitor.slo.compute import (
    BURN_WINDOWS,
    WINDOWS,
    Budget,
    BurnAlert,
    BurnRate,
    Incident,
    Part,
    Tally,
    Track,
    Tracks,
    Uptime,
    burn_alerts,
    burn_rates,
    gc_paused,
    p95,
    slot_seconds,
    state,
    suite_timelines,
)
from monitor.slo.read import drawn, latency_times


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
    # over its timeline in the whole span read (the status page's bar of days: 90 of them), where
    # the figures above are worked out over the last figures_days() alone
    tally: Tally = field(repr=False)
    state: str = "unknown"
    last_check: datetime | None = None

    @property
    def slots(self) -> list[Slot]:
        """Its timeline over the span read: each slot observed or expected, with what the runs in
        it found."""
        return self.tally.slots

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
    runs_read: int = 0  # in the whole span read from the history (``runs`` counts the window's)

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
    track: Track,
    failed: dict[str, Part],
    latest: list[Observation],
    policy: SLOPolicy,
    now: datetime,
    timelines: dict[str, list[Slot]],
    seconds: dict[str, list[float]],
    days: Tally,
) -> Entity:
    """``latest``: the entity's records in its latest run (:attr:`Track.latest`); ``days``: its
    tally over the whole span read (:attr:`Entity.tally`)."""
    tally = track.tally(timelines, seconds)
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
    ongoing = state(latest)
    if tally.statuses and tally.statuses[-1] == Status.UNKNOWN and tally.ends[-1] <= now:
        ongoing = "unknown"  # the last expected run never came: what it would have seen is not known
    return Entity(
        name,
        kind,
        service,
        uptime,
        budget,
        burn,
        burn_alerts(burn),
        track.incidents(name, failed),
        days,
        ongoing,
        max((o.time for o in latest), default=None),
    )


def build(
    observations: list[Observation],
    policy: SLOPolicy,
    now: datetime,
    target: str = "",
    services: list[str] | None = None,
) -> Report:
    """``services``: the profile's, so a service that never ran is listed with no data."""
    by_run: dict[str, list[Observation]] = defaultdict(list)
    measured: dict[str, list[tuple[datetime, tuple[float, ...]]]] = defaultdict(list)
    objectives = {o.check for o in policy.latency.values()}
    for o in observations:
        by_run[o.run_id].append(o)
        if o.check_id in objectives:
            measured[o.check_id].append((o.started, o.latency_ms))
    return figures(
        summarise(observations),
        lambda run_ids: [o for run_id in run_ids for o in by_run.get(run_id, [])],
        measured,
        policy,
        now,
        target,
        services,
    )


def figures_days(policy: SLOPolicy) -> int:
    """How far back the figures look: their longest window (30 days, or the SLO window if longer)
    and a day before it, for the run whose slot the window starts in."""
    return max(policy.window_days, 30) + 1


@gc_paused()
def figures(
    runs: list[RunChecks],
    records_of: Callable[[list[str]], list[Observation]],
    measured: Mapping[str, list[tuple[datetime, tuple[float, ...]]]],
    policy: SLOPolicy,
    now: datetime,
    target: str = "",
    services: list[str] | None = None,
) -> Report:
    """The report from what each run's checks amount to (``runs``, oldest run first: the span
    read), the records of the runs named (``records_of``: an entity's latest run tells its
    state), and the latency objectives' times (``measured``: check id -> (run start, times) of each
    of its records). The figures, and which services and checks there are, come from the runs that
    started within :func:`figures_days` before ``now``; the runs before them count in ``runs_read``
    and in each entity's :attr:`~Entity.tally` (the status page's bar of days) alone."""
    read = len({r.run_id for r in runs})
    first = now - timedelta(days=figures_days(policy))
    recent = [r for r in runs if r.started >= first]
    sample = timedelta(seconds=policy.ad_hoc_sample_s)
    tracks = Tracks(recent, policy.availability_suites)
    names = list(dict.fromkeys([*(services or []), *tracks.services]))
    timelines = suite_timelines(recent, now, sample)
    seconds = {suite: slot_seconds(slots) for suite, slots in timelines.items()}
    # The whole span's timelines, worked out apart: the earlier runs' slots would change the
    # windows' figures (unknown time before the first recent run, a slot shared across the cut)
    whole, whole_timelines, whole_seconds = tracks, timelines, seconds
    if len(recent) < len(runs):
        whole = Tracks(runs, policy.availability_suites)
        whole_timelines = suite_timelines(runs, now, sample)
        whole_seconds = {suite: slot_seconds(slots) for suite, slots in whole_timelines.items()}
    judged = [(n, "service", n, *tracks.service(n), whole.service(n)[0]) for n in names]
    judged += [(c, "check", tracks.service_of[c], *tracks.check(c), whole.check(c)[0]) for c in tracks.checks]
    latest_runs = sorted({track.latest for _, _, _, track, _, _ in judged if track.latest is not None})
    latest: dict[str, list[Observation]] = defaultdict(list)
    for o in records_of(latest_runs):
        latest[o.run_id].append(o)
    entities = []
    for name, kind, service, track, failed, over_span in judged:
        if kind == "service":
            mine = [
                o
                for o in latest.get(track.latest or "", [])
                if o.service == name and o.suite in policy.availability_suites
            ]
        else:
            mine = [o for o in latest.get(track.latest or "", []) if o.check_id == name]
        days = over_span.tally(whole_timelines, whole_seconds)
        entities.append(_entity(name, kind, service, track, failed, mine, policy, now, timelines, seconds, days))
    latency = []
    slo_since = now - timedelta(days=policy.window_days)
    for name, objective in policy.latency.items():
        values = [v for started, times in measured.get(objective.check, ()) if started >= slo_since for v in times]
        latency.append(LatencyResult(name, objective.check, objective.p95_ms, p95(values), len(values)))
    return Report(
        target,
        now,
        policy.availability,
        policy.window_days,
        [e for e in entities if e.kind == "service"],
        [e for e in entities if e.kind == "check"],
        latency,
        len({r.run_id for r in recent}),
        read,
    )


def burn_rate_alerts(report: Report) -> list[dict[str, Any]]:
    """For alerting: every service's multi-window burn-rate alerts, firing or not, as plain data
    ({target, service, name, factor, firing, long: {window, error_rate, burn}, short: {...}})."""
    return [{"target": report.target, "service": e.name, **a.to_dict()} for e in report.services for a in e.alerts]


def service_slots(rows: list[Observation], policy: SLOPolicy, now: datetime) -> dict[str, list[Slot]]:
    """Each service's timeline from its checks in the availability suites, as :func:`build` works
    it out, without the per-check figures, budgets or latency: what burn rates read."""
    runs = summarise(rows)
    tracks = Tracks(runs, policy.availability_suites)
    timelines = suite_timelines(runs, now, timedelta(seconds=policy.ad_hoc_sample_s))
    return {name: tracks.service(name)[0].slots(timelines) for name in tracks.services}


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


@gc_paused()
def from_history(
    store: HistoryStore,
    target: str,
    policy: SLOPolicy,
    now: datetime,
    services: list[str] | None = None,
    days: int | None = None,
    drawn_days: float = 0,
) -> tuple[Drawn, Report]:
    """The report of ``target`` from a history, over ``days`` (default: the SLO window), and what
    the status page draws of the last ``drawn_days`` (:func:`~monitor.slo.read.drawn`; nothing by
    default). Each run's checks come summed up by the store (:meth:`HistoryStore.run_checks`)
    over the span (the figures look at the last :func:`figures_days` of it, the status page's bar
    of days at all of it), the latency objectives' times from the samples the store keeps
    (:func:`~monitor.slo.read.latency_times`); records are read only for the entities' latest
    runs (and for an objective whose measure is not ``samples_ms``)."""
    since = now - timedelta(days=days or policy.window_days) - timedelta(days=1)  # the first slot's run too

    def after(days: float) -> datetime:
        # read from a day before: which records are in a window is decided in Python, as for build()
        return max(since, now - timedelta(days=days + 1))

    measured = latency_times(store, target, after(policy.window_days), policy.latency)
    shown = drawn(store, target, after(drawn_days), policy.latency) if drawn_days else Drawn([], [])
    report = figures(
        store.run_checks(target, since),
        lambda run_ids: store.observations(target, since, runs=run_ids),
        measured,
        policy,
        now,
        target,
        services,
    )
    return shown, report
