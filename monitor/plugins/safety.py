"""Default-deny, as pytest-selenium does it: a profile is sensitive unless it says otherwise; on a
sensitive target every test not marked ``nondestructive`` is skipped unless the profile allows
destructive tests, and every ``budget`` test unless it allows spending. The skip says why."""

from __future__ import annotations

import pytest

from monitor.plugins.target import target_of


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "nondestructive: safe to run against a sensitive (production) target; everything "
        "else is skipped there unless the profile allows it",
    )
    config.addinivalue_line(
        "markers",
        "budget: spends the target's rate-limit or money budget; skipped on sensitive "
        "targets unless the profile opts in",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    profile = target_of(config).profile
    if not profile.sensitive:
        return
    where = f"targets/{profile.name}.toml"
    for item in items:
        if item.get_closest_marker("budget") and not profile.allow_budget:
            item.add_marker(
                pytest.mark.skip(
                    reason=f"target {profile.name} is sensitive and this test spends its "
                    f"rate-limit/money budget; set allow_budget = true in {where} to run it"
                )
            )
        elif not item.get_closest_marker("nondestructive") and not profile.allow_destructive:
            item.add_marker(
                pytest.mark.skip(
                    reason=f"target {profile.name} is sensitive and this test is destructive "
                    f"(not marked nondestructive); set allow_destructive = true in {where} to run it"
                )
            )
