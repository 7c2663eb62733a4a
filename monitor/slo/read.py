"""The history's records as :class:`Observation` tuples, for SLO figures and the status page:
the store's one query (:meth:`HistoryStore.observations`), with each latency objective's measure."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

from monitor.history.observation import Observation
from monitor.history.store import HistoryStore
from monitor.profile import LatencyObjective

LATENCY_CHECK = "latency"


def observations(
    store: HistoryStore, target: str, since: datetime, objectives: Mapping[str, LatencyObjective] | None = None
) -> list[Observation]:
    """Every record of ``target`` from runs that started at or after ``since`` (a day earlier
    too, so the first slot of a window has the run that observed it), oldest run first; the
    latency chart's check and each objective's check carry the times they are judged on."""
    measures = {LATENCY_CHECK: "samples_ms", **{o.check: o.measure for o in (objectives or {}).values()}}
    return store.observations(target, since - timedelta(days=1), measures)
