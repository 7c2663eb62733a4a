"""From a check's runs, oldest first, to its incidents: opened after ``open_after`` consecutive
failing runs, resolved after ``resolve_after`` consecutive passing ones. Pure: the same history
gives the same incidents, whichever process (a cron run, a gate, the watch mode) reads it.

A run that only skipped or erred on a check (the monitor could not judge it) neither breaks nor
extends a streak: an outage is not resolved by a broken monitor, nor opened by one.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from fnmatch import fnmatchcase

from monitor.history.schedule import Slot
from monitor.profile import SEVERITIES, AlertPolicy
from monitor.results import Verdict


class Outcome(Enum):
    BAD = "bad"
    GOOD = "good"
    NONE = "none"


@dataclass(frozen=True)
class Observation:
    """What one run found for one check (the worst of its records for it)."""

    run_id: str
    started: datetime
    check_id: str
    verdict: Verdict
    message: str = ""
    url: str = ""
    service: str = ""
    time: str = ""


@dataclass
class Incident:
    target: str
    check_id: str
    service: str
    severity: str
    since: datetime  # the start of the first failing run
    opened_at: datetime  # the start of the run that made the streak long enough
    first_run: str
    opened_run: str
    last_error: str
    url: str
    failed_runs: int = 0
    flaky_runs: int = 0
    resolved_at: datetime | None = None
    resolved_run: str = ""
    key: str = ""  # stable across evaluations: the check and the run its failing streak began with

    def __post_init__(self) -> None:
        self.key = self.key or f"{self.target}|{self.check_id}|{self.first_run}"

    @property
    def open(self) -> bool:
        return self.resolved_at is None


def severity_of(policy: AlertPolicy, check_id: str) -> str:
    return next((level for pattern, level in policy.severity.items() if fnmatchcase(check_id, pattern)), "critical")


def higher(a: str, b: str) -> str:
    return max(a, b, key=SEVERITIES.index)


def outcome(policy: AlertPolicy, verdict: Verdict) -> Outcome:
    if verdict is Verdict.FAIL or (verdict is Verdict.WARN and policy.warn_severity != "none"):
        return Outcome.BAD
    if verdict in (Verdict.PASS, Verdict.FLAKY, Verdict.WARN):
        return Outcome.GOOD
    return Outcome.NONE


_WORST = [Verdict.FAIL, Verdict.WARN, Verdict.FLAKY, Verdict.PASS, Verdict.ERROR, Verdict.SKIP]


def per_run(observations: Iterable[Observation]) -> list[Observation]:
    """One observation per run, oldest run first: the worst verdict a run gave the check."""
    runs: dict[str, Observation] = {}
    for obs in observations:
        known = runs.get(obs.run_id)
        if known is None or _WORST.index(obs.verdict) < _WORST.index(known.verdict):
            runs[obs.run_id] = obs
    return sorted(runs.values(), key=lambda o: (o.started, o.run_id))


def incidents(policy: AlertPolicy, target: str, observations: Iterable[Observation]) -> list[Incident]:
    """Every incident of one check, oldest first; the last may still be open."""
    found: list[Incident] = []
    streak: list[Observation] = []
    current: Incident | None = None
    passes = 0
    for obs in per_run(observations):
        kind = outcome(policy, obs.verdict)
        if kind is Outcome.BAD:
            passes = 0
            streak.append(obs)
            level = severity_of(policy, obs.check_id)
            if obs.verdict is Verdict.WARN:
                level = min(level, policy.warn_severity, key=SEVERITIES.index)
            if current is None and len(streak) >= policy.open_after:
                first = streak[0]
                current = Incident(target, obs.check_id, obs.service, level, first.started, obs.started,
                                   first.run_id, obs.run_id, obs.message, obs.url, failed_runs=len(streak) - 1)
                found.append(current)
            if current is not None:
                current.severity = higher(current.severity, level)
                current.last_error, current.url = obs.message, obs.url or current.url
                current.failed_runs += 1
        elif kind is Outcome.GOOD:
            streak = []
            if current is not None:
                passes += 1
                current.flaky_runs += obs.verdict is Verdict.FLAKY
                if passes >= policy.resolve_after:
                    current.resolved_at, current.resolved_run = obs.started, obs.run_id
                    current, passes = None, 0
    return found


def missed_run_incidents(policy: AlertPolicy, target: str, suite: str, slots: Iterable[Slot]) -> list[Incident]:
    """An incident per stretch of at least ``missed_runs_after`` expected runs that never came,
    resolved by the next run that did."""
    found: list[Incident] = []
    empty: list[Slot] = []
    current: Incident | None = None
    check_id = f"missed-runs:{suite}"
    for slot in slots:
        if not slot.run_ids:
            empty.append(slot)
            if current is None and len(empty) >= policy.missed_runs_after:
                first = empty[0]
                current = Incident(target, check_id, "", severity_of(policy, check_id), first.start, slot.end,
                                   f"slot-{first.start:%Y%m%dT%H%M%SZ}", f"slot-{slot.start:%Y%m%dT%H%M%SZ}",
                                   "", "", failed_runs=0)
                found.append(current)
            if current is not None:
                current.failed_runs = len(empty)
                current.last_error = (f"no {suite} run since {empty[0].start:%Y-%m-%d %H:%M} UTC: "
                                      f"{len(empty)} expected runs missed (schedule {slot.schedule!r}); "
                                      "is the scheduler still running?")
        else:
            if current is not None:
                current.resolved_at, current.resolved_run = slot.start, slot.run_ids[0]
                current = None
            empty = []
    return found


def by_check(observations: Iterable[Observation]) -> Mapping[str, list[Observation]]:
    grouped: dict[str, list[Observation]] = {}
    for obs in observations:
        grouped.setdefault(obs.check_id, []).append(obs)
    return grouped
