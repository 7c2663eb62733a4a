"""The run's own traffic must not decide a verdict. Checks that spend one limiter budget (a route
per caller, :func:`monitor.checks.catalogue.budget_key`: the monitor account, which the chat journey
shares, or the client address) run on one xdist worker, and every rate-limit probe runs after the
other checks: validation and the chat journey meet a shared route before a probe drives it to its
limit.

Grouping is xdist's ``--dist loadgroup`` (pyproject sets it; without ``-n`` it changes nothing),
with the groups read from the profile by the scheduler below: with pytest 9.2, xdist 3.8's
``xdist_group`` marks group nothing (the node-id suffix it writes is no longer read,
pytest-dev/pytest-xdist#1386)."""

from __future__ import annotations

from typing import Any

import pytest

from monitor.checks.catalogue import JOURNEY, Catalogue, CheckCase, journey_function
from monitor.checks.guards import RateLimitArgs
from monitor.plugins.params import run_catalogue


def budget_groups(cases: Catalogue) -> tuple[dict[str, str], dict[str, str]]:
    """The budget group of each test, by its parameter id (a case's label) and, for journeys,
    by its function name. Cases that share a label (a rate-limit and a validation rule on one
    route) share a group even when their budgets differ: a group too large only runs less in
    parallel, one split would let checks spoil each other."""
    spending = [case for case in cases if case.budget]
    parent: dict[str, str] = {case.budget: case.budget for case in spending if case.budget}

    def root(key: str) -> str:
        while parent[key] != key:
            key = parent[key]
        return key

    by_label: dict[str, list[CheckCase]] = {}
    for case in spending:
        if case.kind != JOURNEY.name:
            by_label.setdefault(case.label, []).append(case)
    for same in by_label.values():
        for case in same[1:]:
            parent[root(case.budget or "")] = root(same[0].budget or "")
    labels = {label: root(same[0].budget or "") for label, same in by_label.items()}
    journeys = {journey_function(case.path): root(case.budget or "") for case in spending if case.kind == JOURNEY.name}
    return labels, journeys


def _case_of(item: pytest.Item, cases: Catalogue) -> CheckCase | None:
    callspec = getattr(item, "callspec", None)
    check_id = callspec.params.get("case") if callspec else None
    if isinstance(check_id, str):
        return cases.get(check_id)  # a test's own parameter named case is no catalogue case
    if "journey" in getattr(item, "fixturenames", ()):
        return next(
            (
                c
                for c in cases.of_kind(JOURNEY.name)
                if journey_function(c.path) == getattr(item, "originalname", item.name)
            ),
            None,
        )
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    cases = run_catalogue(config)
    limit_probes = [
        item
        for item in items
        if (case := _case_of(item, cases)) is not None and case.budget and isinstance(case.args, RateLimitArgs)
    ]
    items[:] = [item for item in items if item not in limit_probes] + limit_probes


@pytest.hookimpl(tryfirst=True, optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    if config.getoption("dist", None) != "loadgroup":
        return None
    from xdist.scheduler import LoadGroupScheduling

    labels, journeys = budget_groups(run_catalogue(config))

    class BudgetScheduling(LoadGroupScheduling):
        def _split_scope(self, nodeid: str) -> str:
            if nodeid.rfind("@") > nodeid.rfind("]"):  # an xdist_group suffix, should xdist write one again
                return super()._split_scope(nodeid)
            head, _, param = nodeid.partition("[")
            return labels.get(param.removesuffix("]")) or journeys.get(head.rsplit("::", 1)[-1]) or nodeid

    return BudgetScheduling(config, log)
