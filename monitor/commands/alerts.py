"""``slurpy-monitor alerts``: ``evaluate`` alerts from the history without running a suite (a
watchdog for missed runs, or to retry undelivered messages); ``list`` shows every message and its
delivery."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from datetime import UTC, datetime
from pathlib import Path

from monitor.commands.arguments import add_history, add_target


def add_parser(commands: argparse._SubParsersAction) -> None:
    alerts = commands.add_parser("alerts", help="alert from the history without a run, or list every message")
    actions = alerts.add_subparsers(dest="action", required=True)
    evaluate = actions.add_parser("evaluate", help="derive incidents (missed runs too) and deliver what is due")
    evaluate.add_argument(
        "--history-dir",
        type=Path,
        default=os.environ.get("SLURPY_HISTORY_DIR") or None,
        help="keep the alert state as text in this text-history folder too (also $SLURPY_HISTORY_DIR; "
        "the data branch's); $SLURPY_STATE_SYNC publishes claims before sending",
    )
    listing = actions.add_parser("list", help="the target's alert messages and their delivery state")
    for parser in (evaluate, listing):
        add_target(parser)
        add_history(parser)


def main(args: argparse.Namespace) -> int:
    from monitor import redact
    from monitor.alerts import dispatch
    from monitor.alerts.state import AlertState
    from monitor.profile import ProfileError, Secrets, load_profile, resolve_target_name

    target = resolve_target_name(args.target)
    try:
        if args.action == "list":
            with contextlib.suppress(ProfileError):  # older rows may hold its secrets: mask them when printed
                Secrets(load_profile(target))
            with AlertState(args.history) as state:
                deliveries = [d for d in state.all() if d.target == target]
            if not deliveries:
                print(f"no alert messages for target {target} in {args.history}")
            for d in deliveries:
                error = f": {redact.text(d.last_error)}" if d.last_error else ""
                print(
                    f"{d.created[:19]}Z {d.state:11} {d.event:12} {d.channel:10} {d.check_id} "
                    f"({d.attempts} attempt(s)){error}"
                )
            return 0
        profile = load_profile(target)
    except ProfileError as exc:
        print("slurpy-monitor: bad target profile:\n  " + "\n  ".join(exc.lines), file=sys.stderr)
        return 2
    outcome = dispatch.evaluate(
        profile,
        args.history,
        datetime.now(UTC),
        f"alerts-evaluate-{os.getpid()}",
        log_dir=args.history_dir,
        sync=dispatch.Sync.from_env(),
    )
    for line in outcome.lines():
        print(line)
    return 1 if outcome.failed else 0
