"""Which Chromium the monitor launches, and with which flags: Playwright's own build where it is
installed, else Debian's (which ``./run`` installs; ``playwright install`` cannot download on every
machine). The journeys, the status page's tests and its benchmark all launch it this way."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from playwright.sync_api import Playwright

# The real binaries, not the /usr/bin/chromium wrapper script (see shared/engineering.md).
DEBIAN_CHROMIUM = ("/usr/lib/chromium/chromium-headless-shell", "/usr/lib/chromium/chromium")
# Flags for a root, headless machine with a closed network.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


class NoChromium(Exception):
    """Neither Playwright's Chromium nor Debian's is installed; the message says how to install one."""


def launch_args(playwright: Playwright) -> dict[str, Any]:
    """Keyword arguments for ``playwright.chromium.launch``: the flags, and Debian's binary where
    Playwright's own is absent."""
    args: dict[str, Any] = {"args": CHROMIUM_ARGS}
    if not Path(playwright.chromium.executable_path).exists():
        found = next((path for path in DEBIAN_CHROMIUM if Path(path).exists()), None)
        if found is None:
            raise NoChromium(
                "no Chromium: run `python -m playwright install chromium` or `apt-get install "
                "chromium-headless-shell` (./run does this for you)"
            )
        args["executable_path"] = found
    return args
