"""``slurpy-monitor history``: import results into the SQLite history (nothing twice), rebuild it
from the text history, compact old day files, and list a target's expected runs (gaps)."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from monitor.commands.arguments import DEFAULT_HISTORY, add_history, add_target, count, hours


def add_parser(commands: argparse._SubParsersAction) -> None:
    history = commands.add_parser("history", help="import, rebuild, compact or read the results history")
    actions = history.add_subparsers(dest="action", required=True)
    add = actions.add_parser("import", help="add results files or text-history folders (adds nothing twice)")
    add.add_argument("paths", nargs="+", type=Path)
    add.add_argument(
        "--days",
        type=count,
        default=0,
        help="from text-history folders, only the day files of the last N days (default: all)",
    )
    add_history(add)
    build = actions.add_parser("rebuild", help="a new SQLite history from a text-history folder")
    build.add_argument("--from", dest="source", type=Path, required=True, help="the text-history folder")
    build.add_argument(
        "--to", type=Path, default=DEFAULT_HISTORY, help=f"the SQLite file to write (default {DEFAULT_HISTORY})"
    )
    squeeze = actions.add_parser("compact", help="fold day files older than --keep-days into monthly .jsonl.gz")
    squeeze.add_argument("dir", type=Path, help="the text-history folder")
    squeeze.add_argument(
        "--keep-days", type=count, default=7, help="day files this recent stay as they are (default 7)"
    )
    show = actions.add_parser("gaps", help="a target's expected scheduled runs per suite: up, down, unknown")
    show.add_argument("--suite", help="only this suite (default: every suite of the target)")
    show.add_argument("--hours", type=hours, default=24, help="how far back (default 24)")
    add_target(show)
    add_history(show)


def main(args: argparse.Namespace) -> int:
    from monitor.history import textlog
    from monitor.history.schedule import Status, gaps
    from monitor.history.store import HistoryStore, rebuild
    from monitor.profile import resolve_target_name

    if args.action in ("rebuild", "compact"):
        folder = args.source if args.action == "rebuild" else args.dir
        if not folder.is_dir():  # rebuilding from nothing would replace the history with an empty one
            print(f"slurpy-monitor: {folder}: no such text-history folder", file=sys.stderr)
            return 2
    if args.action == "rebuild":
        done = rebuild(args.source, args.to)
        print(f"rebuilt {args.to}: {done.runs} runs, {done.records} records from {args.source}")
        _say_set_aside(done.set_aside)
        _load_alert_state(args.source, args.to)
        return 0
    if args.action == "compact":
        before = date.today() - timedelta(days=args.keep_days)
        for month in textlog.compact(args.dir, before):
            print(f"compacted into {month}")
        return 0
    if args.action == "import":
        with HistoryStore(args.history) as store:
            missing = [p for p in args.paths if not p.exists()]
            files = [p for p in missing if p.suffix in (".jsonl", ".gz")]
            if files:  # a results file that is not there is a mistyped path, not an empty history
                print(f"slurpy-monitor: {', '.join(map(str, files))}: no such file", file=sys.stderr)
                return 2
            for path in missing:  # a data branch's first run has no text history folder yet
                print(f"{path}: nothing there yet")
            since = date.today() - timedelta(days=args.days - 1) if args.days else None
            files = [
                f
                for p in args.paths
                if p.exists()
                for f in (textlog.history_files(p, since=since) if p.is_dir() else [p])
            ]
            for file in files:
                done = store.import_file(file)
                state = "unchanged" if done.files_unchanged else f"{done.runs} runs, {done.records} records added"
                print(f"{file}: {state}")
                _say_set_aside(done.set_aside)
        for path in args.paths:
            if path.is_dir():
                _load_alert_state(path, args.history)
        return 0
    with HistoryStore(args.history, read_only=True) as store:
        now = datetime.now(UTC)
        since = now - timedelta(hours=args.hours)
        target = resolve_target_name(args.target)
        chosen = [suite for t, suite in store.suites() if t == target and (not args.suite or suite == args.suite)]
        if not chosen:
            print(f"no runs of target {target}{f' suite {args.suite}' if args.suite else ''} in {args.history}")
        for suite in chosen:
            slots = [s for s in store.timeline(target, suite, now) if s.end > since]
            tally = {status: sum(s.status is status for s in slots) for status in Status}
            print(
                f"{target} {suite}: {len(slots)} expected runs in the last {args.hours:g} h: "
                + ", ".join(f"{n} {status.value}" for status, n in tally.items())
            )
            for slot in gaps(slots):
                print(f"  unknown {slot.start:%Y-%m-%d %H:%M}–{slot.end:%H:%M} UTC: no run ({slot.schedule})")
        return 0


def _say_set_aside(lines: list) -> None:
    if lines:
        print(
            f"  set aside {len(lines)} line(s) this slurpy-monitor cannot use (the file is unchanged; a copy of each "
            "is in the history's set_aside table):"
        )
        for line in lines:
            print(f"    {line}")


def _load_alert_state(text_dir: Path, history: Path) -> None:
    """The alert state kept as text beside the results (every day of it: incidents stay open longer
    than the results a job imports), rebuilt into the SQLite history."""
    from monitor.alerts.state import AlertLog, AlertState

    log = AlertLog(text_dir)
    with AlertState(history, log=log) as state:
        for target in log.targets():
            skipped = state.load(target)
            print(f"{log.folder(target)}: alert state of {target} loaded")
            for line in skipped:
                print(f"  skipped {line}")
