"""From a check's runs, oldest first, to its incidents: opened after ``open_after`` consecutive
failing runs, resolved after ``resolve_after`` consecutive passing ones; then from the incidents
of a service's checks to one incident per outage (:func:`outages`), which names its root cause
first and announces a new, different problem found while it is open as an update ("worse").
Pure: the same history gives the same incidents, whichever process (a cron run, a gate, the watch
mode) reads it.

A run that only skipped or erred on a check (the monitor could not judge it) neither breaks nor
extends a streak: an outage is not resolved by a broken monitor, nor opened by one.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from fnmatch import fnmatchcase

from monitor.history.observation import Observation
from monitor.history.schedule import Slot
from monitor.profile import SEVERITIES, AlertPolicy
from monitor.results import Verdict


class Outcome(Enum):
    BAD = "bad"
    GOOD = "good"
    NONE = "none"


@dataclass(frozen=True)
class Update:
    """A new, different problem found while an incident was open, announced once as "worse"."""

    key: str  # stable: which problems it announces
    at: datetime
    run_id: str
    text: str  # one line
    detail: str  # the full messages of the checks that found it


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
    cause: str = ""  # one line, the root cause first: "backend unreachable: connection refused"
    root: str = ""  # the check whose failure is the cause (its runbook, its command to reproduce)
    also: list[str] = field(default_factory=list)  # the service's other checks failing when it opened
    checks: list[str] = field(default_factory=list)  # every check in it (maintenance windows match these)
    updates: list[Update] = field(default_factory=list)

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
                current = Incident(
                    target,
                    obs.check_id,
                    obs.service,
                    level,
                    first.started,
                    obs.started,
                    first.run_id,
                    obs.run_id,
                    obs.message,
                    obs.url,
                    failed_runs=len(streak) - 1,
                )
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


# The phases at which a service did not answer at all: its other failures are this one's symptoms.
UNREACHABLE = frozenset({"dns", "connect", "tls", "timeout"})
BURN = "burn:"
_LONGEST = 200


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _LONGEST else text[: _LONGEST - 1] + "…"


def label(check_id: str) -> str:
    """How a message names a check of a service it already named: ``health /health/healthz``,
    ``latency``, ``error budget (page-fast)``."""
    kind, _, rest = check_id.partition(":")
    if kind == "burn":
        return f"error budget ({rest.split(':')[0]})"
    return f"{kind} {rest.partition(':')[2]}".strip()


def finding(obs: Observation) -> str:
    """What the check found, without the header and URL its message starts with."""
    text = obs.message
    head, sep, rest = text.partition("]: ")
    text = rest if sep else text.partition(": ")[2] or text
    if obs.url and text.startswith(obs.url + ": "):
        text = text[len(obs.url) + 2 :]
    return text


def _unreachable(obs: Observation) -> str:
    text = finding(obs).removeprefix("expected an answer, ")
    text = re.sub(r"\s*\(after \d+ attempt\(s\)\)\s*$", "", text)
    return "connection refused" if "connection refused" in text.lower() else _short(text or str(obs.category))


def cause(obs: Observation) -> str:
    """One line a tired person reads first: ``backend unreachable: connection refused``, ``backend
    health /health/healthz failing [body]: failing dependencies: qdrant``."""
    who = obs.service or obs.check_id
    if obs.check_id.startswith(BURN):
        return f"{who}: {obs.message}"
    if obs.category in UNREACHABLE:
        return f"{who} unreachable: {_unreachable(obs)}"
    state = "warning" if obs.verdict is Verdict.WARN else "failing"
    what = label(obs.check_id) if obs.service else ""
    return _short(
        f"{who} {what} {state}".replace("  ", " ")
        + (f" [{obs.category}]" if obs.category else "")
        + f": {finding(obs)}"
    )


def _problems(obs: Observation) -> dict[tuple[str | None, ...], str]:
    """The problems a failing record states, each under a key that holds across runs (digits
    aside: a size, a count or a latency changes every run, the problem does not). A service that
    does not answer is one problem whichever check saw it."""
    if obs.check_id.startswith(BURN):
        return {}
    if obs.category in UNREACHABLE:
        return {("unreachable",): cause(obs)}
    if not obs.problems:
        return {(obs.check_id, obs.category): cause(obs)}
    found: dict[tuple[str | None, ...], str] = {}
    for problem in obs.problems:
        for part in problem.split("; "):
            key = (obs.check_id, obs.category, re.sub(r"\d+(?:\.\d+)?", "#", part))
            found.setdefault(
                key, _short(f"{obs.service or obs.check_id} {label(obs.check_id)} failing [{obs.category}]: {part}")
            )
    return found


_ROOT = [
    lambda o: o.category in UNREACHABLE and o.check_id.startswith("health:"),
    lambda o: o.category in UNREACHABLE,
    lambda o: o.check_id.startswith("health:"),
    lambda o: o.verdict is Verdict.FAIL,
]


def _root_first(failing: Iterable[Observation]) -> list[Observation]:
    """An unreachable service first (its health check's word before the others'), then a failing
    health check, then other failures, then warnings."""
    return sorted(failing, key=lambda o: (next((i for i, rule in enumerate(_ROOT) if rule(o)), len(_ROOT)), o.check_id))


def outages(
    policy: AlertPolicy, target: str, name: str, observations: Sequence[Observation], extra: Sequence[Incident] = ()
) -> list[Incident]:
    """One incident per outage of one service (``name``; a check without a service is its own):
    the incidents of its checks (and ``extra`` ones, the burn-rate alerts), overlapping in time,
    are one. It opens when the first of them opens, and resolves when the last that keeps it open
    resolves (a burn-rate alert that joined an open incident does not keep it open: it is the same
    outage's tail). Its cause is the root of what failed in the run that opened it; a problem not
    seen in that run, found in ``open_after`` consecutive runs that judged it while the incident
    stays open, is an :class:`Update`."""
    members = sorted(
        [i for seen in by_check(observations).values() for i in incidents(policy, target, seen)] + list(extra),
        key=lambda i: (i.opened_at, i.check_id.startswith(BURN), i.check_id),
    )
    found: list[tuple[Incident, list[Incident]]] = []
    end: datetime | None = None
    for member in members:
        if found and (end is None or member.opened_at <= end):
            outage, keeping = found[-1]
            if not member.check_id.startswith(BURN):
                keeping.append(member)
        else:
            outage = Incident(
                target,
                name,
                name,
                member.severity,
                member.since,
                member.opened_at,
                member.first_run,
                member.opened_run,
                member.last_error,
                member.url,
                key=f"{target}|{name}|{member.first_run}",
            )
            keeping = [member]
            found.append((outage, keeping))
        outage.severity = higher(outage.severity, member.severity)
        outage.since = min(outage.since, member.since)
        outage.flaky_runs += member.flaky_runs
        outage.checks = sorted({*outage.checks, member.check_id})
        ends = [k.resolved_at for k in keeping]
        end = None if None in ends else max(e for e in ends if e is not None)
        outage.resolved_at = end
        outage.resolved_run = "" if end is None else next(k.resolved_run for k in keeping if k.resolved_at == end)
    runs = _by_run(observations)
    for outage, keeping in found:
        _describe(policy, outage, keeping[0], runs)
        # A maintenance window names checks; the budget burns because of them, so they decide.
        outage.checks = [c for c in outage.checks if not c.startswith(BURN)] or outage.checks
    return [outage for outage, _ in found]


def _by_run(observations: Sequence[Observation]) -> list[tuple[str, datetime, dict[str, Observation]]]:
    """(run, start, the worst record of each check) for every run, oldest first."""
    runs: dict[str, dict[str, Observation]] = {}
    for seen in by_check(observations).values():
        for obs in per_run(seen):
            runs.setdefault(obs.run_id, {})[obs.check_id] = obs
    return sorted(
        ((run_id, min(o.started for o in checks.values()), checks) for run_id, checks in runs.items()),
        key=lambda r: (r[1], r[0]),
    )


def _describe(
    policy: AlertPolicy, outage: Incident, first: Incident, runs: list[tuple[str, datetime, dict[str, Observation]]]
) -> None:
    """The cause, what else failed, the failed runs, and the updates of one outage."""

    def bad(checks: dict[str, Observation]) -> list[Observation]:
        return [o for o in checks.values() if outcome(policy, o.verdict) is Outcome.BAD]

    opening = next((checks for run_id, _, checks in runs if run_id == outage.opened_run), {})
    failing = _root_first(bad(opening))
    outage.root = first.check_id
    if first.check_id.startswith(BURN):  # the budget burned before any check failed long enough in a row
        outage.cause = f"{outage.service}: {first.last_error}"
        outage.also = list(dict.fromkeys(label(o.check_id) for o in failing))
    elif failing:
        root = failing[0]
        outage.cause, outage.last_error, outage.url = cause(root), root.message, root.url or outage.url
        outage.root = root.check_id
        outage.also = list(dict.fromkeys(label(o.check_id) if o.service else o.check_id for o in failing[1:]))
    known = {key for o in failing for key in _problems(o)}
    outage.checks = sorted({*outage.checks, *(o.check_id for o in failing)})
    streaks: dict[tuple[str | None, ...], int] = {}
    outage.failed_runs = 0
    for run_id, started, checks in runs:
        if started < outage.since or (outage.resolved_at is not None and started >= outage.resolved_at):
            continue
        now_bad = bad(checks)
        outage.failed_runs += bool(now_bad)
        if started <= outage.opened_at:
            continue
        judged = {c for c, o in checks.items() if outcome(policy, o.verdict) is not Outcome.NONE}
        problems: dict[tuple[str | None, ...], tuple[str, Observation]] = {}
        for o in _root_first(now_bad):  # a problem several checks saw is told by the one nearest its root
            for key, text in _problems(o).items():
                problems.setdefault(key, (text, o))
        new = []
        for key in {*streaks, *problems}:
            owner_judged = bool(judged) if key == ("unreachable",) else key[0] in judged
            if key in problems:
                streaks[key] = streaks.get(key, 0) + 1
            elif owner_judged:
                streaks[key] = 0
            if key not in known and streaks.get(key, 0) >= policy.open_after:
                new.append(key)
        if new:
            new.sort(key=repr)
            known.update(new)
            digest = hashlib.sha256(repr(new).encode()).hexdigest()[:12]
            texts = list(dict.fromkeys(problems[k][0] for k in new))
            details = list(dict.fromkeys(problems[k][1].message for k in new))
            outage.updates.append(Update(digest, started, run_id, "; ".join(texts), "\n".join(details)))
            outage.checks = sorted({*outage.checks, *(problems[k][1].check_id for k in new)})


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
                current = Incident(
                    target,
                    check_id,
                    "",
                    severity_of(policy, check_id),
                    first.start,
                    slot.end,
                    f"slot-{first.start:%Y%m%dT%H%M%SZ}",
                    f"slot-{slot.start:%Y%m%dT%H%M%SZ}",
                    "",
                    "",
                    failed_runs=0,
                    cause=f"{suite} runs stopped: none since {first.start:%Y-%m-%d %H:%M} UTC",
                )
                found.append(current)
            if current is not None:
                current.failed_runs = len(empty)
                current.last_error = (
                    f"no {suite} run since {empty[0].start:%Y-%m-%d %H:%M} UTC: "
                    f"{len(empty)} expected runs missed (schedule {slot.schedule!r}); "
                    "is the scheduler still running?"
                )
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
