"""The scripted history the SLO, CLI, metrics and status-page tests share, as text-history lines
a :class:`HistoryStore` imports (the runs as the scheduler would have recorded them)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from monitor.history.observation import Observation


def history_lines(observations: Iterable[Observation], target: str = "production") -> list[dict[str, Any]]:
    lines: list[dict[str, Any]] = []
    seen: set[str] = set()
    for o in observations:
        if o.run_id not in seen:
            seen.add(o.run_id)
            lines.append(
                {
                    "kind": "run",
                    "run_id": o.run_id,
                    "target": target,
                    "started": o.started.isoformat(),
                    "finished": (o.started + timedelta(seconds=20)).isoformat(),
                    "schedule": o.schedule,
                    "runner": "scripted",
                    "deploy_version": "",
                }
            )
        details: dict[str, Any] = {}
        if o.check == "latency":
            details = {
                "samples_ms": list(o.latency_ms),
                "median_ms": sorted(o.latency_ms)[len(o.latency_ms) // 2],
                "statuses": [200] * len(o.latency_ms),
            }
        elif o.check == "health":
            details = {"status": 500 if o.verdict == "fail" else 200}
        lines.append(
            {
                "check": o.check,
                "service": o.service,
                "verdict": o.verdict,
                "category": o.category,
                "target": target,
                "url": f"https://internal-{o.service}.corp.example/health",
                "path": o.check_id.split(":", 2)[2] if o.check_id.count(":") == 2 else "",
                "duration_ms": 120.0,
                "attempts": 1,
                "time": o.time.isoformat(),
                "details": details,
                "run_id": o.run_id,
                "suite": o.suite,
                "deploy_version": "",
                "runner": "scripted",
                "message": f"{o.service} {o.check} {'FAILED' if o.verdict == 'fail' else 'ok'}: "
                f"https://internal-{o.service}.corp.example/health",
            }
        )
    return lines
