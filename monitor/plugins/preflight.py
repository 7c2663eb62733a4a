"""``--stop-if-unreachable``, a post-deploy gate's first question: before any check, one request
to each service's first health URL (:func:`monitor.checks.preflight.reach_all`). If one gets no
answer at all, that is recorded (check ``reachable``, the phase as its category) and no check
runs: a dead deployment fails within one timeout instead of every check timing out in turn."""

from __future__ import annotations

from typing import cast

import pytest

from monitor import options
from monitor.checks.preflight import reach_all
from monitor.plugins.results import ResultsGatherer
from monitor.plugins.target import target_of


def pytest_addoption(parser: pytest.Parser) -> None:
    options.register(parser, "preflight")


@pytest.hookimpl(tryfirst=True)
def pytest_runtestloop(session: pytest.Session) -> bool | None:
    config = session.config
    if not options.of(config).stop_if_unreachable or hasattr(config, "workerinput"):
        return None
    failed = [result for result in reach_all(target_of(config).live().profile) if not result.ok]
    if not failed:
        return None
    gatherer = cast(ResultsGatherer, config.pluginmanager.get_plugin("slurpy-monitor-results"))
    for result in failed:
        result.suite = "preflight"
        result.message += " (pre-flight: no check ran)"
        gatherer.recorder.add(result)
    session.testsfailed = len(failed)
    return True  # the run loop (xdist's included) never starts
