"""The scripted history the SLO, CLI, metrics, alert and status-page tests share: the runs as
observations (a smoke run every 5 minutes with a fault in the middle, watch-mode rounds), and as
text-history lines a :class:`HistoryStore` imports (the runs as the scheduler would have recorded them)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from monitor.history.observation import Observation
from monitor.profile import SLOPolicy
from monitor.results import Verdict

EVERY_5 = "*/5 * * * *"
T0 = datetime(2026, 3, 10, 10, 0, tzinfo=UTC)
NOON = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
POLICY = SLOPolicy()


def slot(n: int) -> datetime:
    return T0 + timedelta(minutes=5 * n)


def run(
    n: int, health: str = "pass", latency: str = "pass", late_s: int = 30, samples: tuple[float, ...] = (100.0,) * 5
) -> list[Observation]:
    """One smoke run in slot n (10:00 + 5n min), started `late_s` after its scheduled time."""
    started = slot(n) + timedelta(seconds=late_s)
    rid = f"r{n:02d}"
    return [
        Observation(
            rid,
            started,
            EVERY_5,
            "smoke",
            "health:backend:/health",
            "health",
            "backend",
            Verdict(health),
            "http status" if health == "fail" else None,
            started + timedelta(seconds=1),
        ),
        Observation(
            rid,
            started,
            EVERY_5,
            "smoke",
            "latency:backend",
            "latency",
            "backend",
            Verdict(latency),
            "latency" if latency == "fail" else None,
            started + timedelta(seconds=2),
            (900.0,) * 5 if latency == "fail" else samples,
        ),
    ]


def scripted() -> list[Observation]:
    """10:00-10:55 healthy (12 runs); 11:00, 11:05, 11:10 the health endpoint answers 500 (fault on);
    11:15 no run (GitHub dropped it); 11:20 health back but slow (latency fails); 11:25-11:55 healthy."""
    rows: list[Observation] = []
    for n in range(24):
        if n == 15:
            continue
        rows += run(n, health="fail" if n in (12, 13, 14) else "pass", latency="fail" if n == 16 else "pass")
    return rows


WATCH = "every 15s"


def watch_round(k: int, verdict: str = "pass", late_s: float = 0.0) -> list[Observation]:
    """Round k of `slurpy-monitor watch --every 15s` started at 10:00:00, `late_s` after its tick."""
    started = T0 + timedelta(seconds=15 * k + late_s)
    return [
        Observation(
            f"w{k:03d}",
            started,
            WATCH,
            "smoke",
            "health:backend:/health",
            "health",
            "backend",
            Verdict(verdict),
            "connect" if verdict == "fail" else None,
            started + timedelta(seconds=1),
        )
    ]


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


def as_version(path: Path, version: int) -> None:
    """A history file as an earlier monitor wrote it: version 2 had no results.samples (nor its
    index), version 1 no run_checks and no results_by_run_check either."""
    with closing(sqlite3.connect(path)) as db:
        db.execute("DROP INDEX results_samples")
        db.execute("ALTER TABLE results DROP COLUMN samples")
        if version == 1:
            db.execute("DROP TABLE run_checks")
            db.execute("DROP INDEX results_by_run_check")
        db.execute(f"PRAGMA user_version = {version}")
        db.commit()
