"""``slurpy-monitor init``: draft targets/NAME.toml from a live deployment (:mod:`monitor.draft`):
read-only, anonymous requests, every guess commented, never a secret, never an overwrite."""

from __future__ import annotations

import argparse
import sys
import tomllib
from pathlib import Path

from monitor.draft import default_name, parse_urls


def add_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "init",
        help="draft targets/NAME.toml from a live deployment (read-only, anonymous, a bounded number of requests)",
        description="Draft a target profile from a live deployment: read-only, anonymous requests (GET and CORS "
        "preflights, no retries, never more than 60); every guess commented with where it came from, "
        "every question a TODO, sensitive = true. Never writes a secret; never overwrites a profile.",
    )
    parser.add_argument(
        "--url",
        action="append",
        required=True,
        metavar="URL|SERVICE=URL",
        help="the frontend's URL (https://...); SERVICE=URL for a service its scripts do not name, "
        "e.g. backend=https://api.example.com (repeatable)",
    )
    parser.add_argument("--name", help="the target's name: targets/NAME.toml (default: from the host)")
    parser.add_argument(
        "--ca-bundle",
        metavar="PEM",
        help="a private CA the services' certificates chain to (trusted for the requests, written into [tls])",
    )
    parser.add_argument("--timeout", type=float, default=10.0, help="each request's deadline in seconds (default 10)")


def main(args: argparse.Namespace) -> int:
    return init(args.url, args.name, args.ca_bundle, args.timeout)


def init(values: list[str], name: str | None, ca_bundle: str | None, timeout_s: float) -> int:
    from pydantic import ValidationError

    from monitor.draft.observe import MAX_REQUESTS, observe
    from monitor.draft.propose import draft
    from monitor.profile import Profile, targets_dir

    try:
        urls = parse_urls(values)
    except ValueError as exc:
        print(f"slurpy-monitor init: {exc}", file=sys.stderr)
        return 2
    first = urls.get("frontend") or next(iter(urls.values()))
    name = name or default_name(first)
    path = targets_dir() / f"{name}.toml"
    if path.exists():
        print(
            f"slurpy-monitor init: {path} exists; it is never overwritten (choose another --name, or move it)",
            file=sys.stderr,
        )
        return 2
    if ca_bundle and not Path(ca_bundle).is_file():
        print(f"slurpy-monitor init: --ca-bundle {ca_bundle}: no such file", file=sys.stderr)
        return 2
    sighting, sent = observe(urls, ca_bundle=str(Path(ca_bundle).resolve()) if ca_bundle else None, timeout_s=timeout_s)
    text = draft(sighting, name, first, str(Path(ca_bundle).resolve()) if ca_bundle else None, sent)
    try:
        Profile.model_validate({**tomllib.loads(text), "name": name})
    except (tomllib.TOMLDecodeError, ValidationError) as exc:  # a bug in the drafting: nothing half-right is written
        print(f"slurpy-monitor init: the draft does not load, nothing written:\n{exc}", file=sys.stderr)
        return 3
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        with path.open("x", encoding="utf-8") as out:  # "x": a profile that appeared meanwhile is not overwritten
            out.write(text)
    except FileExistsError:
        print(f"slurpy-monitor init: {path} exists; it is never overwritten", file=sys.stderr)
        return 2
    todos = text.count("TODO:")
    per = ", ".join(f"{service} {n}" for service, n in sent.items())
    print(
        f"drafted {path} from {sum(sent.values())} read-only, anonymous requests ({per}; never more than "
        f"{MAX_REQUESTS})"
    )
    print(f"services: {', '.join(f'{s} {u}' for s, u in sighting.urls.items())}")
    print(f"{todos} TODOs to answer in it; then: slurpy-monitor check-profile --target {name}")
    return 0
