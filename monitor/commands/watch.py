"""``slurpy-monitor watch``: a suite every ``--every`` seconds in one long-running process, for
cadences a GitHub cron cannot keep (it never runs more often than every 5 minutes, and often
late). Each round is a child pytest, the same run a scheduler makes (one way to run a suite): it
keeps the history and alerts at its end. Rounds start on a fixed grid (start + k × every); a
round that overruns skips the ticks it covered rather than queueing them. Rounds carry the
cadence as their schedule (``--schedule "every 15s"``): it defines the slots uptime counts
(:mod:`monitor.history.schedule`), and a missed round is unknown time and raises the missed-runs
alert.

SIGTERM or SIGINT: no new round starts; a running one may finish within ``--grace``, else it is
terminated. Exit 0 once stopped.

A post-deploy watch (``slurpy-monitor gate --watch-for``) is the same loop with ``until_failure``:
it starts one cadence after the gate, carries no schedule (it is not a scheduled run, so the
history expects no next one), and ends at the first round that fails, with that round's exit code."""

from __future__ import annotations

import argparse
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

from monitor.commands.arguments import add_history, add_target, count, duration
from monitor.history.schedule import cadence_line
from monitor.layout import ROOT, SUITES


def add_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "watch",
        help="run a suite every --every in one process, keeping history and "
        "alerting after each round; SIGTERM stops it after the round",
    )
    parser.add_argument("--every", type=duration, default=60.0, help="cadence: 60s, 5m, 1h (default 60s)")
    parser.add_argument("--suite", choices=list(SUITES), default="smoke")
    parser.add_argument("--rounds", type=count, default=0, help="stop after this many rounds (default: until SIGTERM)")
    parser.add_argument(
        "--grace",
        type=duration,
        default=120.0,
        help="on SIGTERM, how long a running round may take to finish before it is stopped (default 120s)",
    )
    parser.add_argument(
        "--results-dir",
        type=Path,
        default=Path("results/watch"),
        help="one results file per day here (default results/watch)",
    )
    add_target(parser)
    add_history(parser)


def main(args: argparse.Namespace, pytest_args: list[str]) -> int:
    from monitor.plugins.results import unwritable

    if problem := unwritable(args.results_dir, folder=True):  # else every round would fail the same way
        print(f"slurpy-monitor: --results-dir {args.results_dir}: cannot be written: {problem}", file=sys.stderr)
        return 2
    return Watch(
        args.target, args.every, args.suite, args.history, args.results_dir, args.grace, args.rounds, pytest_args
    ).run()


def say(line: str) -> None:
    print(f"{datetime.now(UTC):%Y-%m-%dT%H:%M:%SZ} watch: {line}", flush=True)


class Watch:
    def __init__(
        self,
        target: str | None,
        every_s: float,
        suite: str,
        history: Path,
        results_dir: Path,
        grace_s: float,
        rounds: int,
        pytest_args: list[str],
        until_failure: bool = False,
    ):
        self.target, self.every_s, self.suite = target, every_s, suite
        self.history, self.results_dir, self.grace_s, self.rounds = history, results_dir, grace_s, rounds
        self.pytest_args = pytest_args
        self.until_failure = until_failure
        self.stop = threading.Event()

    def command(self) -> list[str]:
        day = datetime.now(UTC)
        results = self.results_dir / f"{day:%Y-%m-%d}-{self.target or 'default'}.jsonl"
        argv = [
            sys.executable,
            "-m",
            "pytest",
            str(SUITES[self.suite]),
            "--rootdir",
            str(ROOT),
            "-q",
            "-p",
            "no:cacheprovider",
            "--history",
            str(self.history),
            "--results",
            str(results),
        ]
        if self.target:
            argv += ["--target", self.target]
        schedule = "" if self.until_failure else cadence_line(self.every_s)
        if schedule:
            argv += ["--schedule", schedule]
        return argv + self.pytest_args

    def _signal(self, signum: int, _frame: object) -> None:
        say(f"{signal.Signals(signum).name}: stopping after the current round (at most {self.grace_s:g} s)")
        self.stop.set()

    def round(self, number: int) -> int:
        started = time.monotonic()
        child = subprocess.Popen(self.command(), stdin=subprocess.DEVNULL, start_new_session=True)
        while child.poll() is None:
            if self.stop.wait(0.2):
                try:
                    child.wait(timeout=max(0.0, self.grace_s - (time.monotonic() - started)))
                except subprocess.TimeoutExpired:
                    say(f"round {number} still running after the grace period: terminating it")
                    child.terminate()
                    try:
                        child.wait(timeout=10)
                    except subprocess.TimeoutExpired:
                        child.kill()
                        child.wait()
                break
        verdict = {0: "all checks ok", 1: "checks failed"}.get(child.returncode, f"exit {child.returncode}")
        say(f"round {number}: {verdict} in {time.monotonic() - started:.1f} s")
        return child.returncode

    def run(self) -> int:
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, self._signal)
        schedule = "" if self.until_failure else cadence_line(self.every_s)
        say(
            f"{self.suite} every {self.every_s:g} s against {self.target or 'the default target'}"
            f"{', schedule ' + repr(schedule) if schedule else ''}; history {self.history}"
        )
        if self.until_failure:  # the gate itself was the first look
            self.stop.wait(self.every_s)
        origin = time.monotonic()
        number = 0
        while not self.stop.is_set():
            number += 1
            code = self.round(number)
            if self.until_failure and code != 0:
                say(f"round {number} failed: the deployment broke or regressed inside the watch window")
                return code
            if self.rounds and number >= self.rounds:
                break
            elapsed = time.monotonic() - origin
            ticks = int(elapsed // self.every_s) + 1
            if ticks > number:
                say(f"round {number} overran the cadence: {ticks - number} round(s) skipped")
                number = ticks - 1
            self.stop.wait(max(0.0, origin + ticks * self.every_s - time.monotonic()))
        say("stopped")
        return 0
