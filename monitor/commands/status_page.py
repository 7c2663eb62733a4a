"""``slurpy-monitor status-page``: the static status page (index.html, badges, summary.json,
incidents.atom) from the history and people's incident notes."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from monitor.commands.arguments import add_history, add_target
from monitor.commands.uptime import report


def add_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("status-page", help="write the static status page (index.html) into --out")
    parser.add_argument(
        "--out",
        type=Path,
        default=Path("results/status-page"),
        help="the folder index.html is written to (default results/status-page)",
    )
    parser.add_argument(
        "--notes",
        type=Path,
        default=None,
        metavar="DIR",
        help="people's updates on incidents, one incidents/<id>.md each (Investigating / Identified / "
        "Resolved), e.g. the data branch's incidents/ folder",
    )
    add_target(parser)
    add_history(parser)


def main(args: argparse.Namespace) -> int:
    from monitor.profile import StatusPagePolicy
    from monitor.report.notes import read
    from monitor.report.status_page import CHART_DAYS, write

    profile, drawn, slo_report = report(args, CHART_DAYS)
    notes, problems = read(args.notes)
    for problem in problems:  # a note with a typo is left off the page, never the whole page
        print(f"slurpy-monitor: incident note left off the page: {problem}", file=sys.stderr)
    page = write(args.out, slo_report, drawn, profile.status_page if profile else StatusPagePolicy(), profile, notes)
    print(f"status page: {page} (with badges/, summary.json, incidents.atom; {len(notes)} incident notes)")
    return 0
