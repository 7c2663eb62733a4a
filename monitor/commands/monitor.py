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
import sys

from monitor.commands import (
    alerts,
    check_profile,
    gate,
    history,
    init,
    run,
    status_page,
    uptime,
    watch,
)
from monitor.layout import SUITES

# Exit codes of the commands other than run (whose codes are pytest's: monitor.options.EXIT_CODES).
COMMAND_EXIT_CODES = (
    (0, "done (an empty answer says so)"),
    (1, "alerts evaluate: a message could not be delivered; a history that cannot be read (named, with what to do)"),
    (2, "bad usage, or a target profile that does not load (each problem named); init: the profile exists"),
)
# In the order --help lists them; each module adds its own parser and handles its own arguments.
SUBCOMMANDS = (run, gate, init, check_profile, history, uptime, status_page, alerts, watch)


def parser() -> argparse.ArgumentParser:
    from monitor import options

    top = argparse.ArgumentParser(
        prog="slurpy-monitor",
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="run: " + options.exit_codes_text() + "\nother commands: " + options.exit_codes_text(COMMAND_EXIT_CODES),
    )
    commands = top.add_subparsers(dest="command", required=True)
    for command in SUBCOMMANDS:
        command.add_parser(commands)
    return top


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["run"]:  # suites first; everything from the first option on is pytest's
        split = next((i for i, a in enumerate(argv) if a.startswith("-")), len(argv))
        args = parser().parse_args(argv[:split] if split > 1 else argv)
        return run.run(args.suites, argv[split:])
    if argv[:1] == ["gate"]:
        suites, own, rest = gate.split_argv(argv[1:])
        top = parser()
        args = top.parse_args(["gate", *suites, *own])
        unknown = [s for s in args.suites if s not in (*SUITES, "all")]
        if unknown:
            top.error(f"gate: unknown suite(s) {', '.join(unknown)} (choose from {', '.join(SUITES)}, all)")
        return gate.gate(args.suites, rest, args.watch_for, args.every)
    if argv[:1] == ["watch"]:  # everything after `--` goes to each round's pytest
        split = argv.index("--") if "--" in argv else len(argv)
        return watch.main(parser().parse_args(argv[:split]), argv[split + 1 :])
    args = parser().parse_args(argv)
    if args.command == "check-profile":
        return check_profile.main(args)
    if args.command == "init":
        return init.main(args)
    handler = {
        "uptime": uptime.main,
        "status-page": status_page.main,
        "alerts": alerts.main,
        "history": history.main,
    }[args.command]
    from monitor.history.store import HistoryError

    try:
        return handler(args)
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
