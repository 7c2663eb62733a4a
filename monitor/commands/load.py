"""slurpy-load (./run load): one command for a load run against a target profile.

It checks the budget rules and the bounds before anything starts, brings up the sandbox when the
profile is one, then runs the monitor's locustfile in Locust's own processes (:mod:`monitor.load.run`):
one, or a master and ``--workers N``.

Exit codes: 0 every threshold held, 1 a threshold broke, 2 refused (budget, bounds, profile),
3 inconclusive (the generator cannot vouch for its measures).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import secrets
import sys
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path

from monitor.layout import RESULTS
from monitor.load.run import run_locust

REFUSED = 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="slurpy-load",
        description=__doc__.split("\n\n")[0],
        epilog="Arguments after -- go to every Locust process as they are (-- --loglevel INFO).",
    )
    parser.add_argument("--target", default=None, help="targets/NAME.toml (default: $SLURPY_TARGET or sandbox)")
    parser.add_argument("--url", action="append", default=[], metavar="SERVICE=URL", help="point a service elsewhere")
    parser.add_argument(
        "--mode",
        choices=["gate", "step", "capacity"],
        default="gate",
        help="gate: hold the users and judge (default); step: ramp up in steps; capacity: raise users "
        "stage by stage until a threshold breaks",
    )
    parser.add_argument("--users", type=int, default=None, help="users to hold or ramp to (default: [load] users)")
    parser.add_argument("--spawn-rate", type=float, default=None, help="users started per second")
    parser.add_argument("--run-time", type=float, default=None, metavar="SECONDS", help="gate/step length")
    parser.add_argument("--max-users", type=int, default=None, help="lower the profile's bound on users")
    parser.add_argument(
        "--max-duration", type=float, default=None, metavar="SECONDS", help="lower the profile's bound on duration"
    )
    parser.add_argument("--workers", type=int, default=0, help="run a Locust master and N local workers")
    parser.add_argument(
        "--spend-budget",
        action="store_true",
        help="consent to spend a sensitive target's budget (the profile must set allow_budget too)",
    )
    parser.add_argument("--results", default=None, metavar="PATH", help="JSON-lines records (default results/...)")
    parser.add_argument(
        "--artifacts",
        default=None,
        metavar="DIR",
        help="Locust's CSV and HTML report (default results/artifacts/load-<run>)",
    )
    parser.add_argument(
        "--sandbox-fault",
        action="append",
        default=[],
        metavar="NAME[:key=value]",
        help="switch a sandbox fault on for this run",
    )
    parser.add_argument(
        "--locustfile",
        action="append",
        default=[],
        metavar="PATH",
        help="another locustfile to load beside the monitor's own (load/locustfile.py)",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    passthrough = argv[argv.index("--") + 1 :] if "--" in argv else []
    args = _parser().parse_args(argv[: argv.index("--")] if "--" in argv else argv)
    # Imported once the arguments are good: --help and a usage error answer without the profile's models.
    from monitor.analysers.load import bounds_refusal, budget_refusal
    from monitor.commands.stand_in import live_target
    from monitor.plugins.hooks import StandInError, no_stand_in
    from monitor.profile import (
        ProfileError,
        load_profile,
        parse_url_options,
        resolve_target_name,
        url_overrides_from_env,
    )

    try:
        overrides = {**url_overrides_from_env(os.environ), **parse_url_options(args.url)}
        profile = load_profile(resolve_target_name(args.target), url_overrides=overrides)
    except ProfileError as exc:
        print("slurpy load: bad target profile:\n  " + "\n  ".join(exc.lines), file=sys.stderr)
        return REFUSED
    where = f"targets/{profile.name}.toml"
    refusal = budget_refusal(profile, args.spend_budget, where) or bounds_refusal(
        profile, args.mode, args.users, args.run_time, args.max_users, args.max_duration, where
    )
    if refusal:
        print(f"slurpy load: {refusal}", file=sys.stderr)
        return REFUSED
    if args.sandbox_fault and not profile.sandbox:
        print(f"slurpy load: --sandbox-fault needs a sandbox target; {profile.name} is not one", file=sys.stderr)
        return REFUSED

    started = datetime.now(UTC)
    run_id = f"{started:%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"
    artifacts = Path(args.artifacts or RESULTS / "artifacts" / f"load-{run_id}")
    artifacts.mkdir(parents=True, exist_ok=True)
    results = Path(args.results or RESULTS / f"{started:%Y%m%dT%H%M%SZ}-{profile.name}-load.jsonl")
    env = {**os.environ, "SLURPY_LOAD_RUN_ID": run_id, "SLURPY_TARGET": profile.name}
    with ExitStack() as cleanup:  # what the stand-in started or switched on is undone at the end
        if profile.sandbox:
            try:
                live = live_target(profile, frozenset(overrides), args.sandbox_fault, cleanup)
            except StandInError as exc:
                print(f"slurpy load: {exc}", file=sys.stderr)
                return REFUSED
            if live is None:  # a stand-in that declines to start is not the sandbox this command knows
                print(f"slurpy load: {no_stand_in(profile.name)}", file=sys.stderr)
                return REFUSED
            (artifacts / "profile.json").write_text(live.profile.model_dump_json(indent=2), encoding="utf-8")
            env.update(live.secrets)
            env["SLURPY_LOAD_PROFILE"] = str(artifacts / "profile.json")
        return _run_locust(args, passthrough, env, artifacts, results)


def _run_locust(
    args: argparse.Namespace, passthrough: list[str], env: dict[str, str], artifacts: Path, results: Path
) -> int:
    if importlib.util.find_spec("locust") is None:
        print(
            "slurpy load: Locust is not installed here: `uv sync --group load` (./run installs every group)",
            file=sys.stderr,
        )
        return REFUSED
    # every process, workers too, reads the profile and checks the budget rules itself
    every_process = ["--spend-budget"] if args.spend_budget else []
    master_only = [
        "--headless",
        "--only-summary",
        "--slurpy-mode",
        args.mode,
        "--results",
        str(results),
        "--csv",
        str(artifacts / "locust"),
        "--html",
        str(artifacts / "locust.html"),
    ]
    for flag, value in (
        ("--users", args.users),
        ("--spawn-rate", args.spawn_rate),
        ("--max-users", args.max_users),
        ("--max-duration", args.max_duration),
    ):
        if value is not None:
            master_only += [flag, str(value)]
    if args.run_time is not None and args.mode != "capacity":
        master_only += ["--run-time", f"{args.run_time:g}s"]
    return run_locust(args.locustfile, every_process, master_only, args.workers, passthrough, env)


if __name__ == "__main__":
    sys.exit(main())
