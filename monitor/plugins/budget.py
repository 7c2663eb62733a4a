"""The run's own traffic must not decide a verdict. Every check that spends a limiter budget (a
route per caller, :func:`monitor.catalogue.budget_key`) joins that budget's xdist group, so one
worker spends it (pyproject sets ``--dist loadgroup``; without ``-n`` it changes nothing), and the
rate-limit probes run after every other check: validation and the chat journey meet a shared
route before a probe drives it to its limit."""
from __future__ import annotations

import pytest

from monitor.catalogue import CheckCase, catalogue
from monitor.plugins.target import target_of


def _case_of(item: pytest.Item, cases: dict[str, CheckCase]) -> CheckCase | None:
    callspec = getattr(item, "callspec", None)
    check_id = callspec.params.get("case") if callspec else None
    if isinstance(check_id, str):
        return cases.get(check_id)
    if "journey" in getattr(item, "fixturenames", ()):
        # A journey is named after its test function: test_sign_up records journey:frontend:sign-up.
        name = getattr(item, "originalname", item.name).removeprefix("test_").replace("_", "-")
        return cases.get(f"journey:frontend:{name}")
    return None


@pytest.hookimpl(tryfirst=True)  # before xdist's worker reads the groups off the items
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    cases = {case.id: case for case in catalogue(target_of(config).profile)}
    limit_probes = []
    for item in items:
        case = _case_of(item, cases)
        if case is None or case.budget is None:
            continue
        item.add_marker(pytest.mark.xdist_group(case.budget))
        if case.kind == "rate_limit":
            limit_probes.append(item)
    items[:] = [item for item in items if item not in limit_probes] + limit_probes
