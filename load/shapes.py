"""The one load shape Locust finds (a ``LoadTestShape`` in its own module): it asks the schedule the
locustfile chose for this run (:mod:`monitor.load.plan`: a step ramp or a capacity search)."""

from __future__ import annotations

from locust import LoadTestShape

from monitor.load.plan import CapacitySearch, StepRamp


class RunShape(LoadTestShape):
    use_common_options = True  # --users / --spawn-rate / --run-time feed the schedule
    schedule: StepRamp | CapacitySearch | None = None

    def tick(self) -> tuple[int, float] | None:
        return self.schedule.tick(self.get_run_time()) if self.schedule else None
