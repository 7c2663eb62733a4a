"""The Chromium the monitor launches: Playwright's own where installed, else Debian's, else a
message that says how to install one."""

from __future__ import annotations

from types import SimpleNamespace
from typing import cast

import pytest
from playwright.sync_api import Playwright

from monitor.browser import chromium
from monitor.browser.chromium import CHROMIUM_ARGS, NoChromium, launch_args


def playwright_with(executable_path: str) -> Playwright:
    """A stand-in for Playwright: launch_args reads only its chromium.executable_path."""
    return cast(Playwright, SimpleNamespace(chromium=SimpleNamespace(executable_path=executable_path)))


def test_playwrights_own_chromium_is_launched_as_it_is(tmp_path):
    own = tmp_path / "chrome"
    own.touch()
    assert launch_args(playwright_with(str(own))) == {"args": CHROMIUM_ARGS}


def test_without_it_the_first_debian_binary_present_is_launched(tmp_path, monkeypatch):
    shell = tmp_path / "chromium-headless-shell"
    monkeypatch.setattr(chromium, "DEBIAN_CHROMIUM", (str(tmp_path / "absent"), str(shell), "/nonexistent/chromium"))
    shell.touch()
    args = launch_args(playwright_with(str(tmp_path / "not-downloaded")))
    assert args == {"args": CHROMIUM_ARGS, "executable_path": str(shell)}


def test_with_no_chromium_at_all_the_message_says_how_to_install_one(tmp_path, monkeypatch):
    monkeypatch.setattr(chromium, "DEBIAN_CHROMIUM", (str(tmp_path / "absent"),))
    with pytest.raises(NoChromium, match="apt-get install chromium-headless-shell"):
        launch_args(playwright_with(str(tmp_path / "not-downloaded")))
