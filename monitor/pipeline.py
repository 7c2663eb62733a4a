"""The results pipeline: producers (the pytest plugin, later Locust and the watch mode) hand
:class:`CheckResult` records to a :class:`RunRecorder`; it stamps them with the run and passes
them to its sinks (the JSON-lines file and the summary first; history, alerts, metrics and the
status page next). Nothing here knows about pytest."""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Protocol

from monitor import cost
from monitor.results import CheckResult, Verdict, utc_now


@dataclass
class Run:
    target: str
    run_id: str = field(default_factory=lambda: f"{utc_now():%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}")
    started: datetime = field(default_factory=utc_now)
    finished: datetime | None = None
    results: list[CheckResult] = field(default_factory=list)
    deploy_version: str = ""
    runner: str = ""
    schedule: str = ""  # the cron line that started this run, if a scheduler did: the history expects the next
    notes: list[str] = field(default_factory=list)  # problems sinks met (an unwritable history), for every report


class Sink(Protocol):
    """Receives every record of a run as it is made, then the finished run once."""

    def add(self, run: Run, result: CheckResult) -> None: ...

    def close(self, run: Run) -> None: ...


class RunRecorder:
    def __init__(self, run: Run, sinks: list[Sink] | None = None):
        self.run = run
        self.sinks: list[Sink] = list(sinks or [])
        self._closed = False

    def add(self, result: CheckResult) -> None:
        result.scrub()
        result.target = result.target or self.run.target
        result.run_id = result.run_id or self.run.run_id
        result.deploy_version = result.deploy_version or self.run.deploy_version
        result.runner = result.runner or self.run.runner
        self.run.results.append(result)
        for sink in self.sinks:
            sink.add(self.run, result)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self.run.finished = utc_now()
        for sink in self.sinks:
            sink.close(self.run)


class JsonlSink:
    """One JSON object a line, appended and flushed as each record arrives, so a run killed
    midway keeps what it had already judged. A record it cannot write (a full disk) is named in
    ``lost`` and in a run note; the run's plugin makes the run exit non-zero."""

    def __init__(self, path: Path):
        self.path = path
        self.lost: list[str] = []
        self.problem = ""

    def add(self, run: Run, result: CheckResult) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as fh:
                fh.write(json.dumps(result.to_dict(), sort_keys=True) + "\n")
        except OSError as exc:
            self.lost.append(result.id)
            self.problem = self.problem or f"{self.path}: {exc.strerror or exc}"

    def close(self, run: Run) -> None:
        if self.lost:
            shown = ", ".join(self.lost[:10]) + (f" and {len(self.lost) - 10} more" if len(self.lost) > 10 else "")
            run.notes.append(
                f"results file INCONCLUSIVE [monitor]: {len(self.lost)} records could not be written "
                f"({self.problem}): {shown}; they are only in the summary above and in the history"
            )


_ORDER = {Verdict.FAIL: 0, Verdict.ERROR: 1, Verdict.WARN: 2, Verdict.FLAKY: 3, Verdict.SKIP: 4, Verdict.PASS: 5}


def summary_lines(run: Run, results_path: Path | None = None) -> list[str]:
    """Every check, worst first: verdict, id, duration, message."""
    counts = {v: sum(r.verdict is v for r in run.results) for v in Verdict}
    tally = ", ".join(f"{n} {v.value}" for v, n in counts.items() if n)
    lines = [f"Slurpy monitor: target {run.target}: {len(run.results)} checks: {tally}"]
    if results_path is not None:
        lines.append(f"results: {results_path}")
    lines.append(cost.line(cost.tally(run.results)))
    for result in sorted(run.results, key=lambda r: (_ORDER[r.verdict], r.id)):
        took = f"{result.duration_ms:6.0f} ms" if result.duration_ms is not None else " " * 9
        lines.append(f"  {result.verdict.value.upper():5} {result.id:36} {took}  {result.message}")
    return lines


class SummarySink:
    """Hands the finished run's summary lines to ``emit`` (a terminal, a log, a step summary)."""

    def __init__(self, emit: Callable[[list[str]], None], results_path: Path | None = None):
        self.emit, self.results_path = emit, results_path

    def add(self, run: Run, result: CheckResult) -> None:
        pass

    def close(self, run: Run) -> None:
        if run.results:
            self.emit(summary_lines(run, self.results_path))
