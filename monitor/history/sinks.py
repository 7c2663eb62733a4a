"""Result sinks that keep a run in the history as its records arrive. A history that cannot be
written never costs a run its verdict or its results file: the first problem becomes a note on
the run (every report shows it) and the sink stops trying; the results file can be imported
later (``slurpy-monitor history import``)."""
from __future__ import annotations

from pathlib import Path

from monitor.history import textlog
from monitor.history.store import HistoryError, HistoryStore, RunInfo
from monitor.pipeline import Run
from monitor.results import CheckResult


def run_info(run: Run, finished: bool = False) -> RunInfo:
    return RunInfo(run_id=run.run_id, target=run.target, started=run.started.isoformat(timespec="milliseconds"),
                   finished=run.finished.isoformat(timespec="milliseconds") if finished and run.finished else None,
                   deploy_version=run.deploy_version, runner=run.runner, schedule=run.schedule)


class _Guarded:
    def __init__(self, results_path: Path | None):
        self.results_path = results_path
        self.broken = False
        self.seq = 0

    def _note(self, run: Run, problem: str, recover: str = "") -> None:
        self.broken = True
        keep = f"; this run's records are in {self.results_path}{recover}" if self.results_path else ""
        run.notes.append(problem + keep)


class SQLiteSink(_Guarded):
    """One transaction per record (see :mod:`monitor.history.store`)."""

    def __init__(self, path: Path, results_path: Path | None = None):
        super().__init__(results_path)
        self.store = HistoryStore(path)

    def add(self, run: Run, result: CheckResult) -> None:
        seq, self.seq = self.seq, self.seq + 1  # positions count every record, written or not
        if self.broken:
            return
        try:
            if seq == 0:
                self.store.begin_run(run_info(run))
            self.store.add(result, seq)
        except HistoryError as exc:
            self._note(run, str(exc), self._recover)

    @property
    def _recover(self) -> str:
        return (f": once fixed, add them with "
                f"`slurpy-monitor history import {self.results_path} --history {self.store.path}`")

    def close(self, run: Run) -> None:
        try:
            if self.seq and not self.broken:
                self.store.finish_run(run.run_id, run_info(run, finished=True).finished or "")
        except HistoryError as exc:
            self._note(run, str(exc), self._recover)
        finally:
            self.store.close()


class TextHistorySink(_Guarded):
    """Appends the run to ``<root>/<target>/<day it started>.jsonl`` (the data branch's files)."""

    def __init__(self, root: Path, results_path: Path | None = None):
        super().__init__(results_path)
        self.root = root

    def _append(self, run: Run, line: dict) -> None:
        if self.broken:
            return
        path = textlog.day_file(self.root, run.target, run.started)
        try:
            textlog.append_line(path, line)
        except OSError as exc:
            self._note(run, f"text history {path} cannot be written ({exc}): check the folder exists and is writable")

    def add(self, run: Run, result: CheckResult) -> None:
        if self.seq == 0:
            self._append(run, run_info(run).to_line())
        self.seq += 1
        self._append(run, result.to_dict())

    def close(self, run: Run) -> None:
        if self.seq:
            self._append(run, run_info(run, finished=True).to_line())
