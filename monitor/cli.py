"""``slurpy-monitor``: one command line for schedulers, deploy gates and people.

``slurpy-monitor run SUITE... [options]`` is ``pytest tests/<suite>...`` with the reports a
scheduler wants (JUnit XML, Allure results) switched on: the same plugins, so the same records as
a developer's ``pytest tests/smoke --target staging``. ``run --help`` lists every option of a run
(:mod:`monitor.options`, the one list the plugins register too); any other pytest option (``-n
auto``, ``-k``) is passed on.

``slurpy-monitor history ...`` reads and keeps the results history. ``uptime`` prints uptime,
error budget, burn rates and incidents from it (``--json`` for the same as data); ``status-page``
writes the status page. ``alerts evaluate`` alerts from the history without running a suite (a
watchdog for missed runs, or to retry undelivered messages); ``alerts list`` shows every message
and its delivery. ``watch`` runs a suite on a cadence in one long-running process.

Every command that reads a target takes ``--target NAME`` and defaults alike: ``$SLURPY_TARGET``,
else ``sandbox`` (:func:`monitor.profile.resolve_target_name`). An answer with nothing in it
says so.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SUITES = {"smoke": "tests/smoke", "security": "tests/security", "journeys": "tests/journeys"}
DEFAULT_HISTORY = Path("results/history.sqlite")


def _has(options: list[str], name: str) -> bool:
    return any(o == name or o.startswith(name + "=") for o in options)


def run(suites: list[str], options: list[str]) -> int:
    import pytest

    chosen = list(SUITES) if "all" in suites else list(dict.fromkeys(suites))
    argv = [str(ROOT / SUITES[s]) for s in chosen] + ["--rootdir", str(ROOT)]
    reports = Path("results")
    if not _has(options, "--junitxml"):
        argv.append(f"--junitxml={reports / 'junit.xml'}")
    if not _has(options, "--alluredir"):  # a clean folder each run; the trend is kept by Allure (allurerc.mjs)
        argv += [f"--alluredir={reports / 'allure-results'}", "--clean-alluredir"]
    return int(pytest.main(argv + options))


GATE_SUITES = ["smoke", "security", "journeys"]
GATE_OWN = ("--watch-for", "--every", "-h", "--help")


def gate(suites: list[str], options: list[str], watch_for_s: float | None, every_s: float) -> int:
    """A post-deploy gate: the suites against the deployment just made, stopping at once if a
    service does not answer (``--stop-if-unreachable``); then, with ``--watch-for``, smoke again
    every ``--every`` until the window ends, failing at the first round that breaks or regresses."""
    if not _has(options, "--deploy-version") and not os.environ.get("SLURPY_DEPLOY_VERSION"):
        print(
            "slurpy-monitor gate: give --deploy-version (the commit or tag just deployed, also "
            "$SLURPY_DEPLOY_VERSION): it is stamped on the gate's records and turns on the version check and the "
            "comparison with the baseline",
            file=sys.stderr,
        )
        return 4
    extra = [] if _has(options, "--stop-if-unreachable") else ["--stop-if-unreachable"]
    code = run(suites or GATE_SUITES, [*extra, *options])
    if code != 0 or not watch_for_s:
        return code
    from math import ceil

    from monitor.watch import Watch, say

    rounds = max(1, ceil(watch_for_s / every_s))
    say(f"the gate passed: watching for {watch_for_s:g} s, {rounds} smoke round(s) every {every_s:g} s")
    # The gate's own history (the watch's rounds keep their results elsewhere, their history here).
    history = _option_value(options, "--history") or os.environ.get("SLURPY_HISTORY")
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


def _option_value(options: list[str], name: str) -> str | None:
    """The last value given to ``name`` (``--name VALUE`` or ``--name=VALUE``), as pytest reads it."""
    value = None
    for i, word in enumerate(options):
        if word == name and i + 1 < len(options):
            value = options[i + 1]
        elif word.startswith(name + "="):
            value = word.split("=", 1)[1]
    return value


def _gate_argv(argv: list[str]) -> tuple[list[str], list[str], list[str]]:
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


def _history(args: argparse.Namespace) -> int:
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


def _report(args: argparse.Namespace):
    """The SLO report of ``args.target`` from the history, with the profile's objectives (the
    defaults, said on stderr, when the profile is not here)."""
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
        rows, report = from_history(
            store,
            args.target,
            policy,
            now,
            list(profile.services) if profile else None,
            days=max(policy.window_days, 90),
        )
    return profile, rows, report


def _uptime(args: argparse.Namespace) -> int:
    import json

    from monitor.slo.text import lines

    _, rows, report = _report(args)
    if not rows and not args.json:
        print(f"no runs of target {args.target} in {args.history}: nothing to compute uptime from")
        return 0
    print(json.dumps(report.to_dict(), indent=2) if args.json else "\n".join(lines(report)))
    return 0


def _status_page(args: argparse.Namespace) -> int:
    from monitor.profile import StatusPagePolicy
    from monitor.report.notes import read
    from monitor.report.status_page import write

    profile, rows, report = _report(args)
    notes, problems = read(args.notes)
    for problem in problems:  # a note with a typo is left off the page, never the whole page
        print(f"slurpy-monitor: incident note left off the page: {problem}", file=sys.stderr)
    page = write(args.out, report, rows, profile.status_page if profile else StatusPagePolicy(), profile, notes)
    print(f"status page: {page} (with badges/, summary.json, incidents.atom; {len(notes)} incident notes)")
    return 0


def _alerts(args: argparse.Namespace) -> int:
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


def _duration(text: str) -> float:
    units = {"s": 1, "m": 60, "h": 3600}
    try:
        value = float(text[:-1]) * units[text[-1]] if text[-1:] in units else float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: expected a duration like 60s, 5m or 1h") from None
    if not value > 0 or not math.isfinite(value):  # nan compares false with everything
        raise argparse.ArgumentTypeError(f"{text!r}: must be a finite duration more than zero")
    return value


def _count(text: str) -> int:
    """A whole number >= 0 (days, rounds): a negative one would silently mean something else."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: expected a whole number, e.g. 7") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text!r}: must not be negative")
    return value


def _hours(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: expected a number of hours, e.g. 24") from None
    if not 0 < value <= 24 * 3650:
        raise argparse.ArgumentTypeError(f"{text!r}: must be more than 0 and at most {24 * 3650} hours")
    return value


TARGET_HELP = "the target profile targets/NAME.toml (default: $SLURPY_TARGET, else sandbox)"
# Exit codes of the commands other than run (whose codes are pytest's: monitor.options.EXIT_CODES).
COMMAND_EXIT_CODES = (
    (0, "done (an empty answer says so)"),
    (1, "alerts evaluate: a message could not be delivered; a history that cannot be read (named, with what to do)"),
    (2, "bad usage, or a target profile that does not load (each problem named); init: the profile exists"),
)


def parser() -> argparse.ArgumentParser:
    from monitor import options

    raw = argparse.RawDescriptionHelpFormatter
    top = argparse.ArgumentParser(
        prog="slurpy-monitor",
        description=__doc__.split("\n\n")[0],
        formatter_class=raw,
        epilog="run: " + options.exit_codes_text() + "\nother commands: " + options.exit_codes_text(COMMAND_EXIT_CODES),
    )
    commands = top.add_subparsers(dest="command", required=True)
    run_cmd = commands.add_parser(
        "run",
        help="run suites against a target",
        formatter_class=raw,
        description="Run the suites against a target, with JUnit XML and Allure results in results/.",
        epilog="Any other pytest option is passed on: -n auto (in parallel), -k EXPR, -x, --collect-only.\n\n"
        + options.exit_codes_text(),
    )
    run_cmd.add_argument(
        "suites", nargs="+", choices=[*SUITES, "all"], metavar="SUITE", help=f"{', '.join(SUITES)} or all"
    )
    options.add_to_argparse(run_cmd)
    gate_cmd = commands.add_parser(
        "gate",
        help="a post-deploy gate: the suites against the deployment just made, then optionally a watch",
        formatter_class=raw,
        description="A post-deploy gate (the GitHub Action at the repository root runs this): the suites, with "
        "--stop-if-unreachable, as a run with --deploy-version (version check, more latency samples, "
        "latency compared with the same checks' passing history on the target).",
        epilog="Example: slurpy-monitor gate --target staging --url frontend=https://pr-42.vercel.app "
        "--deploy-version 3f2c1ab --watch-for 30m --every 5m\n\n" + options.exit_codes_text(),
    )
    gate_cmd.add_argument(
        "suites",
        nargs="*",
        metavar="SUITE",  # checked in main: argparse checks an empty list too
        help=f"{', '.join(SUITES)} or all (default: {' '.join(GATE_SUITES)})",
    )
    gate_cmd.add_argument(
        "--watch-for",
        type=_duration,
        metavar="DURATION",
        help="after a passing gate, run smoke every --every for this long (30m: the operations "
        "guide's first half hour after a deploy); the first round that fails fails the gate",
    )
    gate_cmd.add_argument(
        "--every", type=_duration, default=300.0, metavar="DURATION", help="the watch's cadence (default 5m)"
    )
    options.add_to_argparse(gate_cmd)
    draft = commands.add_parser(
        "init",
        help="draft targets/NAME.toml from a live deployment (read-only, anonymous, a bounded number of requests)",
        description="Draft a target profile from a live deployment: read-only, anonymous requests (GET and CORS "
        "preflights, no retries, never more than 60); every guess commented with where it came from, "
        "every question a TODO, sensitive = true. Never writes a secret; never overwrites a profile.",
    )
    draft.add_argument(
        "--url",
        action="append",
        required=True,
        metavar="URL|SERVICE=URL",
        help="the frontend's URL (https://...); SERVICE=URL for a service its scripts do not name, "
        "e.g. backend=https://api.example.com (repeatable)",
    )
    draft.add_argument("--name", help="the target's name: targets/NAME.toml (default: from the host)")
    draft.add_argument(
        "--ca-bundle",
        metavar="PEM",
        help="a private CA the services' certificates chain to (trusted for the requests, written into [tls])",
    )
    draft.add_argument("--timeout", type=float, default=10.0, help="each request's deadline in seconds (default 10)")
    from monitor.check_profile import EXIT_CODES as FIT_CODES

    fit = commands.add_parser(
        "check-profile",
        help="is the profile right? smoke and security once, failures sorted into fix your profile / fix your app",
        formatter_class=raw,
        epilog=options.exit_codes_text(FIT_CODES),
        description="Load the profile, say what it contradicts in itself, run smoke and security once (no rate-limit "
        "probe, no history, no alerts) and sort what did not pass: fix your profile, fix your app, set up "
        "the monitor.",
    )
    history = commands.add_parser("history", help="import, rebuild, compact or read the results history")
    actions = history.add_subparsers(dest="action", required=True)
    add = actions.add_parser("import", help="add results files or text-history folders (adds nothing twice)")
    add.add_argument("paths", nargs="+", type=Path)
    add.add_argument(
        "--days",
        type=_count,
        default=0,
        help="from text-history folders, only the day files of the last N days (default: all)",
    )
    build = actions.add_parser("rebuild", help="a new SQLite history from a text-history folder")
    build.add_argument("--from", dest="source", type=Path, required=True, help="the text-history folder")
    build.add_argument(
        "--to", type=Path, default=DEFAULT_HISTORY, help=f"the SQLite file to write (default {DEFAULT_HISTORY})"
    )
    squeeze = actions.add_parser("compact", help="fold day files older than --keep-days into monthly .jsonl.gz")
    squeeze.add_argument("dir", type=Path, help="the text-history folder")
    squeeze.add_argument(
        "--keep-days", type=_count, default=7, help="day files this recent stay as they are (default 7)"
    )
    show = actions.add_parser("gaps", help="a target's expected scheduled runs per suite: up, down, unknown")
    show.add_argument("--suite", help="only this suite (default: every suite of the target)")
    show.add_argument("--hours", type=_hours, default=24, help="how far back (default 24)")
    uptime = commands.add_parser("uptime", help="uptime, error budget, burn rates and incidents per service and check")
    uptime.add_argument("--json", action="store_true", help="the same figures as JSON")
    page = commands.add_parser("status-page", help="write the static status page (index.html) into --out")
    page.add_argument(
        "--out",
        type=Path,
        default=Path("results/status-page"),
        help="the folder index.html is written to (default results/status-page)",
    )
    page.add_argument(
        "--notes",
        type=Path,
        default=None,
        metavar="DIR",
        help="people's updates on incidents, one incidents/<id>.md each (Investigating / Identified / "
        "Resolved), e.g. the data branch's incidents/ folder",
    )
    alerts = commands.add_parser("alerts", help="alert from the history without a run, or list every message")
    alert_actions = alerts.add_subparsers(dest="action", required=True)
    evaluate = alert_actions.add_parser("evaluate", help="derive incidents (missed runs too) and deliver what is due")
    evaluate.add_argument(
        "--history-dir",
        type=Path,
        default=os.environ.get("SLURPY_HISTORY_DIR") or None,
        help="keep the alert state as text in this text-history folder too (also $SLURPY_HISTORY_DIR; "
        "the data branch's); $SLURPY_STATE_SYNC publishes claims before sending",
    )
    listing = alert_actions.add_parser("list", help="the target's alert messages and their delivery state")
    watch = commands.add_parser(
        "watch",
        help="run a suite every --every in one process, keeping history and "
        "alerting after each round; SIGTERM stops it after the round",
    )
    watch.add_argument("--every", type=_duration, default=60.0, help="cadence: 60s, 5m, 1h (default 60s)")
    watch.add_argument("--suite", choices=list(SUITES), default="smoke")
    watch.add_argument("--rounds", type=_count, default=0, help="stop after this many rounds (default: until SIGTERM)")
    watch.add_argument(
        "--grace",
        type=_duration,
        default=120.0,
        help="on SIGTERM, how long a running round may take to finish before it is stopped (default 120s)",
    )
    watch.add_argument(
        "--results-dir",
        type=Path,
        default=Path("results/watch"),
        help="one results file per day here (default results/watch)",
    )
    for sub in (fit, show, uptime, page, evaluate, listing, watch):
        sub.add_argument("--target", metavar="NAME", help=TARGET_HELP)
    for sub in (add, show, uptime, page, evaluate, listing, watch):
        sub.add_argument(
            "--history", type=Path, default=DEFAULT_HISTORY, help=f"SQLite history (default {DEFAULT_HISTORY})"
        )
    return top


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["run"]:  # suites first; everything from the first option on is pytest's
        split = next((i for i, a in enumerate(argv) if a.startswith("-")), len(argv))
        args = parser().parse_args(argv[:split] if split > 1 else argv)
        return run(args.suites, argv[split:])
    if argv[:1] == ["gate"]:
        suites, own, rest = _gate_argv(argv[1:])
        top = parser()
        args = top.parse_args(["gate", *suites, *own])
        unknown = [s for s in args.suites if s not in (*SUITES, "all")]
        if unknown:
            top.error(f"gate: unknown suite(s) {', '.join(unknown)} (choose from {', '.join(SUITES)}, all)")
        return gate(args.suites, rest, args.watch_for, args.every)
    if argv[:1] == ["watch"]:  # everything after `--` goes to each round's pytest
        split = argv.index("--") if "--" in argv else len(argv)
        args = parser().parse_args(argv[:split])
        from monitor.plugins.results import unwritable
        from monitor.watch import Watch

        if problem := unwritable(args.results_dir, folder=True):  # else every round would fail the same way
            print(f"slurpy-monitor: --results-dir {args.results_dir}: cannot be written: {problem}", file=sys.stderr)
            return 2

        return Watch(
            args.target,
            args.every,
            args.suite,
            args.history,
            args.results_dir,
            args.grace,
            args.rounds,
            argv[split + 1 :],
        ).run()
    args = parser().parse_args(argv)
    if args.command == "check-profile":
        from monitor.check_profile import check_profile
        from monitor.profile import resolve_target_name

        return check_profile(resolve_target_name(args.target))
    if args.command == "init":
        from monitor.draft import init

        return init(args.url, args.name, args.ca_bundle, args.timeout)
    command = {"uptime": _uptime, "status-page": _status_page, "alerts": _alerts}.get(args.command, _history)
    from monitor.history.store import HistoryError

    try:
        return command(args)
    except HistoryError as exc:  # a history that cannot be used: one line naming the file and what to do
        print(f"slurpy-monitor: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:  # the reader went away (| head): nothing to say
        raise
    except OSError as exc:  # a path that cannot be read or written (--out /proc/nope): one line, never a traceback
        where = f"{exc.filename}: " if exc.filename else ""
        print(
            f"slurpy-monitor: {where}{exc.strerror or exc}: choose a path you can write to (or read from)",
            file=sys.stderr,
        )
        return 2


if __name__ == "__main__":
    sys.exit(main())
