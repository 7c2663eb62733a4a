"""Signed-in probes: how the monitor gets a session for routes that are sign-in first, and the
headers such a probe sends (the bearer token, and what the app's CSRF rules need).

Slurpy signs in through Supabase Auth (GoTrue): ``POST <supabase_url>/auth/v1/token?grant_type=password``
with the ``apikey`` header and ``{"email", "password"}`` answers ``{"access_token", "expires_in",
"refresh_token", "user"}``; the refresh grant trades the refresh token for a new pair. A token is
fetched once per run, refreshed before it expires, registered for redaction the moment it arrives,
and never written anywhere.
"""

from __future__ import annotations

import secrets as token_bytes
import time
from collections.abc import Callable, Mapping
from typing import Protocol

from monitor import redact
from monitor.probe.probe import Probe
from monitor.profile import Profile


class AuthError(RuntimeError):
    """The monitor could not get a session; the message says where and why, never a secret."""


class TokenSource(Protocol):
    def token(self) -> str: ...


class StaticBearer:
    """A ready token from an environment variable: nothing to fetch or refresh."""

    def __init__(self, token: str):
        redact.register(token)
        self._token = token

    def token(self) -> str:
        return self._token


class SupabasePasswordGrant:
    """GoTrue's password grant, then its refresh grant whenever the access token is about to expire
    (a refused refresh falls back to signing in again)."""

    def __init__(
        self,
        probe: Probe,
        supabase_url: str,
        anon_key: str,
        email: str,
        password: str,
        *,
        margin_s: float = 60,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.probe, self.url = probe, f"{supabase_url.rstrip('/')}/auth/v1/token"
        self._anon_key, self._email, self._password = anon_key, email, password
        self.margin_s, self.clock = margin_s, clock
        self._access: str | None = None
        self._refresh: str | None = None
        self._expires_at = 0.0
        self.grants: list[str] = []  # which grants were used, in order: for tests and the record
        redact.register(password)

    def token(self) -> str:
        if self._access is None:
            self._grant("password", {"email": self._email, "password": self._password})
        elif self.clock() >= self._expires_at - self.margin_s:
            try:
                self._grant("refresh_token", {"refresh_token": self._refresh})
            except AuthError:
                self._grant("password", {"email": self._email, "password": self._password})
        assert self._access is not None
        return self._access

    def _grant(self, kind: str, body: dict[str, str | None]) -> None:
        where = f"Supabase Auth at {self.url}?grant_type={kind}"
        exchange = self.probe.request(
            "POST", self.url, params={"grant_type": kind}, json=body, headers={"apikey": self._anon_key}
        )
        self.grants.append(kind)
        if exchange.response is None:
            raise AuthError(f"{where} did not answer: {exchange.error_text}")
        response = exchange.response
        try:
            data = response.json()
        except ValueError:
            data = None
        if response.status_code != 200 or not isinstance(data, dict):
            raise AuthError(
                f"{where} refused the monitor account: {response.status_code} {_reason(data, response.text)}"
            )
        access, expires_in = data.get("access_token"), data.get("expires_in")
        if not isinstance(access, str) or not access or not isinstance(expires_in, (int, float)):
            raise AuthError(f"{where} answered 200 without access_token and expires_in")
        refresh = data.get("refresh_token")
        redact.register(access, *([refresh] if isinstance(refresh, str) else []))
        self._access, self._refresh = access, refresh if isinstance(refresh, str) else None
        self._expires_at = self.clock() + float(expires_in)


def _reason(data: object, text: str) -> str:
    """GoTrue's error text (its field names changed across versions), scrubbed of anything registered."""
    if isinstance(data, dict):
        for key in ("error_description", "msg", "message", "error"):
            if isinstance(data.get(key), str):
                return redact.scrub(data[key].encode()).decode(errors="replace")
    return redact.scrub(text[:200].encode()).decode(errors="replace") or "(empty body)"


class SessionHeaders:
    """What a signed-in probe sends on every request: the bearer token, a same-site ``Origin``, and
    the double-submit pair (the CSRF cookie and a header repeating it). The pair's value is the
    monitor's own: double submit only asks that the two agree."""

    def __init__(self, source: TokenSource, origin: str | None, csrf_cookie: str, csrf_header: str):
        self.source, self.origin = source, origin
        self.csrf_cookie, self.csrf_header = csrf_cookie, csrf_header
        self._csrf = token_bytes.token_urlsafe(18)

    def __call__(self) -> Mapping[str, str]:
        headers = {"Authorization": f"Bearer {self.source.token()}"}
        if self.origin:
            headers["Origin"] = self.origin
        if self.csrf_cookie:
            headers["Cookie"] = f"{self.csrf_cookie}={self._csrf}"
        if self.csrf_header:
            headers[self.csrf_header] = self._csrf
        return headers


def session_headers(
    profile: Profile, read_secret: Callable[[str], str], token_probe: Probe, clock: Callable[[], float] = time.monotonic
) -> SessionHeaders:
    """The signed-in headers ``profile``'s ``[auth]`` describes; ``read_secret`` reads a secret
    by its logical name (and registers it for redaction)."""
    auth = profile.auth
    source: TokenSource
    if auth.method == "supabase-password":
        assert auth.supabase_url is not None
        source = SupabasePasswordGrant(
            token_probe,
            auth.supabase_url,
            read_secret(auth.anon_key_secret),
            read_secret(auth.email_secret),
            read_secret(auth.password_secret),
            margin_s=auth.refresh_margin_s,
            clock=clock,
        )
    elif auth.method == "bearer":
        source = StaticBearer(read_secret(auth.token_secret))
    else:
        raise AuthError(
            f'targets/{profile.name}.toml has no [auth] method: set method = "supabase-password" or '
            '"bearer" to probe sign-in-first routes'
        )
    return SessionHeaders(source, profile.auth_origin, auth.csrf_cookie, auth.csrf_header)
