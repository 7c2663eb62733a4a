"""What several subcommands' parsers share (as Locust keeps its options in ``argument_parser.py``):
the ``--target`` and ``--history`` options and the argument types that refuse a bad value with one
line."""

from __future__ import annotations

import argparse
import math
from pathlib import Path

DEFAULT_HISTORY = Path("results/history.sqlite")
TARGET_HELP = "the target profile targets/NAME.toml (default: $SLURPY_TARGET, else sandbox)"


def add_target(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--target", metavar="NAME", help=TARGET_HELP)


def add_history(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--history", type=Path, default=DEFAULT_HISTORY, help=f"SQLite history (default {DEFAULT_HISTORY})"
    )


def duration(text: str) -> float:
    units = {"s": 1, "m": 60, "h": 3600}
    try:
        value = float(text[:-1]) * units[text[-1]] if text[-1:] in units else float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: expected a duration like 60s, 5m or 1h") from None
    if not value > 0 or not math.isfinite(value):  # nan compares false with everything
        raise argparse.ArgumentTypeError(f"{text!r}: must be a finite duration more than zero")
    return value


def count(text: str) -> int:
    """A whole number >= 0 (days, rounds): a negative one would silently mean something else."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: expected a whole number, e.g. 7") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text!r}: must not be negative")
    return value


def hours(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: expected a number of hours, e.g. 24") from None
    if not 0 < value <= 24 * 3650:
        raise argparse.ArgumentTypeError(f"{text!r}: must be more than 0 and at most {24 * 3650} hours")
    return value
