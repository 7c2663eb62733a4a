"""What one run found for one check, as the history gives it back: the one record type SLO
figures, the status page and alerting read (:meth:`monitor.history.store.HistoryStore.observations`);
what runs amount to, check by check (:class:`RunChecks`), and what the status page draws of them
(:class:`Drawn`), each as the store keeps or reads it and as made from records."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from datetime import datetime
from typing import Any, NamedTuple

from monitor.results import Verdict


class Observation(NamedTuple):
    """One check's verdict in one run, as the history keeps it."""

    run_id: str
    started: datetime  # the run's start (aware, UTC): the slot it observed
    schedule: str  # the cron line that started the run; "" for a run started by hand
    suite: str
    check_id: str
    check: str  # the kind: health, latency, tls, ...
    service: str
    verdict: Verdict
    category: str | None
    time: datetime  # when this record was made
    latency_ms: tuple[float, ...] = ()  # the samples a latency objective reads, if any
    deploy_version: str = ""  # set on a post-deploy gate's records: the status page marks deploys
    # What alerting words an incident with (read with ``findings``): the check's message and URL,
    # and for a failing or warning record ``details.problems``, what tells one problem from another.
    message: str = ""
    url: str = ""
    problems: tuple[str, ...] = ()


def measured(details: Mapping[str, Any], duration_ms: float | None, measure: str) -> tuple[float, ...]:
    """The times ``measure`` names in one record (see :class:`monitor.profile.LatencyObjective`)."""
    if measure == "duration_ms":
        return (float(duration_ms),) if duration_ms is not None else ()
    if measure.startswith("step:"):
        prefix = measure.removeprefix("step:")
        return tuple(float(s["ms"]) for s in details.get("steps", []) if str(s.get("step", "")).startswith(prefix))
    value = details.get(measure)
    if isinstance(value, (int, float)):
        return (float(value),)
    return tuple(map(float, value)) if isinstance(value, list) else ()


OK = frozenset({Verdict.PASS, Verdict.FLAKY, Verdict.WARN})
FAILED, PASSED, NEITHER = 0, 1, 2  # what a check's records in one run amount to, worst first


def rank(verdict: str) -> int:
    """A record's verdict as uptime counts it: failed, passed (pass, flaky, warn), or neither (a
    skip, the monitor's own error: no judgement of the target)."""
    return FAILED if verdict == Verdict.FAIL else PASSED if verdict in OK else NEITHER


class Seen(NamedTuple):
    """What one run's records of one check, in one suite, amount to."""

    check_id: str
    check: str
    service: str
    rank: int  # the worst of its records: FAILED, PASSED or NEITHER
    failed: tuple[str, ...] = ()  # the categories of its failed records, sorted, each once


class RunChecks(NamedTuple):
    """One run's records of one suite, a :class:`Seen` per check (sorted): what uptime, budgets,
    burn rates and incidents are worked out from. The store keeps them as the records come in;
    :func:`summarise` makes them from observations."""

    run_id: str
    started: datetime
    schedule: str
    suite: str
    checks: tuple[Seen, ...]


def seen_checks(records: Iterable[tuple[str, str, str, str, str | None]]) -> tuple[Seen, ...]:
    """The checks of one run's records of one suite: (check id, kind, service, verdict, category) each."""
    worst: dict[tuple[str, str, str], int] = {}
    failed: dict[tuple[str, str, str], set[str]] = {}
    for check_id, check, service, verdict, category in records:
        key = (check_id, check, service)
        worst[key] = min(worst.get(key, NEITHER), rank(verdict))
        if verdict == Verdict.FAIL and category:
            failed.setdefault(key, set()).add(category)
    return tuple(Seen(*key, worst[key], tuple(sorted(failed.get(key, ())))) for key in sorted(worst))


def summarise(observations: Iterable[Observation]) -> list[RunChecks]:
    """Observations as :class:`RunChecks`, runs and their suites in the order they come."""
    records: dict[tuple[str, str], list[Observation]] = {}
    for o in observations:
        records.setdefault((o.run_id, o.suite), []).append(o)
    return [
        RunChecks(
            mine[0].run_id,
            mine[0].started,
            mine[0].schedule,
            mine[0].suite,
            seen_checks((o.check_id, o.check, o.service, o.verdict, o.category) for o in mine),
        )
        for mine in records.values()
    ]


class Drawn(NamedTuple):
    """What the status page draws beside the SLO figures, from the records of some span of runs:
    the store reads it from its indexes (:meth:`monitor.history.store.HistoryStore.drawn`),
    :func:`drawn` makes it from observations; the same records, in no particular order."""

    # (service, run start, times) of each record of the latency chart's check that has times
    latency: list[tuple[str, datetime, tuple[float, ...]]]
    # (service, run start, version) of each record that carries a deploy version
    deploys: list[tuple[str, datetime, str]]

    def without(self, services: Collection[str]) -> Drawn:
        """The same without the records of ``services``."""
        return Drawn(
            [row for row in self.latency if row[0] not in services],
            [row for row in self.deploys if row[0] not in services],
        )


def drawn(observations: Iterable[Observation], kind: str) -> Drawn:
    """What the status page draws of ``observations``: the times of the records of the checks of
    ``kind`` (the latency chart's) that have some, and every record's deploy version."""
    rows = list(observations)
    return Drawn(
        [(o.service, o.started, o.latency_ms) for o in rows if o.check == kind and o.latency_ms],
        [(o.service, o.started, o.deploy_version) for o in rows if o.deploy_version],
    )
