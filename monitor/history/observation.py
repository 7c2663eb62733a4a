"""What one run found for one check, as the history gives it back: the one record type SLO
figures, the status page and alerting read (:meth:`monitor.history.store.HistoryStore.observations`)."""

from __future__ import annotations

from collections.abc import Mapping
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
    return tuple(float(v) for v in value) if isinstance(value, list) else ()
