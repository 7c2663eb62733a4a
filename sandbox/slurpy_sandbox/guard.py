"""The gates every frontend write route passes, in the real app's order: sign-in (401), the rate
limiter (per signed-in user; by client address only where a route lets anonymous callers in),
CSRF (a cross-site Origin, or a double-submit cookie without its matching header: 403), then the
body: size (413, Content-Length first), JSON (400 Bad JSON), schema (400 Invalid request).
Schemas drop fields they do not know, as the app's zod schemas do."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from fastapi import Request, Response
from fastapi.responses import JSONResponse, PlainTextResponse

from slurpy_sandbox.faults import FaultState, trusted_header
from slurpy_sandbox.gotrue import Tokens
from slurpy_sandbox.store import User

MAX_BODY = 64 * 1024
WINDOW_S = 60
MODES = {"friend", "therapist", "coach", "parent", "boss"}
CSRF_COOKIE, CSRF_HEADER = "slurpy.csrf", "x-csrf"
# lib/csrf.ts: CORS_ORIGINS plus the local defaults; a request's own origin is always same-site.
CSRF_DEFAULT_ORIGINS = ("http://localhost:3000", "http://127.0.0.1:3000", "https://localhost:3000")
NO_STORE = {"Cache-Control": "no-store"}


def _text(data: dict, *keys: str, limit: int | None = None) -> str | None:
    """The first of ``keys`` holding a string: it must not be blank nor longer than ``limit``."""
    for key in keys:
        if isinstance(data.get(key), str):
            text = data[key]
            return text if text.strip() and (limit is None or len(text) <= limit) else None
    return None


def _bounded(value: Any, limit: int) -> bool:
    return isinstance(value, str) and len(value) <= limit


def chat_text(data: dict) -> str:
    """The message, from ``text`` or what older clients send: a value of the wrong type is read as
    no text at all, as the app's normalizer does (its text has a maximum, no minimum)."""
    return next((data[key] for key in ("text", "message", "content") if isinstance(data.get(key), str)), "")


def valid_chat_stream(data: dict) -> bool:
    """/api/proxy-chat-stream: text <= 4000; an unknown mode is dropped; context, when sent, an
    object of short ids; session ids <= 128."""
    context = data.get("context")
    return (
        len(chat_text(data)) <= 4000
        and (
            context is None
            or (
                isinstance(context, dict)
                and all(_bounded(context[k], 64) for k in ("messageId", "convoId") if k in context)
            )
        )
        and all(data.get(k) is None or _bounded(data[k], 128) for k in ("session_id", "sessionId"))
    )


def valid_chat(data: dict) -> bool:
    """/api/proxy-chat: text <= 4000 and, when mode is a string, a known one; nothing else is read."""
    mode = data.get("mode")
    return len(chat_text(data)) <= 4000 and (not isinstance(mode, str) or mode in MODES)


def valid_journal(data: dict) -> bool:
    title = data.get("title", "")
    return _text(data, "content", "body") is not None and isinstance(title, str) and len(title) <= 200


def valid_checkout(data: dict) -> bool:
    return isinstance(data.get("price_id"), str) and bool(data["price_id"])


def valid_safety_event(data: dict) -> bool:
    return data.get("source") in ("user_input", "assistant_output", "cta_click", "cta_dismiss") and data.get(
        "level"
    ) in ("elevated", "immediate")


@dataclass(frozen=True)
class WriteRoute:
    valid: Callable[[dict], bool]
    limit: int | None = None  # requests per clock-aligned window, per caller
    public: bool = False  # anonymous callers allowed (limited by client address)
    max_body: int = MAX_BODY
    invalid: str = "Invalid request"


@dataclass(frozen=True)
class Admitted:
    """A request every gate let through: its parsed, valid body and its caller (None only on a
    public route)."""

    data: dict[str, Any]
    user: User | None


class FixedWindowLimiter:
    """Fixed windows aligned to the clock (``floor(now / window)``), as lib/rate-limit.ts buckets them."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self.clock = clock
        self.counts: dict[tuple[str, str, int], int] = {}

    def reset(self) -> None:
        self.counts.clear()

    def hit(self, key: str, route: str, limit: int) -> tuple[bool, float]:
        """Allowed?, and seconds to the end of the window."""
        now = self.clock()
        window = int(now // WINDOW_S)
        count = self.counts.get((key, route, window), 0) + 1
        self.counts[(key, route, window)] = count
        return count <= limit, (window + 1) * WINDOW_S - now


# NEXT_PUBLIC_E2E_BYPASS_AUTH=true: the chat route lets anonymous callers in as a test user and
# skips its double-submit check (a development switch that must never reach a deployment).
BYPASS_ROUTES = ("/api/proxy-chat-stream",)
E2E_USER = User(id=0, email="e2e@bypass.local", first_name="E2E", plan="free", confirmed=True)


def unverified_user(token: str) -> User | None:
    """What a route that decodes a JWT without checking its signature believes: the token's claims."""
    try:
        claims = json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "==="))
    except (ValueError, IndexError):
        return None
    if not isinstance(claims, dict) or not claims.get("sub"):
        return None
    return User(id=-1, email=str(claims.get("email", "")), first_name="", plan="free", confirmed=True)


def _error(status: int, error: str) -> Response:
    return JSONResponse({"error": error}, status_code=status, headers=NO_STORE)


class Guard:
    def __init__(self, faults: FaultState, tokens: Tokens, csrf_origins: list[str]):
        self.faults, self.tokens = faults, tokens
        self.csrf_origins = {*csrf_origins, *CSRF_DEFAULT_ORIGINS}
        self.limiter = FixedWindowLimiter()
        faults.on_clear.append(self.limiter.reset)

    def user(self, request: Request) -> User | None:
        authorization = request.headers.get("authorization", "")
        if not authorization.startswith("Bearer "):
            return None
        user = self.tokens.user_of(authorization[7:])
        if user is None and self.faults.is_on("frontend-bearer-not-verified"):
            return unverified_user(authorization[7:])
        return user

    def client_address(self, request: Request) -> str:
        """The TCP peer, unless a fault makes the limiter believe a header the client set."""
        header = trusted_header(self.faults)
        claimed = request.headers.get(header, "") if header else ""
        if header == "Forwarded":
            claimed = next(
                (
                    part.split("=", 1)[1]
                    for part in claimed.replace(",", ";").split(";")
                    if part.strip().lower().startswith("for=")
                ),
                "",
            )
        return claimed.split(",")[0].strip().strip('"') or (request.client.host if request.client else "?")

    async def __call__(self, request: Request, route: WriteRoute) -> Admitted | Response:
        """The admitted request, or the answer of the first gate that refused it."""
        user = self.user(request)
        path = request.url.path
        bypass = self.faults.is_on("frontend-e2e-bypass-auth") and path in BYPASS_ROUTES
        if user is None and bypass:
            user = E2E_USER
        open_route = self.faults.is_on("frontend-journal-open-to-anonymous") and path == "/api/journal"
        if user is None and not (route.public or open_route):
            return _error(401, "Unauthorized")
        if route.limit and not self.faults.is_on("frontend-rate-limit-off"):
            # The real limiter keys on the user; under a trusts-header fault, on a header any client sets.
            claimed = trusted_header(self.faults)
            by_address = user is None or (claimed is not None and claimed in request.headers)
            key = f"user:{user.id}" if user is not None and not by_address else f"ip:{self.client_address(request)}"
            allowed, reset = self.limiter.hit(key, request.url.path, route.limit)
            if not allowed:
                headers = dict(NO_STORE)
                if not self.faults.is_on("frontend-rate-limit-no-retry-after"):
                    headers["Retry-After"] = str(max(1, int(reset + 0.999)))
                return JSONResponse(
                    {"error": "too many requests"},
                    status_code=429,
                    headers=headers,
                    media_type="application/json; charset=utf-8",
                )
        if refused := self.csrf(request, double_submit=not bypass):
            return refused
        if int(request.headers.get("content-length") or 0) > route.max_body:
            return _error(413, "Payload too large")
        raw = await request.body()
        if len(raw) > route.max_body:
            return _error(413, "Payload too large")
        try:
            data = json.loads(raw) if raw else {}
        except ValueError as exc:
            if self.faults.is_on("frontend-500-traceback"):
                trace = (
                    'Traceback (most recent call last):\n  File "/app/api/proxy_chat.py", line 42, in handler\n'
                    f"    body = json.loads(raw)\njson.decoder.JSONDecodeError: {exc}\n"
                )
                return PlainTextResponse(trace, status_code=500)
            return _error(400, "Bad JSON")
        if not isinstance(data, dict) or not route.valid(data):
            return _error(400, route.invalid)
        return Admitted(data, user)

    def csrf(self, request: Request, double_submit: bool = True) -> Response | None:
        """lib/csrf.ts: a browser-looking request (Origin or Sec-Fetch-Site) must come from the
        request's own origin or an allowed one; a ``slurpy.csrf`` cookie needs its ``x-csrf`` twin."""
        if self.faults.is_on("frontend-csrf-not-checked"):
            return None
        origin = request.headers.get("origin")
        any_origin = self.faults.is_on("frontend-cors-origins-wildcard")
        if (origin or request.headers.get("sec-fetch-site")) and not any_origin:
            own = f"https://{request.headers.get('host', '')}"
            referer = urlsplit(request.headers.get("referer", ""))
            claimed = {origin, f"{referer.scheme}://{referer.netloc}" if referer.netloc else None} - {None}
            if not claimed & {own, *self.csrf_origins}:
                return _error(403, "csrf")
        cookie = request.cookies.get(CSRF_COOKIE)
        if double_submit and cookie and request.headers.get(CSRF_HEADER) != cookie:
            return _error(403, "csrf")
        return None
