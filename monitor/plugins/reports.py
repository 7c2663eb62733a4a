"""Reports from the run's records: the Markdown summary appended to ``$GITHUB_STEP_SUMMARY`` when
it is set; each check's verdict, category and latency as JUnit ``<property>`` elements (pytest's
own ``--junitxml``); and, when allure-pytest writes results (``--alluredir``), labels for every
check, a journey's steps, and a failed journey's trace and screenshot (scrubbed first)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import cast

import pytest

from monitor import options, redact
from monitor.pipeline import Run, Sink
from monitor.plugins.params import CASE_KEY
from monitor.plugins.results import JUDGED_KEY, RESULT_KEY
from monitor.plugins.target import target_of
from monitor.report import allure as allure_report
from monitor.report import junit, step_summary
from monitor.results import CheckResult

STEP_SUMMARY_ENV = "GITHUB_STEP_SUMMARY"


class StepSummarySink:
    def __init__(self, path: Path):
        self.path = path

    def add(self, run: Run, result: CheckResult) -> None:
        pass

    def close(self, run: Run) -> None:
        with self.path.open("a", encoding="utf-8") as fh:
            fh.write(redact.text(step_summary.markdown(run)))


@pytest.hookimpl(trylast=True)  # after the history sinks, so their notes are in the summary
def pytest_slurpy_sinks(config: pytest.Config, run: Run) -> list[Sink]:
    path = os.environ.get(STEP_SUMMARY_ENV)
    return [StepSummarySink(Path(path))] if path else []


def _recorded(item_or_report, config: pytest.Config) -> list[CheckResult]:
    """The check results a test recorded, stamped as the run's recorder stamps them (these
    copies travel with the test's reports, before the recorder sees them)."""
    results = [CheckResult.from_dict(value) for key, value in item_or_report.user_properties if key == RESULT_KEY]
    gatherer = config.pluginmanager.get_plugin("slurpy-monitor-results")  # on the xdist controller only
    for result in results:
        result.target = result.target or target_of(config).name
        result.suite = result.suite or Path(item_or_report.location[0]).parent.name
        result.deploy_version = result.deploy_version or options.of(config).deploy_version
        result.run_id = result.run_id or (gatherer.run.run_id if gatherer else "")
    return results


class JUnitProperties:
    """pytest's junitxml writes a test case's properties from its teardown report: the check's
    own fields replace the plugins' internal bookkeeping there."""

    def __init__(self, config: pytest.Config):
        self.config = config

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.when == "teardown":
            internal = (RESULT_KEY, JUDGED_KEY, CASE_KEY)
            kept: list[tuple[str, object]] = [p for p in report.user_properties if p[0] not in internal]
            report.user_properties = kept + list(junit.properties(_recorded(report, self.config)))


def pytest_configure(config: pytest.Config) -> None:
    if not hasattr(config, "workerinput"):
        config.pluginmanager.register(JUnitProperties(config), "slurpy-monitor-junit")


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session) -> None:
    """A test in Allure shows the check's own steps, not pytest's fixture set-up and tear-down
    (allure-pytest keeps those in container files beside the results: a journey had 29 of them)."""
    alluredir = session.config.getoption("allure_report_dir", default=None)
    if alluredir and not hasattr(session.config, "workerinput"):
        for container in Path(alluredir).glob("*-container.json"):
            container.unlink(missing_ok=True)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    yield
    listener = item.config.pluginmanager.get_plugin("allure_listener")
    if call.when != "teardown" or listener is None:
        return
    import allure
    from allure_commons.model2 import Label, Status, TestStepResult

    results = _recorded(item, item.config)
    test = listener.allure_logger.get_test(None)
    if test is None:
        return
    target = target_of(item.config).name
    case = cast("dict[str, str] | None", next((value for key, value in item.user_properties if key == CASE_KEY), None))
    name, place = allure_report.identity(results, case, target)
    if name:
        test.name = name
    test.labels = [label for label in test.labels if label.name not in allure_report.FILE_LABELS]
    test.labels += [Label(name=key, value=value) for key, value in place]
    # A skipped or broken test made no record of its own: it still says which target it was for.
    for key, value in allure_report.labels(results) or [("target", target)]:
        allure.dynamic.label(key, value)
    for tag in allure_report.tags(results):
        allure.dynamic.tag(tag)
    moment = test.start or 0
    for result in results:
        for name, ms, passed in allure_report.steps(result):
            test.steps.append(
                TestStepResult(
                    name=name, start=moment, stop=moment + int(ms), status=Status.PASSED if passed else Status.FAILED
                )
            )
            moment += int(ms)
    output = item.funcargs.get("output_path") if hasattr(item, "funcargs") else None
    if any(not r.ok for r in results) and output and Path(output).is_dir():
        redact.scrub_tree(Path(output))  # before anything leaves the artifacts folder
        for kept in sorted(Path(output).iterdir()):
            allure.attach.file(str(kept), name=kept.name, extension=kept.suffix.lstrip("."))
