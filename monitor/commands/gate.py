"""``slurpy-monitor gate``: a post-deploy gate (the GitHub Action at the repository root runs it):
the suites against the deployment just made, stopping at once if a service does not answer
(``--stop-if-unreachable``); then, with ``--watch-for``, smoke again every ``--every`` until the
window ends (:mod:`monitor.commands.watch`), failing at the first round that breaks or regresses."""

from __future__ import annotations

import argparse
import os
import sys
from math import ceil
from pathlib import Path

from monitor import options
from monitor.commands.arguments import DEFAULT_HISTORY, duration
from monitor.commands.run import has_option, run
from monitor.commands.watch import Watch, say
from monitor.layout import SUITES

GATE_SUITES = ["smoke", "security", "journeys"]
GATE_OWN = ("--watch-for", "--every", "-h", "--help")


def add_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "gate",
        help="a post-deploy gate: the suites against the deployment just made, then optionally a watch",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="A post-deploy gate (the GitHub Action at the repository root runs this): the suites, with "
        "--stop-if-unreachable, as a run with --deploy-version (version check, more latency samples, "
        "latency compared with the same checks' passing history on the target).",
        epilog="Example: slurpy-monitor gate --target staging --url frontend=https://pr-42.vercel.app "
        "--deploy-version 3f2c1ab --watch-for 30m --every 5m\n\n" + options.exit_codes_text(),
    )
    parser.add_argument(
        "suites",
        nargs="*",
        metavar="SUITE",  # checked in main: argparse checks an empty list too
        help=f"{', '.join(SUITES)} or all (default: {' '.join(GATE_SUITES)})",
    )
    parser.add_argument(
        "--watch-for",
        type=duration,
        metavar="DURATION",
        help="after a passing gate, run smoke every --every for this long (30m: the operations "
        "guide's first half hour after a deploy); the first round that fails fails the gate",
    )
    parser.add_argument(
        "--every", type=duration, default=300.0, metavar="DURATION", help="the watch's cadence (default 5m)"
    )
    options.add_to_argparse(parser)


def gate(suites: list[str], options: list[str], watch_for_s: float | None, every_s: float) -> int:
    if not has_option(options, "--deploy-version") and not os.environ.get("SLURPY_DEPLOY_VERSION"):
        print(
            "slurpy-monitor gate: give --deploy-version (the commit or tag just deployed, also "
            "$SLURPY_DEPLOY_VERSION): it is stamped on the gate's records and turns on the version check and the "
            "comparison with the baseline",
            file=sys.stderr,
        )
        return 4
    extra = [] if has_option(options, "--stop-if-unreachable") else ["--stop-if-unreachable"]
    code = run(suites or GATE_SUITES, [*extra, *options])
    if code != 0 or not watch_for_s:
        return code
    rounds = max(1, ceil(watch_for_s / every_s))
    say(f"the gate passed: watching for {watch_for_s:g} s, {rounds} smoke round(s) every {every_s:g} s")
    # The gate's own history (the watch's rounds keep their results elsewhere, their history here).
    history = option_value(options, "--history") or os.environ.get("SLURPY_HISTORY")
    code = Watch(
        None,
        every_s,
        "smoke",
        Path(history) if history else DEFAULT_HISTORY,
        Path("results/watch"),
        120.0,
        rounds,
        options,
        until_failure=True,
    ).run()
    if code == 0:
        say(f"the deployment held for the whole watch window ({rounds} round(s))")
    return code


def option_value(options: list[str], name: str) -> str | None:
    """The last value given to ``name`` (``--name VALUE`` or ``--name=VALUE``), as pytest reads it."""
    value = None
    for i, word in enumerate(options):
        if word == name and i + 1 < len(options):
            value = options[i + 1]
        elif word.startswith(name + "="):
            value = word.split("=", 1)[1]
    return value


def split_argv(argv: list[str]) -> tuple[list[str], list[str], list[str]]:
    """``gate`` arguments split: its suites, its own options (``--watch-for``, ``--every``), and the
    run options it passes on."""
    split = next((i for i, a in enumerate(argv) if a.startswith("-")), len(argv))
    suites, own, rest = argv[:split], [], []
    words = iter(argv[split:])
    for word in words:
        name = word.split("=", 1)[0]
        if name in ("-h", "--help"):
            own.append(word)
        elif name in GATE_OWN:
            own += [word] if "=" in word else [word, next(words, "")]
        else:
            rest.append(word)
    return suites, own, rest
