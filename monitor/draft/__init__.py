"""A target profile drafted from a live deployment, for ``slurpy-monitor init``
(:mod:`monitor.commands.init`): :mod:`.observe` asks, with a bounded number of read-only anonymous
requests through the probe; :mod:`.propose` writes, without the network; here, what the command
line gives them.

May import: :mod:`monitor.probe`, :mod:`monitor.analysers`, :mod:`monitor.profile`. Never pytest,
the plugins or the commands."""

from __future__ import annotations

import re
from urllib.parse import urlsplit


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
