"""Every check's record reaches one :class:`~monitor.pipeline.RunRecorder` (on the xdist
controller, from every worker): the ``verdict`` fixture records a check's result and fails the
test unless it is ok; a test that uses ``verdict`` but recorded nothing (skipped, or the monitor
broke) still leaves a record, so the history has no silent gaps. Sinks: the JSON-lines file, the
terminal summary, and whatever ``pytest_slurpy_sinks`` implementations return."""

from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import Any, Protocol, cast

import pytest

from monitor import options
from monitor.pipeline import JsonlSink, Run, RunRecorder, SummarySink
from monitor.plugins.params import CASE_KEY
from monitor.plugins.target import target_of
from monitor.results import Category, CheckResult, Verdict

RESULT_KEY = "check_result"
JUDGED_KEY = "judges_target"  # the test uses `verdict`: it judges the target and must leave a record


class MonitorWarning(UserWarning):
    """A check that passed but needs attention (its verdict is ``warn``)."""


def pytest_addoption(parser: pytest.Parser) -> None:
    options.register(parser, "results")


RESULTS_FOLDER = "results"  # relative to where the run starts, like pytest's own outputs


def results_path(config: pytest.Config, run: Run) -> Path:
    return Path(options.of(config).results or f"{RESULTS_FOLDER}/{run.started:%Y%m%dT%H%M%SZ}-{run.target}.jsonl")


class ResultsGatherer:
    def __init__(self, config: pytest.Config):
        chosen = options.of(config)
        self.run = Run(
            target=target_of(config).name,
            deploy_version=chosen.deploy_version,
            runner=chosen.runner,
            schedule=chosen.schedule,
        )
        self.path = results_path(config, self.run)
        self.summary: list[str] = []
        extra = [sink for sinks in config.hook.pytest_slurpy_sinks(config=config, run=self.run) for sink in sinks]
        self.jsonl = JsonlSink(self.path)  # first: whatever else fails, the results file has the run
        self.recorder = RunRecorder(self.run, [self.jsonl, SummarySink(self.summary.extend, self.path), *extra])
        self._recorded: set[str] = set()

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        properties: dict[str, Any] = dict(p for p in report.user_properties if p[0] != RESULT_KEY)
        if not properties.get(JUDGED_KEY):
            return
        if report.when == "call" or (report.when == "setup" and not report.passed):
            recorded = [CheckResult.from_dict(cast(dict, v)) for k, v in report.user_properties if k == RESULT_KEY]
            if not recorded and report.nodeid not in self._recorded:
                recorded = [self._synthesize(report, properties.get(CASE_KEY))]
            for result in recorded:
                result.suite = result.suite or Path(report.location[0]).parent.name  # folders are the taxonomy
                if result.duration_ms is None:
                    result.duration_ms = round(report.duration * 1000, 1)
                self.recorder.add(result)
            self._recorded.add(report.nodeid)

    def _synthesize(self, report: pytest.TestReport, case: dict | None) -> CheckResult:
        where = case or {"check": report.nodeid.split("::")[-1], "service": "", "path": ""}
        if report.skipped:
            reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
            return CheckResult(**where, verdict=Verdict.SKIP, message=reason.removeprefix("Skipped: "))
        verdict = Verdict.PASS if report.passed else Verdict.ERROR
        crash = getattr(report.longrepr, "reprcrash", None)
        message = crash.message if crash is not None else str(report.longrepr or "passed").splitlines()[-1]
        message = message.removeprefix("Failed: ")  # pytest.fail's own prefix: the message says what failed
        return CheckResult(
            **where, verdict=verdict, category=None if report.passed else Category.MONITOR, message=message
        )

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        self.recorder.close()
        if self.jsonl.lost and session.exitstatus == pytest.ExitCode.OK:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED  # the monitor failed to keep what it judged

    def pytest_terminal_summary(self, terminalreporter) -> None:
        if self.summary:
            terminalreporter.section("slurpy monitor summary")
            for line in self.summary:
                terminalreporter.write_line(line)


def unwritable(path: Path, folder: bool) -> str | None:
    """Why ``path`` (a file, or a folder) cannot be written, or None. Creates missing folders."""
    where = path if folder else path.parent
    try:
        where.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        return f"its folder cannot be created ({exc.strerror or exc})"
    if not os.access(where, os.W_OK):
        return "its folder is not writable"
    if not folder and path.is_dir():
        return "it is a folder"
    return None


def check_outputs(config: pytest.Config) -> None:
    """Every place a run writes (a file, or a folder) is checked before any test runs, so an
    unwritable path stops the run at once in one line instead of an INTERNALERROR (or a traceback
    after every check ran, or exit 0 having written nothing)."""
    chosen = options.of(config)
    outputs = (
        # by default a file the run names, in RESULTS_FOLDER: then the folder is what must be writable
        ("--results", chosen.results or RESULTS_FOLDER, not chosen.results),
        ("--junitxml", config.getoption("xmlpath", None), False),
        ("--alluredir", config.getoption("allure_report_dir", None), True),
        ("--history-dir", chosen.history_dir, True),
        ("--metrics-file", chosen.metrics_file, False),
        ("--output", config.getoption("output", None), True),
    )
    for option, value, folder in outputs:
        problem = unwritable(Path(value), folder) if value else None
        if problem:
            raise pytest.UsageError(f"{option} {value}: cannot be written: {problem}; choose a path you can write to")


def pytest_cmdline_main(config: pytest.Config) -> None:
    """The outputs are checked before any plugin's pytest_configure uses them (allure-pytest creates
    its folder there, and would stop with an INTERNALERROR rather than one line)."""
    if not hasattr(config, "workerinput"):
        check_outputs(config)


def pytest_configure(config: pytest.Config) -> None:
    if not hasattr(config, "workerinput"):  # workers' reports reach the controller, which gathers them all
        config.pluginmanager.register(ResultsGatherer(config), "slurpy-monitor-results")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "verdict" in getattr(item, "fixturenames", ()):
            item.user_properties.append((JUDGED_KEY, True))


class RecordVerdict(Protocol):
    """What the ``verdict`` fixture gives a test: ``verdict(result)`` records the result and returns
    it, or ends the test by it."""

    def __call__(self, result: CheckResult) -> CheckResult: ...


@pytest.fixture
def verdict(request: pytest.FixtureRequest) -> RecordVerdict:
    """Record a check's result for the run's history, then fail the test with the check's own
    message unless the verdict is ok (pass, flaky or warn; a warn also raises a warning); a
    check that could judge nothing (skip, e.g. a gate with no baseline yet) skips the test with it."""

    def judge(result: CheckResult) -> CheckResult:
        result.scrub()  # the record and the failure message travel to reports from here
        request.node.user_properties.append((RESULT_KEY, result.to_dict()))
        if result.verdict is Verdict.WARN:
            warnings.warn(MonitorWarning(result.message), stacklevel=2)
        if result.verdict is Verdict.SKIP:
            pytest.skip(result.message)
        if not result.ok:
            pytest.fail(result.message, pytrace=False)
        return result

    return judge
