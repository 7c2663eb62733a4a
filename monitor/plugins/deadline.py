"""The run deadline (:mod:`monitor.probe.run_deadline`): before each check, the deadline of its suite
(``[run_deadline_s]``, counted from the start of the run, the same instant on every xdist worker);
a check that starts after it is recorded as ``error [monitor]: run deadline`` without running, one
cut off by it likewise (every request attempt and browser wait is capped at the time left), so a
run against a target that hangs everything ends at the deadline plus pytest's own start and end.
Only the monitoring suites under ``tests/`` have one: the project's own tests load these plugins
too, and are not a monitoring run."""

from __future__ import annotations

import time

import pytest

from monitor.layout import TESTS
from monitor.plugins.target import target_of
from monitor.probe import run_deadline

_START = pytest.StashKey[float]()
WORKER_KEY = "slurpy_run_started"


def pytest_configure(config: pytest.Config) -> None:
    worker = getattr(config, "workerinput", None)
    config.stash[_START] = worker.get(WORKER_KEY, time.time()) if worker is not None else time.time()


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node) -> None:  # xdist: the workers count from the controller's start
    node.workerinput[WORKER_KEY] = node.config.stash[_START]


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    if not item.path.is_relative_to(TESTS):  # the project's own tests are not a monitoring run
        run_deadline.set_deadline(None)
        return
    suite = item.path.parent.name  # folders are the taxonomy, as for the records
    seconds = target_of(item.config).profile.run_deadline_s.for_suite(suite)
    run_deadline.set_deadline(
        item.config.stash[_START] + seconds, f"the {suite} suite's {seconds:g} s (run_deadline_s.{suite})"
    )
    if run_deadline.passed():
        pytest.fail(run_deadline.message("before this check started: not run"), pytrace=False)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    outcome = yield
    report: pytest.TestReport = outcome.get_result()
    if call.excinfo is not None and call.excinfo.errisinstance(run_deadline.RunDeadline):
        report.longrepr = str(call.excinfo.value)  # the whole story; the traceback is the monitor's, not news


def pytest_sessionfinish() -> None:
    run_deadline.set_deadline(None)
