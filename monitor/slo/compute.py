"""Uptime as good time / known time over what the runs observed.

Each scheduled run observed its slot (:mod:`monitor.history.schedule`: a cron slot, or the watch
mode's cadence): a slot whose run found a check failing is *down* time, one whose run found it
passing is *up* time, a slot with no run (GitHub dropped or delayed it) is *unknown* time,
reported beside the figure and never counted as up. A run with no schedule (by hand, a deploy
gate) counts for what it saw: inside an expected slot it joins it (a missed slot becomes known),
elsewhere it is a sample that observes from its start until the next run or slot, at most
``ad_hoc_sample_s``. A window with no run in it has no figure (``None``, "no data"), never 100 %;
every figure comes with the known time behind it.

Burn rates follow Google's SRE workbook (chapter "Alerting on SLOs"): the error rate over a
window divided by the rate the SLO allows, from the same known time as uptime (so over one
window, uptime = 1 - error rate, and both have a figure or neither). A page fires when both a
long and a short window burn faster than the factor (14.4x over 1 h confirmed by 5 m: 2 % of a
30-day budget in an hour; 6x over 6 h confirmed by 30 m: 5 % in six hours), and only once the
long window holds at least two short windows of known time and the short window is at least half
known: a burn worked out from one run is an extrapolation, not a confirmation.
"""

from __future__ import annotations

import gc
from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import pairwise
from operator import attrgetter
from typing import Any, NamedTuple

from monitor.history.observation import FAILED, NEITHER, PASSED, Observation, RunChecks, Seen, summarise
from monitor.history.schedule import ObservedRun, Slot, Status, timeline

AD_HOC_SAMPLE = timedelta(minutes=5)  # GitHub's finest cron: what a scheduled run would have covered

WINDOWS = {"1h": timedelta(hours=1), "24h": timedelta(hours=24), "7d": timedelta(days=7), "30d": timedelta(days=30)}
BURN_WINDOWS = {
    "5m": timedelta(minutes=5),
    "30m": timedelta(minutes=30),
    "1h": timedelta(hours=1),
    "6h": timedelta(hours=6),
}


@dataclass(frozen=True)
class BurnAlertRule:
    name: str
    long: str
    short: str
    factor: float


BURN_ALERTS = (BurnAlertRule("page-fast", "1h", "5m", 14.4), BurnAlertRule("page-slow", "6h", "30m", 6.0))
_OK = frozenset({"pass", "flaky", "warn"})
# What a run's failure of these categories means for the state a person reads: the service
# could not be reached or said it was unhealthy (down), or it answered but not well (degraded).
_UNREACHABLE = frozenset({"dns", "connect", "tls", "timeout", "protocol"})


@contextmanager
def gc_paused() -> Iterator[None]:
    """The cyclic garbage collector held off while figures are worked out: they make some 10^5
    small objects that hold no cycles (timelines, tracks, records), and the collector walked every
    live object again and again as they came, about half of the figures' CPU time (measured on
    bench/slo_status.py's history). Reference counting frees them as before; the collector runs
    again afterwards."""
    if not gc.isenabled():
        yield  # an outer caller paused it already
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def merge(timelines: list[list[Slot]]) -> list[Slot]:
    """Several suites' slots as one timeline: at each moment down if any suite saw it down,
    else up if any saw it up, else unknown; stretches no suite expected a run for are left out."""
    if len(timelines) == 1:
        return timelines[0]
    bounds = sorted({t for slots in timelines for s in slots for t in (s.start, s.end)})
    starts = [[s.start for s in slots] for slots in timelines]  # once, not at each boundary: that was quadratic
    merged: list[Slot] = []
    for start, end in pairwise(bounds):
        covering = [s for slots, begins in zip(timelines, starts, strict=True) for s in _covering(slots, begins, start)]
        if not covering:
            continue
        statuses = {s.status for s in covering}
        status = Status.DOWN if Status.DOWN in statuses else Status.UP if Status.UP in statuses else Status.UNKNOWN
        merged.append(
            Slot(
                start,
                end,
                "+".join(sorted({s.schedule for s in covering})),
                status,
                [r for s in covering for r in s.run_ids],
            )
        )
    return merged


def _covering(slots: list[Slot], starts: list[datetime], moment: datetime) -> list[Slot]:
    """The slot of ``slots`` (which start at ``starts``) that covers ``moment``, if any."""
    index = bisect_right(starts, moment) - 1
    return [slots[index]] if index >= 0 and slots[index].end > moment else []


@dataclass
class Uptime:
    """Seconds up, down and unknown inside one window; ``ratio`` is None ("no data") when no run
    observed any of it."""

    window: str
    up_s: float = 0.0
    down_s: float = 0.0
    unknown_s: float = 0.0
    runs: int = 0  # expected slots in the window that a run observed

    @property
    def known_s(self) -> float:
        return self.up_s + self.down_s

    @property
    def ratio(self) -> float | None:
        return self.up_s / self.known_s if self.known_s > 0 else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "window": self.window,
            "uptime": self.ratio,
            "up_s": self.up_s,
            "down_s": self.down_s,
            "unknown_s": self.unknown_s,
            "known_s": self.known_s,
            "runs": self.runs,
        }


_START = attrgetter("start")


class Tally:
    """Prefix sums over a sorted timeline: any window's up/down/unknown seconds in O(log n).
    ``slots``: the timeline, in the order the slots start (made when first asked for, by
    ``make_slots``, when the tally was worked out without them: :meth:`Track.tally`)."""

    def __init__(self, slots: list[Slot]):
        ordered = sorted(slots, key=_START)
        self._slots: list[Slot] | None = ordered
        self._make_slots: Callable[[], list[Slot]] | None = None
        self._sum(
            [s.start for s in ordered],
            [s.end for s in ordered],
            [s.status for s in ordered],
            slot_seconds(ordered),
            [bool(s.run_ids) for s in ordered],
        )

    def _sum(
        self,
        starts: list[datetime],
        ends: list[datetime],
        statuses: list[Status],
        seconds: list[float],
        judged_by_runs: Iterable[bool],
    ) -> None:
        """One pass: a running total per status (the same sums, in the same order, as one accumulate
        per status) and of the slots up or down that a run judged."""
        self.starts, self.ends, self.statuses = starts, ends, statuses
        up, down, unknown, judged = 0.0, 0.0, 0.0, 0
        ups, downs, unknowns, self.known = [up], [down], [unknown], [judged]
        is_up, is_down = Status.UP, Status.DOWN
        for status, spent, by_runs in zip(statuses, seconds, judged_by_runs, strict=True):
            if status is is_up:
                up += spent
                judged += by_runs
            elif status is is_down:
                down += spent
                judged += by_runs
            else:
                unknown += spent
            ups.append(up)
            downs.append(down)
            unknowns.append(unknown)
            self.known.append(judged)
        self.sums = {Status.UP: ups, Status.DOWN: downs, Status.UNKNOWN: unknowns}

    @classmethod
    def of_suite(
        cls,
        suite: list[Slot],
        seconds: list[float],
        ranks: Mapping[str, int],
        make_slots: Callable[[], list[Slot]],
    ) -> Tally:
        """The tally of an entity judged in one suite, whose slots (sorted, ``seconds`` long each)
        are ``suite``, by the runs' ``ranks`` of it: the sums :class:`Tally` makes of
        :meth:`Track.slots`, without making them (most entities' slots are never looked at)."""
        tally = cls.__new__(cls)
        tally._slots, tally._make_slots = None, make_slots
        statuses = []
        is_unknown, by_rank = Status.UNKNOWN, _BY_RANK
        for slot in suite:
            ids = slot.run_ids
            if len(ids) == 1:  # most slots: one run
                rank = ranks.get(ids[0])
            else:
                found = [ranks[r] for r in ids if r in ranks]
                rank = min(found) if found else None
            statuses.append(is_unknown if rank is None else by_rank[rank])
        # judged: a slot up or down always has the runs that judged it (Track.slots)
        tally._sum([s.start for s in suite], [s.end for s in suite], statuses, seconds, [True] * len(suite))
        return tally

    @property
    def slots(self) -> list[Slot]:
        if self._slots is None:
            assert self._make_slots is not None
            self._slots = sorted(self._make_slots(), key=_START)
        return self._slots

    def window(self, name: str, since: datetime, until: datetime) -> Uptime:
        first = bisect_right(self.ends, since)  # the first slot ending after `since`
        last = max(first, bisect_left(self.starts, until))  # slots starting before `until`
        totals = {status: self.sums[status][last] - self.sums[status][first] for status in Status}
        for index in {first, last - 1} if first < last else ():  # the two slots the window cuts into
            start, end = self.starts[index], self.ends[index]
            outside = max(0.0, (end - start).total_seconds()) - max(
                0.0, (min(end, until) - max(start, since)).total_seconds()
            )
            totals[self.statuses[index]] -= outside
        return Uptime(
            name,
            max(0.0, totals[Status.UP]),
            max(0.0, totals[Status.DOWN]),
            max(0.0, totals[Status.UNKNOWN]),
            self.known[last] - self.known[first],
        )


def slot_seconds(slots: list[Slot]) -> list[float]:
    """Each slot's length, as :class:`Tally` counts it."""
    return [max(0.0, (s.end - s.start).total_seconds()) for s in slots]


@dataclass(frozen=True)
class BurnRate:
    window: str
    error_rate: float | None  # down / known time in the window; None: nothing known
    burn: float | None  # error_rate / (1 - objective)
    known_s: float = 0.0  # the known time behind it


@dataclass(frozen=True)
class BurnAlert:
    """One multi-window alert of the SRE workbook: fires when both windows burn at ``factor`` or faster."""

    name: str
    long: BurnRate
    short: BurnRate
    factor: float

    @property
    def ready(self) -> bool:
        """Enough known time to judge: two short windows' worth in the long one, half the short one."""
        short = BURN_WINDOWS[self.short.window].total_seconds()
        return self.long.known_s >= 2 * short and self.short.known_s >= short / 2

    @property
    def firing(self) -> bool:
        return self.ready and all(w.burn is not None and w.burn >= self.factor for w in (self.long, self.short))

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "factor": self.factor,
            "firing": self.firing,
            "ready": self.ready,
            "long": vars(self.long),
            "short": vars(self.short),
        }


def burn_rates(tally: Tally, objective: float, now: datetime) -> dict[str, BurnRate]:
    rates = {}
    for name, span in BURN_WINDOWS.items():
        seen = tally.window(name, now - span, now)
        error = 1 - seen.ratio if seen.ratio is not None else None  # the uptime figure's own complement
        rates[name] = BurnRate(name, error, None if error is None else error / (1 - objective), seen.known_s)
    return rates


def burn_alerts(rates: dict[str, BurnRate]) -> list[BurnAlert]:
    return [BurnAlert(rule.name, rates[rule.long], rates[rule.short], rule.factor) for rule in BURN_ALERTS]


@dataclass(frozen=True)
class Budget:
    """The error budget of one SLO window: the down time the objective allows, and what is left."""

    objective: float
    window: str
    allowed_s: float
    spent_s: float

    @property
    def left_s(self) -> float:
        return self.allowed_s - self.spent_s

    @property
    def left_ratio(self) -> float:
        return self.left_s / self.allowed_s  # below 0 when overspent: said as it is

    def to_dict(self) -> dict[str, Any]:
        return {
            "objective": self.objective,
            "window": self.window,
            "allowed_s": self.allowed_s,
            "spent_s": self.spent_s,
            "left_s": self.left_s,
            "left_ratio": self.left_ratio,
        }


@dataclass
class Incident:
    """From the first run that found the entity down to the first run after it that found it up."""

    entity: str
    started: datetime
    ended: datetime | None  # None: still open
    runs: int = 0  # failed runs in it
    categories: list[str] = field(default_factory=list)
    checks: list[str] = field(default_factory=list)  # check kinds that failed (no paths: they may be private)

    def duration_s(self, now: datetime) -> float:
        return max(0.0, ((self.ended or now) - self.started).total_seconds())

    def to_dict(self, now: datetime) -> dict[str, Any]:
        return {
            "entity": self.entity,
            "started": self.started.isoformat(),
            "ended": self.ended.isoformat() if self.ended else None,
            "open": self.ended is None,
            "duration_s": self.duration_s(now),
            "failed_runs": self.runs,
            "categories": self.categories,
            "checks": self.checks,
        }


class Part(NamedTuple):
    """What an entity's records in one run (a check's, or a service's checks') amount to: the worst
    of them, and the categories and kinds of those that failed."""

    rank: int  # FAILED, PASSED or NEITHER
    failed: tuple[str, ...] = ()  # categories of the failed records, sorted, each once
    kinds: tuple[str, ...] = ()  # kinds of the failed checks, sorted, each once


def part(seen: Iterable[Seen]) -> Part:
    worst, failed, kinds = NEITHER, set[str](), set[str]()
    for s in seen:
        worst = min(worst, s.rank)
        if s.rank == FAILED:
            failed.update(s.failed)
            kinds.add(s.check)
    return Part(worst, tuple(sorted(failed)), tuple(sorted(kinds)))


def _join(a: Part, b: Part) -> Part:
    return Part(min(a.rank, b.rank), tuple(sorted({*a.failed, *b.failed})), tuple(sorted({*a.kinds, *b.kinds})))


def first_started(runs: list[RunChecks]) -> dict[str, datetime]:
    """Each run's start, as its first records in ``runs`` give it."""
    return {run.run_id: run.started for run in reversed(runs)}


class Track:
    """An entity's worst verdict in each run it has records in (``ranks``, aligned with ``runs``,
    None where it has none), whatever its name: entities whose verdicts went alike share one
    track, and so one timeline, worked out once."""

    def __init__(
        self,
        runs: list[RunChecks],
        ranks: Iterable[int | None],
        started: Mapping[str, datetime] | None = None,
        order: list[str] | None = None,
    ):
        """``started``: :func:`first_started` of ``runs``, and ``order``: every run id in ``runs``
        sorted as :attr:`order` is, if the caller has them already."""
        self.ranks: dict[str, int] = {}
        judged = [(run, rank) for run, rank in zip(runs, ranks, strict=True) if rank is not None]
        self.suites = sorted({run.suite for run, _ in judged})
        mine = self.ranks
        for run, rank in judged:
            run_id = run.run_id
            mine[run_id] = rank if run_id not in mine else min(rank, mine[run_id])
        self.started = first_started(runs) if started is None else started
        # Every run counts, scheduled or not, in the order the runs started (a runner whose clock
        # is behind is sorted into place, so no duration is negative).
        if order is None:
            self.order = sorted(mine, key=lambda run_id: (self.started[run_id], run_id))
        else:
            self.order = order if len(order) == len(mine) else [run_id for run_id in order if run_id in mine]
        self._slots: list[Slot] | None = None
        self._tally: Tally | None = None
        self._incidents: list[tuple[list[str], str | None]] | None = None

    @property
    def latest(self) -> str | None:
        return self.order[-1] if self.order else None

    def slots(self, timelines: dict[str, list[Slot]]) -> list[Slot]:
        """The entity's timeline: in each of its suites' slots, the worst of what the runs in that
        slot found for it (unknown if none of them judged it), the suites merged."""
        if self._slots is None:
            mine = []
            ranks, unknown = self.ranks, Status.UNKNOWN
            for suite in self.suites:
                slots: list[Slot] = []
                add = slots.append
                for slot in timelines.get(suite, []):
                    ids = slot.run_ids
                    if len(ids) == 1:  # most slots: one run
                        rank = ranks.get(ids[0])
                        if rank is None:
                            add(Slot(slot.start, slot.end, slot.schedule, unknown, []))
                        else:
                            add(Slot(slot.start, slot.end, slot.schedule, _BY_RANK[rank], ids))
                        continue
                    found = [ranks[r] for r in ids if r in ranks]
                    add(
                        Slot(slot.start, slot.end, slot.schedule, _BY_RANK[min(found)], ids)
                        if found
                        else Slot(slot.start, slot.end, slot.schedule, unknown, [])
                    )
                mine.append(slots)
            self._slots = merge(mine) if mine else []
        return self._slots

    def tally(self, timelines: dict[str, list[Slot]], seconds: Mapping[str, list[float]] | None = None) -> Tally:
        """``seconds``: :func:`slot_seconds` of each of ``timelines``, if the caller has them."""
        if self._tally is None:
            if len(self.suites) == 1 and self._slots is None:
                suite = self.suites[0]
                slots = timelines.get(suite, [])
                self._tally = Tally.of_suite(
                    slots,
                    seconds[suite] if seconds is not None else slot_seconds(slots),
                    self.ranks,
                    lambda: self.slots(timelines),
                )
            else:
                self._tally = Tally(self.slots(timelines))
        return self._tally

    def incidents(self, entity: str, failed: Mapping[str, Part]) -> list[Incident]:
        """From the first run that failed to the first run after it that passed; runs with no
        verdict (skips, the monitor's own errors) neither open nor close one. ``failed``: what
        each failed run's records of the entity amount to."""
        return [
            Incident(
                entity,
                self.started[ids[0]],
                None if ended is None else self.started[ended],
                len(ids),
                sorted({c for run_id in ids for c in failed[run_id].failed}),
                sorted({k for run_id in ids for k in failed[run_id].kinds}),
            )
            for ids, ended in self._spells()
        ]

    def _spells(self) -> list[tuple[list[str], str | None]]:
        """The runs of each incident and the run that ended it (None: still open), worked out once
        for all the entities of this track."""
        if self._incidents is None:
            found: list[tuple[list[str], str | None]] = []
            ranks = self.ranks
            left = sum(1 for rank in ranks.values() if rank == FAILED)
            current: list[str] | None = None
            for run_id in self.order:
                if current is None and not left:
                    break
                rank = ranks[run_id]
                if rank == FAILED:
                    left -= 1
                    if current is None:
                        current = []
                        found.append((current, None))
                    current.append(run_id)
                elif rank == PASSED and current is not None:
                    found[-1] = (current, run_id)
                    current = None
            self._incidents = found
        return self._incidents


def incidents(entity: str, observations: Iterable[Observation]) -> list[Incident]:
    """Every incident of ``entity``, whose records ``observations`` are (see :meth:`Track.incidents`)."""
    runs = summarise(observations)
    parts = [part(run.checks) for run in runs]
    failed: dict[str, Part] = {}
    for run, seen in zip(runs, parts, strict=True):
        if seen.rank == FAILED:
            failed[run.run_id] = seen if run.run_id not in failed else _join(failed[run.run_id], seen)
    return Track(runs, [p.rank for p in parts]).incidents(entity, failed)


def p95(values: list[float]) -> float | None:
    """Nearest-rank 95th percentile (the value at rank ceil(0.95 n)), None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, -(-95 * len(ordered) // 100) - 1)]


def state(latest: list[Observation]) -> str:
    """What a person reads for a service from its latest run: down when it could not be reached
    or a health check failed, degraded when it answered but another check failed or warned."""
    if not latest:
        return "unknown"
    failed = [o for o in latest if o.verdict == "fail"]
    if any(o.check == "health" or (o.category in _UNREACHABLE) for o in failed):
        return "down"
    if failed or any(o.verdict == "warn" for o in latest):
        return "degraded"
    return "up" if any(o.verdict in _OK for o in latest) else "unknown"


def suite_timelines(
    runs: Iterable[RunChecks], now: datetime, sample: timedelta = AD_HOC_SAMPLE
) -> dict[str, list[Slot]]:
    """Each suite's observed slots and the runs that observed them, worked out once for all of
    its checks and services (a run stamped later than ``now``, by a clock that is ahead, still
    closes its slot): the expected slots of its schedules, and the runs started by hand."""
    found: dict[str, dict[str, ObservedRun]] = defaultdict(dict)
    latest = now - timedelta(microseconds=1)
    for run in runs:
        mine = found[run.suite]
        if run.run_id not in mine:
            mine[run.run_id] = ObservedRun(run.run_id, run.started, run.schedule, Status.UNKNOWN)
            latest = max(latest, run.started)
    latest += timedelta(microseconds=1)
    return {
        suite: with_samples(timeline(mine.values(), latest), [r for r in mine.values() if not r.schedule], sample)
        for suite, mine in found.items()
    }


def with_samples(slots: list[Slot], ad_hoc: Iterable[ObservedRun], sample: timedelta) -> list[Slot]:
    """``slots`` with the runs no schedule started: one inside a slot joins it; one outside every
    slot observes from its start until the next such run or the next slot, at most ``sample``
    (runs that started together share it)."""
    slots = sorted(slots, key=_START)
    starts = [s.start for s in slots]
    extra: list[Slot] = []
    pending = sorted(ad_hoc, key=lambda r: (r.started, r.run_id))
    begins = [r.started for r in pending]
    for run in pending:
        inside = bisect_right(starts, run.started) - 1
        if inside >= 0 and slots[inside].end > run.started:
            slots[inside].run_ids.append(run.run_id)
        elif extra and extra[-1].start == run.started:
            extra[-1].run_ids.append(run.run_id)
        else:
            after = bisect_right(begins, run.started)
            following = begins[after : after + 1] + starts[bisect_right(starts, run.started) :][:1]
            extra.append(Slot(run.started, min([run.started + sample, *following]), "", Status.UNKNOWN, [run.run_id]))
    return sorted(slots + extra, key=_START) if extra else slots


_BY_RANK = (Status.DOWN, Status.UP, Status.UNKNOWN)  # by FAILED, PASSED, NEITHER


class Tracks:
    """The services' and the checks' tracks over ``runs``: a service's verdict in a run is the
    worst of its checks' in the ``availability`` suites, a check's its own (by check id, in any
    suite). Runs alike (the store hands out one ``checks`` tuple for runs whose checks said the
    same) are looked at once, and entities alike share one :class:`Track`."""

    def __init__(self, runs: list[RunChecks], availability: Iterable[str]):
        self.runs = runs
        judged = set(availability)
        known: dict[tuple[int, bool], tuple[dict[str, int], dict[str, int], dict[str, Part], dict[str, Part]]] = {}
        self._alike: list[tuple[int, bool]] = []  # each run's kind: which runs are alike
        self._failed: dict[tuple[str, str], dict[str, Part]] = defaultdict(dict)  # (kind, name) -> run -> part
        self.service_of: dict[str, str] = {}  # check id -> the service of its first record
        for run in runs:
            key = (id(run.checks), run.suite in judged)
            if key not in known:
                by_check: dict[str, list[Seen]] = defaultdict(list)
                by_service: dict[str, list[Seen]] = defaultdict(list)
                for s in run.checks:
                    by_check[s.check_id].append(s)
                    if key[1]:
                        by_service[s.service].append(s)
                checks = {c: part(seen) for c, seen in by_check.items()}
                services = {n: part(seen) for n, seen in by_service.items()}
                known[key] = (
                    {c: p.rank for c, p in checks.items()},
                    {n: p.rank for n, p in services.items()},
                    {c: p for c, p in checks.items() if p.rank == FAILED},
                    {n: p for n, p in services.items() if p.rank == FAILED},
                )
                for check_id, seen in by_check.items():
                    self.service_of.setdefault(check_id, seen[0].service)
            self._alike.append(key)
            _, _, failed_checks, failed_services = known[key]
            if failed_checks or failed_services:  # most runs: nothing failed
                for kind, failed in (("check", failed_checks), ("service", failed_services)):
                    for name, found in failed.items():
                        mine = self._failed[kind, name]
                        mine[run.run_id] = found if run.run_id not in mine else _join(mine[run.run_id], found)
        # An entity's verdict in a run depends only on the run's kind: its verdicts in the kinds
        # (a handful) tell its track, without a look at each run.
        self._kinds = list(known)
        self._checks = [known[k][0] for k in self._kinds]
        self._services = [known[k][1] for k in self._kinds]
        self.services = sorted({name for ranks in self._services for name in ranks})
        self.checks = sorted(self.service_of)
        self._tracks: dict[tuple[int | None, ...], Track] = {}
        self._started = first_started(runs)  # shared by every track
        self._order = sorted(self._started, key=lambda run_id: (self._started[run_id], run_id))

    def _track(self, by_kind: list[int | None]) -> Track:
        key = tuple(by_kind)
        if key not in self._tracks:
            rank_of = dict(zip(self._kinds, key, strict=True))
            self._tracks[key] = Track(self.runs, [rank_of[k] for k in self._alike], self._started, self._order)
        return self._tracks[key]

    def service(self, name: str) -> tuple[Track, dict[str, Part]]:
        """The service's track, and what its failed runs found."""
        return self._track([ranks.get(name) for ranks in self._services]), self._failed.get(("service", name), {})

    def check(self, check_id: str) -> tuple[Track, dict[str, Part]]:
        return self._track([ranks.get(check_id) for ranks in self._checks]), self._failed.get(("check", check_id), {})
