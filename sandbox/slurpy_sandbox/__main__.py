"""``slurpy-sandbox``: run the sandbox by hand, list faults, switch them on a running sandbox."""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

from slurpy_sandbox import STATE_ENV, Sandbox, SandboxError
from slurpy_sandbox.faults import FAULTS, UnknownFault, parse_fault_option

DEFAULT_STATE = Path(tempfile.gettempdir()) / "slurpy-sandbox" / "state.json"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="slurpy-sandbox", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the sandbox until Ctrl-C")
    serve.add_argument("--state-file", type=Path, default=DEFAULT_STATE)
    serve.add_argument(
        "--fault",
        action="append",
        default=[],
        metavar="NAME[:key=value,...]",
        help="switch a fault on from the start (repeatable)",
    )
    sub.add_parser("faults", help="list the fault registry")
    for verb in ("on", "off"):
        cmd = sub.add_parser(verb, help=f"switch a fault {verb} on the running sandbox")
        cmd.add_argument("fault", metavar="NAME[:key=value,...]")
    sub.add_parser("clear", help="switch every fault off on the running sandbox")
    sub.add_parser("status", help="show URLs and active faults of the running sandbox")
    args = parser.parse_args(argv)

    try:
        if args.command == "serve":
            from slurpy_sandbox.server import serve as run

            faults = [parse_fault_option(f) for f in args.fault]
            args.state_file.parent.mkdir(parents=True, exist_ok=True)
            if args.state_file == DEFAULT_STATE:
                print(
                    f"sandbox starting; state in {args.state_file} (export {STATE_ENV}={args.state_file} "
                    "to point pytest at it)",
                    flush=True,
                )
            run(args.state_file, faults)
            return 0
        if args.command == "faults":
            for name, fault in sorted(FAULTS.items()):
                print(f"{name:32} [{fault.suite}/{fault.service}] {fault.description}")
            return 0
        sandbox = Sandbox.attach(os.environ.get(STATE_ENV, DEFAULT_STATE))
        if args.command in ("on", "off"):
            name, params = parse_fault_option(args.fault)
            sandbox.switch_on(name, **params) if args.command == "on" else sandbox.switch_off(name)
        elif args.command == "clear":
            sandbox.clear()
        print(
            json.dumps(
                {"services": sandbox.urls, "ca_bundle": sandbox.ca_bundle, "active": sandbox.faults()["active"]},
                indent=2,
            )
        )
        return 0
    except (SandboxError, UnknownFault) as exc:
        print(f"slurpy-sandbox: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
