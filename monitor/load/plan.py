"""How many users, when, for a load run: a step ramp (a constant load is a ramp of one step) and a
capacity search. Pure schedules: Locust's shape (``load/shapes.py``) asks them every second, and they
read the run's statistics only through the ``snapshot`` they are handed.

Each schedule judges a window, not the whole run: it takes the statistics once the users of a step
have all started and settled (new connections and TLS handshakes are not steady load), and again
at the end, and hands on the difference. Locust's own CSV and HTML report keep everything.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from monitor.analysers.load import GroupStats, judge_stage
from monitor.load.records import CapacityReport, Stage
from monitor.profile import LoadThreshold

Snapshot = Callable[[], dict[str, GroupStats]]
# A capacity stage whose window had too few requests to judge any group runs on with the same users,
# up to this many times its length: a stall in the generator or the target must not read as "held".
MAX_STRETCH = 3


class _Windowed:
    def __init__(self, snapshot: Snapshot, spawn_rate: float, settle_s: float):
        self.snapshot, self.spawn_rate, self.settle_s = snapshot, spawn_rate, settle_s
        self.base: tuple[float, dict[str, GroupStats]] | None = None
        self.finished = False

    def _settled_after(self, added_users: int) -> float:
        return math.ceil(added_users / self.spawn_rate) + self.settle_s

    def _open(self, t: float) -> None:
        self.base = (t, self.snapshot())

    def _close(self, t: float) -> dict[str, GroupStats]:
        since, base = self.base or (0.0, {})
        return {g: s.since(base.get(g, GroupStats(s.kind, s.service)), t - since) for g, s in self.snapshot().items()}


class StepRamp(_Windowed):
    """``step_users`` more every ``step_s`` up to ``users``, held until ``run_time_s``; judged from
    the moment the first step has settled."""

    def __init__(
        self,
        users: int,
        step_users: int,
        step_s: float,
        run_time_s: float,
        spawn_rate: float,
        settle_s: float,
        snapshot: Snapshot,
    ):
        super().__init__(snapshot, spawn_rate, settle_s)
        self.users, self.step_users, self.step_s, self.run_time_s = users, step_users, step_s, run_time_s
        self.end_t: float | None = None

    def judged(self) -> dict[str, GroupStats]:
        """The settled window, read once the run has stopped: a master then holds its workers'
        last reports too. Its length is the schedule's, not the shutdown's."""
        assert self.end_t is not None, "judged once the schedule has ended"
        return self._close(self.end_t)

    def tick(self, t: float) -> tuple[int, float] | None:
        if self.finished:
            return None
        if self.base is None and t >= min(self._settled_after(min(self.users, self.step_users)), self.run_time_s / 2):
            self._open(t)
        if t >= self.run_time_s:
            self.end_t, self.finished = t, True
            return None
        return min(self.users, self.step_users * (1 + math.floor(t / self.step_s))), self.spawn_rate


class CapacitySearch(_Windowed):
    """Stages of ``start + k * step`` users, each ``stage_s`` long and judged once settled; stops
    at the first broken threshold, at ``max_users``, before ``max_duration_s``, or at a stage that
    could not be judged even when run ``MAX_STRETCH`` times as long."""

    def __init__(
        self,
        *,
        start: int,
        step: int,
        stage_s: float,
        settle_s: float,
        max_users: int,
        max_duration_s: float,
        spawn_rate: float,
        thresholds: dict[str, LoadThreshold],
        snapshot: Snapshot,
    ):
        super().__init__(snapshot, spawn_rate, settle_s)
        self.step, self.stage_s, self.max_duration_s, self.thresholds = step, stage_s, max_duration_s, thresholds
        self.report = CapacityReport(max_users=max_users)
        self.users, self.added, self.stage_start = min(start, max_users), min(start, max_users), 0.0
        self.stage_end = stage_s

    def _may_stretch(self, t: float) -> bool:
        return t + self.stage_s <= min(self.stage_start + MAX_STRETCH * self.stage_s, self.max_duration_s)

    def _end_stage(self, t: float) -> bool:
        """Judge the stage that just ended; True when the search goes on (perhaps the same stage, longer)."""
        window = {g: s for g, s in self._close(t).items() if s.requests}
        judgement = judge_stage(window, self.thresholds)
        if not judgement.measured and self._may_stretch(t):
            self.stage_end = t + self.stage_s  # the same users and window, longer, until it can be judged
            return True
        stage = Stage(self.users, window, judgement.breach, judgement.too_few, judgement.measured)
        self.report.stages.append(stage)
        if stage.breach is not None:
            return False
        if not stage.measured:
            self.report.stopped_by = (
                f"the stage at {self.users} users could not be judged after {t - self.stage_start:g} s "
                f"({'; '.join(judgement.too_few) or 'no request completed'})"
            )
            return False
        if self.users + self.step > self.report.max_users:
            self.report.stopped_by = f"reached the bound of {self.report.max_users} users"
            return False
        if t + self.stage_s > self.max_duration_s:
            self.report.stopped_by = f"another stage would pass the bound of {self.max_duration_s:g} s"
            return False
        self.users, self.added, self.stage_start, self.base = self.users + self.step, self.step, t, None
        self.stage_end = t + self.stage_s
        return True

    def tick(self, t: float) -> tuple[int, float] | None:
        if self.finished:
            return None
        if self.base is None and t >= self.stage_start + min(self._settled_after(self.added), self.stage_s / 2):
            self._open(t)
        if t >= self.stage_end and not self._end_stage(t):
            self.finished = True
            return None
        return self.users, self.spawn_rate
