"""Synthetic accounts: made through the target's test-account API, found in its test inbox, and
always removed again (by the journey that made them, or by the sweep after a crash)."""

from __future__ import annotations

import re
import secrets
import time
from datetime import UTC, datetime
from urllib.parse import quote

from monitor.probe import Probe
from monitor.profile import Profile

LINK = re.compile(r"https?://[^\s\"'<>]+")


class AccountApiError(RuntimeError):
    pass


def new_run_id() -> str:
    return f"{datetime.now(UTC):%Y%m%d%H%M%S}-{secrets.token_hex(3)}"


def missing_prerequisite(profile: Profile) -> str | None:
    """Why journeys that create accounts cannot run on this target, by the profile alone: the root
    reason first (no test-account API), then what it would need (its admin token's name)."""
    if not profile.journeys.test_accounts_path:
        return (
            f"targets/{profile.name}.toml sets no journeys.test_accounts_path: the monitor cannot create or clean "
            "up synthetic accounts there (it needs a test-account API: POST creates, GET lists, DELETE removes)"
        )
    if "admin_token" not in profile.secrets:
        return (
            f"targets/{profile.name}.toml sets journeys.test_accounts_path but names no admin_token under "
            "[secrets]: the environment variable holding the test-account API's token"
        )
    return None


class TestAccounts:
    __test__ = False  # not a pytest test class

    def __init__(self, probe: Probe, profile: Profile, token: str):
        journeys = profile.journeys
        if (missing := missing_prerequisite(profile)) or not journeys.test_accounts_path:
            raise AccountApiError(missing or "no test-account API")
        self.probe = probe
        self.url = profile.services["frontend"].url(journeys.test_accounts_path)
        self.headers = {"Authorization": f"Bearer {token}"}

    def _call(self, method: str, url: str, expected: tuple[int, ...], **kwargs):
        exchange = self.probe.request(method, url, headers=self.headers, **kwargs)
        if exchange.response is None:
            raise AccountApiError(f"test-account API {method} {url}: {exchange.error_text}")
        if exchange.response.status_code not in expected:
            raise AccountApiError(f"test-account API {method} {url} answered {exchange.response.status_code}")
        return exchange.response

    def create(self, email: str, password: str, first_name: str) -> None:
        self._call("POST", self.url, (201,), json={"email": email, "password": password, "first_name": first_name})

    def delete(self, email: str) -> bool:
        """True if it existed; deleting an account that is already gone is fine."""
        return self._call("DELETE", f"{self.url}/{quote(email)}", (204, 404)).status_code == 204

    def list(self) -> list[str]:
        return self._call("GET", self.url, (200,)).json()["accounts"]


def confirmation_link(probe: Probe, inbox: str, email: str, timeout_s: float) -> str:
    """The newest link in the test inbox for ``email`` (``inbox`` holds ``{email}``), waiting for the mail to arrive."""
    deadline = time.monotonic() + timeout_s
    while True:
        exchange = probe.get(inbox.format(email=quote(email)))
        if exchange.response is not None and exchange.response.status_code == 200:
            links = [
                link
                for message in exchange.response.json().get("messages", [])
                for link in LINK.findall(message.get("body", ""))
            ]
            if links:
                return links[-1]
        if time.monotonic() > deadline:
            raise AssertionError(f"no confirmation e-mail for {email} in the test inbox within {timeout_s:g} s")
        time.sleep(0.25)
