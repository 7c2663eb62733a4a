"""Read rate-limit answers: Retry-After, the IETF RateLimit fields and X-RateLimit-* headers;
which client-address headers escape a limiter; how many requests fell in one clock-aligned window."""

from __future__ import annotations

import json
import random
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from email.utils import parsedate_to_datetime


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds to wait, from delay-seconds (``30``) or an HTTP date; None if absent or unreadable."""
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return (when - now).total_seconds()


@dataclass(frozen=True)
class LimitFields:
    limit: int | None = None
    remaining: int | None = None
    reset: float | None = None

    @property
    def present(self) -> bool:
        return any(v is not None for v in (self.limit, self.remaining, self.reset))


def _int(value: str | None) -> int | None:
    try:
        return int(value.strip()) if value is not None else None
    except ValueError:
        return None


def parse_limit_fields(headers: Mapping[str, str]) -> LimitFields:
    """``X-RateLimit-Limit/-Remaining/-Reset``, or the IETF draft's ``RateLimit: limit=10,
    remaining=0, reset=30`` (older drafts: separate ``RateLimit-Limit`` … fields; newer:
    ``RateLimit: "default";r=0;t=30`` with the limit in ``RateLimit-Policy: "default";q=10;w=60``)."""
    h = {k.lower(): v for k, v in headers.items()}
    if "x-ratelimit-limit" in h or "x-ratelimit-remaining" in h:
        return LimitFields(
            _int(h.get("x-ratelimit-limit")), _int(h.get("x-ratelimit-remaining")), _int(h.get("x-ratelimit-reset"))
        )
    if "ratelimit-limit" in h or "ratelimit-remaining" in h:
        return LimitFields(
            _int(h.get("ratelimit-limit")), _int(h.get("ratelimit-remaining")), _int(h.get("ratelimit-reset"))
        )
    if "ratelimit" in h:
        field = h["ratelimit"]
        params = dict(re.findall(r"\b(limit|remaining|reset|r|t)\s*=\s*(\d+)", field))
        limit = _int(params.get("limit"))
        if limit is None and "ratelimit-policy" in h:
            limit = _int((re.search(r"\bq\s*=\s*(\d+)", h["ratelimit-policy"]) or [None, None])[1])
        return LimitFields(
            limit, _int(params.get("remaining", params.get("r"))), _int(params.get("reset", params.get("t")))
        )
    return LimitFields()


def judge_fields(series: list[LimitFields], limit: int) -> list[str]:
    """If the server advertises its limit, what it says must match what happened."""
    problems: list[str] = []
    advertised = [f for f in series if f.present]
    if not advertised:
        return problems
    limits = {f.limit for f in advertised if f.limit is not None}
    if limits and limits != {limit}:
        problems.append(
            f"rate-limit headers advertise a limit of {', '.join(map(str, sorted(limits)))}, the policy is {limit}"
        )
    remaining = [f.remaining for f in advertised if f.remaining is not None]
    if any(b > a for a, b in zip(remaining, remaining[1:], strict=False)):
        problems.append(f"remaining count went up inside one window: {remaining}")
    if series[-1].remaining not in (None, 0):
        problems.append(f"the 429 answer says {series[-1].remaining} requests remain")
    return problems


def body_shape(body: str) -> str:
    """What a refusal's body looks like, for the record: ``empty``, ``JSON {error, retry}``, ``text``."""
    if not body.strip():
        return "empty"
    try:
        data = json.loads(body)
    except ValueError:
        return "text"
    if isinstance(data, dict):
        return f"JSON {{{', '.join(list(data)[:5])}}}"
    return f"JSON {type(data).__name__}"


def judge_refusal(
    retry_after: str | None, body: str, window_s: int, now: datetime, error_field: str | None = None
) -> list[str]:
    """A 429 must say when to come back (within the window); its body may be any JSON or empty
    (healthy deployments differ), unless the profile names a field it must carry."""
    problems = []
    seconds = parse_retry_after(retry_after, now)
    if seconds is None:
        problems.append(f"429 without a readable Retry-After (got {retry_after or 'none'})")
    elif not 0 < seconds <= window_s:
        problems.append(f"Retry-After {seconds:.0f} s is outside (0, {window_s}] s")
    shape = body_shape(body)
    if shape == "text":
        problems.append(f"429 body is neither JSON nor empty: {body[:60]!r}")
    elif error_field is not None and not (shape.startswith("JSON {") and error_field in json.loads(body)):
        problems.append(f"429 body has no {error_field!r} field, which the rule asks for (body: {shape})")
    return problems


def limited_in_stream(content_type: str, body: str) -> bool:
    """A streaming route's other way to refuse: 200 with an NDJSON ``{"type": "error", "reason":
    "rate_limited"}`` frame (the contract names it for the chat stream)."""
    if "ndjson" not in content_type and "jsonl" not in content_type:
        return False
    for line in body.splitlines():
        try:
            frame = json.loads(line)
        except ValueError:
            continue
        if isinstance(frame, dict) and frame.get("type") == "error" and frame.get("reason") == "rate_limited":
            return True
    return False


# Headers through which proxies and CDNs pass on the client's address. A limiter that believes
# one of them where no trusted proxy sets it can be escaped by any client that sends it.
CLIENT_ADDRESS_HEADERS = (
    "X-Forwarded-For",
    "X-Real-IP",
    "CF-Connecting-IP",
    "True-Client-IP",
    "Fastly-Client-IP",
    "X-Client-IP",
    "X-Cluster-Client-IP",
    "Forwarded",
)


def spoofed(header: str, address: str) -> dict[str, str]:
    """The header a client sets to claim ``address`` (``Forwarded`` has its own syntax, RFC 7239)."""
    return {header: f"for={address}" if header == "Forwarded" else address}


def fresh_addresses(count: int, rng: random.Random) -> list[str]:
    """Distinct documentation addresses (TEST-NET-3), new each run: an address an earlier run
    spent budget under must not make an escape look held."""
    return [f"203.0.113.{n}" for n in rng.sample(range(1, 255), count)]


def judge_escapes(tried: list[tuple[str, int | None]], passed: set[int]) -> list[str]:
    """After the limiter refused the monitor, each header was tried alone with a fresh address.
    One escapes when its answer is not a 429 but what the route gave before its limit (or a 2xx);
    any other answer (a WAF's 403, a proxy's 400) is a refusal too."""
    escaped = [
        (header, status)
        for header, status in tried
        if status is not None and status != 429 and (status in passed or 200 <= status < 300)
    ]
    if not escaped:
        return []
    names = ", ".join(f"{header} ({status})" for header, status in escaped)
    return [
        f"the limit is escaped by setting {names} to a fresh address instead of 429: the limiter keys on "
        f"a client address header any client can set"
    ]


def requests_in_current_window(spans: list[tuple[float, float]], window_s: int) -> int:
    """How many of these (sent, answered) spans surely fell inside the clock-aligned window of the
    last answer. A span that crosses a window edge may have been counted in either window, so it
    counts in neither: the count never claims more than the limiter can have seen."""
    if not spans:
        return 0
    current = int(spans[-1][1] // window_s)
    return sum(1 for start, end in spans if int(start // window_s) == int(end // window_s) == current)
