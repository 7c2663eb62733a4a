"""What a run costs the target, capped: with ``max_requests_per_run`` in the profile, once the
checks this process ran have sent that many requests, every check left is skipped, saying so, and
the run's notes name them. The requests are each check's own count (``details.requests``,
:mod:`monitor.cost`); under ``-n`` each worker counts what it sent, so the cap holds per worker."""

from __future__ import annotations

from typing import Any, cast

import pytest

from monitor import cost
from monitor.plugins.results import RESULT_KEY, ResultsGatherer
from monitor.plugins.target import target_of

_SPENT = pytest.StashKey[int]()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[Any]):
    yield
    if call.when == "call":
        sent = sum(
            value.get("details", {}).get("requests", 0)
            for key, value in item.user_properties
            if key == RESULT_KEY and isinstance(value, dict)
        )
        item.config.stash[_SPENT] = item.config.stash.get(_SPENT, 0) + sent


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    cap = target_of(item.config).profile.max_requests_per_run
    spent = item.config.stash.get(_SPENT, 0)
    if cap is not None and spent >= cap:
        pytest.skip(f"{cost.CAPPED} ({cap}) after {spent} requests")


@pytest.hookimpl(tryfirst=True)  # before the results plugin closes the run and its reports
def pytest_sessionfinish(session: pytest.Session) -> None:
    gatherer = cast(ResultsGatherer | None, session.config.pluginmanager.get_plugin("slurpy-monitor-results"))
    if gatherer is None:
        return
    left = cost.capped(gatherer.run.results)
    if left:
        cap = target_of(session.config).profile.max_requests_per_run
        gatherer.run.notes.append(
            f"stopped early: the run reached max_requests_per_run ({cap}); checks not run: " + ", ".join(left)
        )
