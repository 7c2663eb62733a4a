"""The run deadline: how long a suite's checks may take, counted from the start of the run
(``[run_deadline_s]`` in the profile). A request deadline bounds one attempt; this bounds the run,
so a target that hangs every request cannot hold a scheduled job past its own ``timeout-minutes``
(GitHub's kill records nothing).

Process-wide, set by the run-deadline plugin before each check: the probe caps every attempt (and
every wait between attempts) at the time left, a journey caps every Playwright wait the same way,
and once the time is gone they raise :class:`RunDeadline`. A check cut off this way is the
monitor's doing, never the target's: it is recorded as ``error [monitor]: run deadline``."""

from __future__ import annotations

import time

# A Playwright timeout of 0 means "no timeout": the shortest wait handed out is this.
SHORTEST_S = 0.05

_at: float | None = None  # time.time() when the deadline passes; None: no deadline (a unit test, a tool)
_what = ""


class RunDeadline(BaseException):
    """The run's deadline passed while a check ran. A BaseException, like KeyboardInterrupt: a
    check's own ``except Exception`` must not file it as the target's failure."""


def set_deadline(at: float | None, what: str = "") -> None:
    """``at``: epoch seconds (shared by xdist workers, whose monotonic clocks differ); ``what``
    names it in messages, e.g. "the smoke suite's 180 s (run_deadline_s.smoke)"."""
    global _at, _what
    _at, _what = at, what


def left() -> float | None:
    """Seconds left, or None without a deadline."""
    return None if _at is None else _at - time.time()


def passed() -> bool:
    remaining = left()
    return remaining is not None and remaining <= 0


def message(doing: str = "while this check ran: it was stopped there") -> str:
    return f"run deadline: {_what or 'the run deadline'} passed {doing}"


def check() -> None:
    """Raise :class:`RunDeadline` if the deadline has passed."""
    if passed():
        raise RunDeadline(message())


def cap(seconds: float) -> float:
    """``seconds``, or the time left if that is shorter; raises :class:`RunDeadline` when none is."""
    remaining = left()
    if remaining is None:
        return seconds
    if remaining <= 0:
        raise RunDeadline(message())
    return max(min(seconds, remaining), SHORTEST_S)
