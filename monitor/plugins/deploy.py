"""What a deploy changes in a run. With ``--deploy-version`` (or ``$SLURPY_DEPLOY_VERSION``) and
no ``--schedule`` the run is a post-deploy gate:

* every check marked ``check("version")`` compares what each service serves with it (also in a
  scheduled run stamped with the live version); without a version there is nothing to compare,
  and those checks are deselected;
* each service's latency takes ``[gate] latency_samples`` samples, and is compared with the same
  check's passing history on the target (the ``baseline`` fixture: a ``baseline:<service>``
  record, see :mod:`monitor.analysers.baseline`)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from monitor import options
from monitor.analysers.baseline import BaselineRun
from monitor.checks import deploy
from monitor.history.store import HistoryError, HistoryStore
from monitor.plugins.history import history_file
from monitor.plugins.target import target_of
from monitor.profile import GatePolicy, Profile
from monitor.results import CheckResult, utc_now


def _is_version_check(item: pytest.Item) -> bool:
    marker = item.get_closest_marker("check")
    return marker is not None and marker.args[:1] == ("version",)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if options.of(config).deploy_version:
        return
    dropped = [item for item in items if _is_version_check(item)]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = [item for item in items if not _is_version_check(item)]


@pytest.fixture(scope="session")
def deploy_version(pytestconfig: pytest.Config) -> str:
    return options.of(pytestconfig).deploy_version


class Baselines:
    """The target's history, read for the baseline of each latency check a gate records."""

    def __init__(self, history: Path | None, target: str, version: str, policy: GatePolicy):
        self.history, self.target, self.version, self.policy = history, target, version, policy

    def compare(self, latency: CheckResult) -> CheckResult:
        now = utc_now()
        runs: list[BaselineRun] = []
        if self.history is not None and self.history.exists():
            try:
                with HistoryStore(self.history) as store:
                    runs = [
                        BaselineRun(*row)
                        for row in store.passing_runs(
                            self.target,
                            latency.id,
                            now - timedelta(days=self.policy.baseline_days),
                            not_version=self.version,
                        )
                    ]
            except HistoryError as exc:  # no baseline, said so; the gate's own checks still judge the deploy
                result = deploy.baseline(latency, self.target, [], self.policy, now)
                result.message += f" (the history could not be read: {exc})"
                return result
        return deploy.baseline(latency, self.target, runs, self.policy, now)


@pytest.fixture(scope="session")
def baseline(pytestconfig: pytest.Config, profile: Profile) -> Baselines | None:
    """None unless this run is a post-deploy gate (``--deploy-version``, no ``--schedule``)."""
    chosen = options.of(pytestconfig)
    if not chosen.is_gate:
        return None
    return Baselines(history_file(pytestconfig), target_of(pytestconfig).name, chosen.deploy_version, profile.gate)
