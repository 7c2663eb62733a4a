"""The run kept in the history as its records arrive: the SQLite file (``--history``, default
``history.sqlite`` beside the results file) and, with ``--history-dir``, the text history that a
git data branch holds. A history that cannot be written is said in words at the end of the run
(and in every report); the verdict and the results file do not depend on it. The text history is
the exception: it is the copy that outlives a runner, so records it could not take (a full disk)
are named in a ``history:text`` record, ``error [monitor]``, and the run exits 1."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor import options
from monitor.history import schedule as schedules
from monitor.history.sinks import SQLiteSink, TextHistorySink
from monitor.pipeline import Run, Sink
from monitor.plugins.results import results_path
from monitor.plugins.target import target_of
from monitor.results import Category, CheckResult, Verdict

_RUN = pytest.StashKey[Run]()
_TEXT = pytest.StashKey[TextHistorySink]()


def pytest_addoption(parser: pytest.Parser) -> None:
    options.register(parser, "history")


def pytest_configure(config: pytest.Config) -> None:
    schedule = options.of(config).schedule
    if schedule:
        try:
            schedules.validate(schedule)
        except ValueError as exc:
            raise pytest.UsageError(f"--schedule / $SLURPY_SCHEDULE: {exc}") from None


def history_path(config: pytest.Config, run: Run) -> Path | None:
    """The SQLite history this run is kept in; None with ``--history none``."""
    history = options.of(config).history or str(results_path(config, run).parent / "history.sqlite")
    return None if history == "none" else Path(history)


def history_file(config: pytest.Config) -> Path | None:
    """:func:`history_path` where the run itself is not at hand (an xdist worker): the results
    file's folder does not depend on the run."""
    return history_path(config, Run(target=target_of(config).name))


def pytest_slurpy_sinks(config: pytest.Config, run: Run) -> list[Sink]:
    config.stash[_RUN] = run
    results = results_path(config, run)
    history = history_path(config, run)
    sinks: list[Sink] = [] if history is None else [SQLiteSink(history, results)]
    if history_dir := options.of(config).history_dir:
        text = config.stash[_TEXT] = TextHistorySink(Path(history_dir), results)
        sinks.append(text)
    return sinks


@pytest.hookimpl(hookwrapper=True)
def pytest_sessionfinish(session: pytest.Session):
    """Before the run closes, a record naming what the text history lost so far (it reaches the
    results file and every report); once every sink has closed (the run's last line may be the
    one lost), exit 1 if the text history lost anything."""
    text, gatherer = (
        session.config.stash.get(_TEXT, None),
        session.config.pluginmanager.get_plugin("slurpy-monitor-results"),
    )
    if text is not None and gatherer is not None and text.broken:
        gatherer.recorder.add(
            CheckResult(
                check="history",
                service="text",
                verdict=Verdict.ERROR,
                category=Category.MONITOR,
                message="text history INCONCLUSIVE [monitor]: "
                f"it could not take {len(text.lost)} of {text.seq} records "
                f"({text.problem}); the notes name them and say how they will be appended",
            )
        )
    yield
    if text is not None and text.broken and session.exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter, config: pytest.Config) -> None:
    run = config.stash.get(_RUN, None)
    if run is not None and run.notes:
        terminalreporter.section("slurpy monitor notes", yellow=True)
        for note in run.notes:
            terminalreporter.write_line(note)
