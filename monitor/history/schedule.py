"""When a scheduled suite was expected to run, and what each expected run found.

A scheduler names its schedule; every run it starts carries it. GitHub's cron gives a cron line:
each cron slot is a window from one scheduled time to the next, and a run that started inside it
observed the target for that window. The watch mode gives its cadence, ``every 15s``: each round
observes from its start until the next round, when that came within half a cadence of being due,
else for one cadence. A window without a run is *unknown*, never up: GitHub delays scheduled runs
and drops some under load, and a run that started more than one interval late leaves the window
it was meant for unobserved, which is the truth.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from itertools import pairwise
from typing import NamedTuple


class Status(StrEnum):
    UP = "up"
    DOWN = "down"
    UNKNOWN = "unknown"


def _field(text: str, low: int, high: int, name: str) -> tuple[int, ...]:
    values: set[int] = set()
    for part in text.split(","):
        spec, _, step_text = part.partition("/")
        step = int(step_text) if step_text else 1
        if spec == "*":
            first, last = low, high
        elif "-" in spec:
            first, last = (int(v) for v in spec.split("-", 1))
        else:
            first = last = int(spec)
            if step_text:
                last = high
        if not (low <= first <= last <= high) or step < 1:
            raise ValueError(f"{name} field {part!r} is outside {low}-{high}")
        values.update(range(first, last + 1, step))
    return tuple(sorted(values))


@dataclass(frozen=True)
class Cron:
    """The subset of cron that monitoring schedules use: minute and hour fields (``*``, ``*/5``,
    ``7``, ``0-30/10``, ``1,31``); day, month and weekday must be ``*``."""

    line: str
    minutes: tuple[int, ...]
    hours: tuple[int, ...]

    @classmethod
    def parse(cls, line: str) -> Cron:
        fields = line.split()
        if len(fields) != 5:
            raise ValueError(f"cron line {line!r} must have 5 fields (minute hour day month weekday)")
        if fields[2:] != ["*", "*", "*"]:
            raise ValueError(
                f"cron line {line!r}: only the minute and hour fields may be set (a monitoring schedule runs every day)"
            )
        try:
            return cls(line, _field(fields[0], 0, 59, "minute"), _field(fields[1], 0, 23, "hour"))
        except ValueError as exc:
            raise ValueError(f"cron line {line!r}: {exc}") from None

    def times(self, since: datetime, until: datetime) -> Iterator[datetime]:
        """Scheduled times t with since <= t < until (aware datetimes, UTC)."""
        day = since.replace(hour=0, minute=0, second=0, microsecond=0)
        while day < until:
            for hour in self.hours:
                for minute in self.minutes:
                    at = day.replace(hour=hour, minute=minute)
                    if since <= at < until:
                        yield at
            day += timedelta(days=1)

    def slot_of(self, moment: datetime) -> datetime:
        """The latest scheduled time at or before ``moment``."""
        day = moment.replace(hour=0, minute=0, second=0, microsecond=0)
        return list(self.times(day - timedelta(days=1), moment + timedelta(microseconds=1)))[-1]

    def next_after(self, moment: datetime) -> datetime:
        return next(self.times(moment + timedelta(microseconds=1), moment + timedelta(days=2)))


CADENCE = "every "


def cadence_of(schedule: str) -> timedelta | None:
    """The interval of a cadence schedule (``every 15s``, what the watch mode records), None for
    anything else (a cron line, or "" for a run started by hand)."""
    if not schedule.startswith(CADENCE):
        return None
    text = schedule.removeprefix(CADENCE)
    try:
        seconds = float(text.removesuffix("s"))
    except ValueError:
        seconds = 0.0
    if not text.endswith("s") or not seconds > 0:
        raise ValueError(f"schedule {schedule!r}: a cadence is 'every <seconds>s', e.g. 'every 15s'")
    return timedelta(seconds=seconds)


def cadence_line(every_s: float) -> str:
    return f"{CADENCE}{every_s:g}s"


def validate(schedule: str) -> None:
    """Raise ValueError, in words, for a schedule neither a cron line nor a cadence."""
    if cadence_of(schedule) is None:
        Cron.parse(schedule)


class ObservedRun(NamedTuple):
    run_id: str
    started: datetime
    schedule: str
    status: Status  # what this run found for the suite: down if any check failed


@dataclass
class Slot:
    start: datetime
    end: datetime
    schedule: str
    status: Status = Status.UNKNOWN
    run_ids: list[str] = field(default_factory=list)


_WORST = {Status.DOWN: 0, Status.UP: 1, Status.UNKNOWN: 2}


def timeline(runs: Iterable[ObservedRun], now: datetime) -> list[Slot]:
    """Every expected slot of every schedule the runs name, oldest first, from the first run on
    that schedule until the schedule was replaced (the first run on another one) or ``now``.
    A slot still open at ``now`` is listed only if a run already observed it."""
    scheduled = sorted((r for r in runs if r.schedule), key=lambda r: r.started)
    slots: list[Slot] = []
    for index, run in enumerate(scheduled):
        if index and scheduled[index - 1].schedule == run.schedule:
            continue  # not the first run of a stretch on this schedule
        later = [r.started for r in scheduled[index:] if r.schedule != run.schedule]
        until = later[0] if later else now
        mine = [r for r in scheduled[index:] if r.schedule == run.schedule and r.started < until]
        every = cadence_of(run.schedule)
        if every is not None:
            slots += _cadence_slots(mine, every, until)
            continue
        cron = Cron.parse(run.schedule)
        starts = list(cron.times(cron.slot_of(run.started), until))
        bounds = [*starts, cron.next_after(starts[-1])]
        position, count, schedule, add = 0, len(mine), run.schedule, slots.append
        for start, end in pairwise(bounds):
            first = position
            while position < count and mine[position].started < end:
                position += 1
            if position == first + 1:  # most slots: one run
                only = mine[first]
                add(Slot(start, end, schedule, only.status, [only.run_id]))
            elif position == first:
                if end <= until:  # else still open, or the schedule was replaced before it ended
                    add(Slot(start, end, schedule, Status.UNKNOWN, []))
            else:
                inside = mine[first:position]
                status = min((r.status for r in inside), key=_WORST.__getitem__)
                add(Slot(start, end, schedule, status, [r.run_id for r in inside]))
    return slots


LATE = 0.5  # of a cadence: a round that late still closes the previous round's window


def _cadence_slots(runs: list[ObservedRun], every: timedelta, until: datetime) -> list[Slot]:
    """A stretch of rounds on a cadence: each observes until the next one if it came on time
    (within ``LATE`` of a cadence after it was due), else for one cadence; every cadence after
    that without a round is an unknown slot, the last one cut at the next round. After the last
    round, only whole cadences that ended by ``until`` are listed."""
    slots: list[Slot] = []
    for run, after in zip(runs, [*(r.started for r in runs[1:]), None], strict=True):
        end = run.started + every
        if after is not None and after <= end + every * LATE:
            slots.append(Slot(run.started, after, run.schedule, run.status, [run.run_id]))
            continue
        slots.append(Slot(run.started, end, run.schedule, run.status, [run.run_id]))
        stop = after if after is not None else until
        while end < stop and (after is not None or end + every <= until):
            slots.append(Slot(end, min(end + every, stop) if after is not None else end + every, run.schedule))
            end += every
    return slots


def gaps(slots: Iterable[Slot]) -> list[Slot]:
    return [slot for slot in slots if not slot.run_ids]
