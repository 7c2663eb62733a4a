"""``slurpy-monitor init``: a profile drafted from a live deployment (:mod:`.observe` asks, with a
bounded number of read-only anonymous requests; :mod:`.propose` writes, without the network)."""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import ValidationError

from monitor.profile import Profile, targets_dir


def parse_urls(values: list[str]) -> dict[str, str]:
    """``["https://app.example", "backend=https://api.example"]``: a bare URL is the frontend's."""
    urls: dict[str, str] = {}
    for value in values:
        service, sep, url = value.partition("=")
        if not sep or "://" in service:
            service, url = "frontend", value
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"--url {value!r}: expected https://host or SERVICE=https://host")
        urls[service.strip()] = f"{parts.scheme}://{parts.netloc}"
    return urls


def default_name(url: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", (urlsplit(url).hostname or "target").lower()).strip("-")


def init(values: list[str], name: str | None, ca_bundle: str | None, timeout_s: float) -> int:
    from monitor.draft.observe import MAX_REQUESTS, observe
    from monitor.draft.propose import draft

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
