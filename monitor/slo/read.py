"""The history's records as :class:`Observation` tuples: one query, and the JSON details parsed
only for the checks whose times a latency objective or the latency chart reads."""
from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from monitor.history.store import HistoryStore
from monitor.profile import LatencyObjective
from monitor.slo.compute import Observation

LATENCY_CHECK = "latency"


def measured(details: Mapping[str, Any], duration_ms: float | None, measure: str) -> tuple[float, ...]:
    """The times ``measure`` names in one record (see :class:`LatencyObjective`)."""
    if measure == "duration_ms":
        return (float(duration_ms),) if duration_ms is not None else ()
    if measure.startswith("step:"):
        prefix = measure.removeprefix("step:")
        return tuple(float(s["ms"]) for s in details.get("steps", []) if str(s.get("step", "")).startswith(prefix))
    value = details.get(measure)
    if isinstance(value, (int, float)):
        return (float(value),)
    return tuple(float(v) for v in value) if isinstance(value, list) else ()


def observations(store: HistoryStore, target: str, since: datetime,
                 objectives: Mapping[str, LatencyObjective] | None = None) -> list[Observation]:
    """Every record of ``target`` from runs that started at or after ``since`` (a day earlier
    too, so the first slot of a window has the run that observed it), oldest run first."""
    measures = {o.check: o.measure for o in (objectives or {}).values()}
    wanted = sorted({*measures, LATENCY_CHECK})
    marks = ", ".join("?" * len(wanted))
    with store._explained():
        rows = store._connect().execute(
            f"""SELECT run_id, started, schedule, suite, check_id, check_name, service, verdict, category, time,
                       CASE WHEN check_id IN ({marks}) OR check_name IN ({marks}) THEN details END, duration_ms,
                       deploy_version
                FROM records WHERE target = ? AND started >= ? ORDER BY started, run_id, seq""",
            (*wanted, *wanted, target, (since - timedelta(days=1)).isoformat())).fetchall()
    parsed: dict[str, datetime] = {}

    def when(text: str) -> datetime:
        found = parsed.get(text)
        if found is None:
            found = parsed[text] = datetime.fromisoformat(text)
        return found

    out = []
    for run_id, started, schedule, suite, check_id, check, service, verdict, category, time, details, duration, \
            version in rows:
        times: tuple[float, ...] = ()
        if details is not None:
            data = json.loads(details)
            times = measured(data, duration, measures.get(check_id, "samples_ms"))
        out.append(Observation(run_id, when(started), schedule, suite, check_id, check, service, verdict, category,
                               when(time), times, version))
    return out
