"""``slurpy-monitor uptime``: uptime, error budget, burn rates and incidents per service and check,
from the history (``--json`` for the same as data)."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime

from monitor.commands.arguments import add_history, add_target


def add_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("uptime", help="uptime, error budget, burn rates and incidents per service and check")
    parser.add_argument("--json", action="store_true", help="the same figures as JSON")
    add_target(parser)
    add_history(parser)


def report(args: argparse.Namespace, drawn_days: float = 0):
    """The SLO report of ``args.target`` from the history, with the profile's objectives (the
    defaults, said on stderr, when the profile is not here), and what the status page draws of
    the last ``drawn_days``. The status page reads it too."""
    from monitor.history.store import HistoryStore
    from monitor.profile import Profile, ProfileError, SLOPolicy, load_profile, resolve_target_name
    from monitor.slo.report import from_history

    profile: Profile | None
    args.target = resolve_target_name(args.target)
    try:
        profile = load_profile(args.target)
    except ProfileError as exc:
        print(f"slurpy-monitor: {exc.lines[0]}; using the default objectives", file=sys.stderr)
        profile = None
    policy = profile.slo if profile else SLOPolicy()
    now = datetime.now(UTC)
    with HistoryStore(args.history, read_only=True) as store:  # 90 days at least: the status page's uptime bars
        drawn, slo_report = from_history(
            store,
            args.target,
            policy,
            now,
            list(profile.services) if profile else None,
            days=max(policy.window_days, 90),
            drawn_days=drawn_days,
        )
    return profile, drawn, slo_report


def main(args: argparse.Namespace) -> int:
    import json

    from monitor.slo.text import lines

    _, _, slo_report = report(args)
    if not slo_report.runs_read and not args.json:
        print(f"no runs of target {args.target} in {args.history}: nothing to compute uptime from")
        return 0
    print(json.dumps(slo_report.to_dict(), indent=2) if args.json else "\n".join(lines(slo_report)))
    return 0
