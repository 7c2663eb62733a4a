"""Which version a service says it runs, read where its profile says (a JSON field or a
header), judged against the version just deployed. No network."""

from __future__ import annotations

import json
from collections.abc import Mapping

from monitor.analysers.health import lookup
from monitor.profile import VersionSource


def read_version(source: VersionSource, headers: Mapping[str, str], body: bytes) -> tuple[str | None, str]:
    """(the version served, or None; where it was looked for, for the message)."""
    if source.header is not None:
        return headers.get(source.header), f"header {source.header}"
    where = f"JSON field {source.json_field}"
    try:
        value = lookup(json.loads(body), source.json_field or "")
    except ValueError:
        return None, f"{where} (the body is not JSON)"
    return (str(value) if isinstance(value, (str, int, float)) and not isinstance(value, bool) else None), where


def judge_version(served: str | None, where: str, expected: str) -> list[str]:
    if served is None:
        return [f"expected version {expected} in {where}, found none"]
    if served.strip() != expected.strip():
        return [f"expected version {expected} (just deployed) in {where}, got {served}: the old build still answers"]
    return []
