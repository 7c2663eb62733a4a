"""The version check belongs to a deploy: with ``--deploy-version`` (or
``$SLURPY_DEPLOY_VERSION``) every check marked ``check("version")`` compares what each service
serves with it; without one there is nothing to compare, and those checks are deselected (a
scheduled run is not a deploy)."""
from __future__ import annotations

import pytest


def _is_version_check(item: pytest.Item) -> bool:
    marker = item.get_closest_marker("check")
    return marker is not None and marker.args[:1] == ("version",)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("deploy_version"):
        return
    dropped = [item for item in items if _is_version_check(item)]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = [item for item in items if not _is_version_check(item)]


@pytest.fixture(scope="session")
def deploy_version(pytestconfig: pytest.Config) -> str:
    return pytestconfig.getoption("deploy_version")
