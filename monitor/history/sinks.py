"""Result sinks that keep a run in the history as its records arrive. A history that cannot be
written never costs a run its verdict or its results file: the first problem becomes a note on
the run (every report shows it) and the sink stops trying; the results file can be imported
later (``slurpy-monitor history import``)."""

from __future__ import annotations

import json
from pathlib import Path

from monitor.history import textlog
from monitor.history.store import HistoryError, HistoryStore, RunInfo
from monitor.pipeline import Run
from monitor.results import CheckResult


def run_info(run: Run, finished: bool = False) -> RunInfo:
    return RunInfo(
        run_id=run.run_id,
        target=run.target,
        started=run.started.isoformat(timespec="milliseconds"),
        finished=run.finished.isoformat(timespec="milliseconds") if finished and run.finished else None,
        deploy_version=run.deploy_version,
        runner=run.runner,
        schedule=run.schedule,
    )


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
        return (
            f": once fixed, add them with "
            f"`slurpy-monitor history import {self.results_path} --history {self.store.path}`"
        )

    def close(self, run: Run) -> None:
        try:
            if self.seq and not self.broken:
                self.store.finish_run(run.run_id, run_info(run, finished=True).finished or "")
        except HistoryError as exc:
            self._note(run, str(exc), self._recover)
        finally:
            self.store.close()


class TextHistorySink(_Guarded):
    """Appends the run to ``<root>/<target>/<day it started>.jsonl`` (the data branch's files).

    The text history is the copy that outlives a runner, so nothing it could not take goes
    unsaid: once an append fails (a full disk), the records it could not take are kept in
    ``lost`` (their ids), the run's own plugin records the monitor's failure, and a marker beside
    the results file (written first, so it holds them) tells the next run with the same results
    folder to append them (:func:`textlog.catch_up`). A run that could write catches up what
    earlier runs left pending."""

    def __init__(self, root: Path, results_path: Path | None = None):
        super().__init__(results_path)
        self.root = root
        self.lost: list[str] = []
        self.problem = ""

    def _append(self, run: Run, line: dict) -> bool:
        if self.broken:
            return False
        path = textlog.day_file(self.root, run.target, run.started)
        try:
            textlog.append_line(path, line)
        except OSError as exc:
            self.broken, self.problem = True, f"{path}: {exc.strerror or exc}"
            return False
        return True

    def add(self, run: Run, result: CheckResult) -> None:
        if self.seq == 0:
            self._append(run, run_info(run).to_line())
        self.seq += 1
        if not self._append(run, result.to_dict()):
            self.lost.append(result.id)

    def close(self, run: Run) -> None:
        if self.seq:
            self._append(run, run_info(run, finished=True).to_line())
        if self.broken:
            run.notes.append(self.loss(run))
        elif self.results_path is not None:
            self._catch_up(run, self.results_path.parent)

    def loss(self, run: Run) -> str:
        """What the text history could not take, by name, and how it will get it."""
        shown = ", ".join(self.lost[:10]) + (f" and {len(self.lost) - 10} more" if len(self.lost) > 10 else "")
        what = f"{len(self.lost)} of {self.seq} records ({shown})" if self.lost else "the run's end"
        said = f"the text history could not take {what}: {self.problem}"
        if self.results_path is None or not self.results_path.exists():
            return said + "; they are in no results file either: this run's records are lost from the history"
        marker = textlog.pending_marker(self.results_path, run.run_id)
        try:
            marker.write_text(
                json.dumps(
                    {
                        "run_id": run.run_id,
                        "results": str(self.results_path),
                        "day_file": str(textlog.day_file(self.root, run.target, run.started)),
                        "start_line": run_info(run).to_line(),
                        "finish_line": run_info(run, finished=True).to_line(),
                    }
                )
            )
        except OSError as exc:
            return (
                said + f"; they are in {self.results_path}, but no marker could be left for the next run "
                f"({exc.strerror or exc}): append this run's lines from it to the day file by hand"
            )
        return said + f"; they are in {self.results_path}, and the next run with that results folder appends them"

    def _catch_up(self, run: Run, folder: Path) -> None:
        for marker in sorted(folder.glob(f"*{textlog.PENDING_SUFFIX}")):
            try:
                added = textlog.catch_up(marker)
            except (OSError, ValueError, KeyError) as exc:
                run.notes.append(
                    f"text history: could not append what an earlier run left in {marker} ({exc}); "
                    "the next run tries again"
                )
                continue
            if added:
                run.notes.append(
                    f"text history: appended {added} records an earlier run could not write "
                    f"(from {marker.name.removesuffix(textlog.PENDING_SUFFIX)})"
                )
