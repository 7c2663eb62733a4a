"""The history's records as :class:`Observation` tuples, for SLO figures and the status page:
the store's one query (:meth:`HistoryStore.observations`), with each latency objective's measure;
what the status page draws (:func:`drawn`); and the latency objectives' times alone
(:func:`latency_times`)."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import datetime

from monitor.history.observation import Drawn, Observation
from monitor.history.store import HistoryStore
from monitor.profile import LatencyObjective

LATENCY_CHECK = "latency"


def observations(
    store: HistoryStore,
    target: str,
    since: datetime,
    objectives: Mapping[str, LatencyObjective] | None = None,
    check_ids: Collection[str] | None = None,
) -> list[Observation]:
    """Every record of ``target`` from runs that started at or after ``since``, oldest run first
    (of the ``check_ids`` named, if given: see :meth:`HistoryStore.observations`); the latency
    chart's check and each objective's check carry the times they are judged on."""
    return store.observations(target, since, _measures(objectives), check_ids=check_ids)


def drawn(
    store: HistoryStore, target: str, since: datetime, objectives: Mapping[str, LatencyObjective] | None = None
) -> Drawn:
    """What the status page draws of the runs that started at or after ``since``: the latency
    chart's check's times, as :func:`observations` gives them, and the deploy versions
    (:meth:`HistoryStore.drawn`; :func:`~monitor.history.observation.drawn` of every record is the
    same)."""
    return store.drawn(target, since, LATENCY_CHECK, _measures(objectives))


def _measures(objectives: Mapping[str, LatencyObjective] | None) -> dict[str, str]:
    """Check id or kind -> the measure its records' times are read from."""
    return {LATENCY_CHECK: "samples_ms", **{o.check: o.measure for o in (objectives or {}).values()}}


def latency_times(
    store: HistoryStore, target: str, since: datetime, objectives: Mapping[str, LatencyObjective]
) -> dict[str, list[tuple[datetime, tuple[float, ...]]]]:
    """Each latency objective's check id -> (run start, the times it is judged on) of its records
    in the runs that started at or after ``since``: what :func:`observations` gives them, read from
    the numbers the store keeps for ``samples_ms`` where it keeps them all, else from the records."""
    measures = {o.check: o.measure for o in objectives.values()}
    found: dict[str, list[tuple[datetime, tuple[float, ...]]]] = {}
    for check, measure in measures.items():
        kept = store.samples(target, check, since) if measure == "samples_ms" else None
        if kept is not None:
            found[check] = kept
    rest = [check for check in measures if check not in found]
    if rest:
        for o in observations(store, target, since, objectives, check_ids=rest):
            found.setdefault(o.check_id, []).append((o.started, o.latency_ms))
    return found
