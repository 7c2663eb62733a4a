"""The run's results as Prometheus metrics: ``--metrics-file`` (also ``$SLURPY_METRICS_FILE``)
for node_exporter's textfile collector, and the Pushgateway ``[metrics] pushgateway`` names.
Uptime, budget and burn-rate gauges come from the SQLite history when there is one. Metrics
that cannot be written or pushed are a note on the run, never its verdict."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from monitor import options
from monitor.pipeline import Run, Sink
from monitor.plugins.history import history_path
from monitor.plugins.target import target_of
from monitor.profile import Profile
from monitor.results import CheckResult, utc_now

# The sink's own imports (prometheus_client, the SLO report) are made when a run keeps metrics:
# most runs keep none, and every run's process would load them.
if TYPE_CHECKING:
    from monitor.slo.report import Report


def pytest_addoption(parser: pytest.Parser) -> None:
    options.register(parser, "metrics")


class MetricsSink:
    def __init__(self, profile: Profile, path: Path | None, history: Path | None):
        self.profile, self.path, self.history = profile, path, history

    def add(self, run: Run, result: CheckResult) -> None:
        pass

    def _report(self, run: Run) -> Report | None:
        if self.history is None or not self.history.exists():
            return None
        from monitor.history.store import HistoryStore
        from monitor.slo.report import from_history

        now = utc_now()
        policy = self.profile.slo
        with HistoryStore(self.history) as store:
            return from_history(store, run.target, policy, now, list(self.profile.services))[1]

    def close(self, run: Run) -> None:
        from monitor.history.store import HistoryError
        from monitor.report import metrics

        try:
            report = self._report(run)
        except HistoryError as exc:
            run.notes.append(f"metrics without uptime and budget gauges: {exc}")
            report = None
        registry = metrics.registry(run.results, report)
        if self.path is not None:
            try:
                metrics.write(self.path, registry)
            except OSError as exc:
                run.notes.append(f"metrics file {self.path} cannot be written ({exc})")
        if self.profile.metrics.pushgateway:
            try:
                metrics.push(self.profile.metrics.pushgateway, self.profile.metrics.job, run.target, registry)
            except OSError as exc:
                run.notes.append(f"metrics not pushed to {self.profile.metrics.pushgateway}: {exc}")


def pytest_slurpy_sinks(config: pytest.Config, run: Run) -> list[Sink]:
    profile = target_of(config).profile
    path = options.of(config).metrics_file
    if not path and not profile.metrics.pushgateway:
        return []
    return [MetricsSink(profile, Path(path) if path else None, history_path(config, run))]
