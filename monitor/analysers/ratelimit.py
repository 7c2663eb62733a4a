"""Read rate-limit answers: Retry-After, the IETF RateLimit fields and X-RateLimit-* headers."""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Mapping


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
        return LimitFields(_int(h.get("x-ratelimit-limit")), _int(h.get("x-ratelimit-remaining")),
                           _int(h.get("x-ratelimit-reset")))
    if "ratelimit-limit" in h or "ratelimit-remaining" in h:
        return LimitFields(_int(h.get("ratelimit-limit")), _int(h.get("ratelimit-remaining")), _int(h.get("ratelimit-reset")))
    if "ratelimit" in h:
        field = h["ratelimit"]
        params = dict(re.findall(r"\b(limit|remaining|reset|r|t)\s*=\s*(\d+)", field))
        limit = _int(params.get("limit"))
        if limit is None and "ratelimit-policy" in h:
            limit = _int((re.search(r"\bq\s*=\s*(\d+)", h["ratelimit-policy"]) or [None, None])[1])
        return LimitFields(limit, _int(params.get("remaining", params.get("r"))), _int(params.get("reset", params.get("t"))))
    return LimitFields()


def judge_fields(series: list[LimitFields], limit: int) -> list[str]:
    """If the server advertises its limit, what it says must match what happened."""
    problems = []
    advertised = [f for f in series if f.present]
    if not advertised:
        return problems
    limits = {f.limit for f in advertised if f.limit is not None}
    if limits and limits != {limit}:
        problems.append(f"rate-limit headers advertise a limit of {', '.join(map(str, sorted(limits)))}, the policy is {limit}")
    remaining = [f.remaining for f in advertised if f.remaining is not None]
    if any(b > a for a, b in zip(remaining, remaining[1:])):
        problems.append(f"remaining count went up inside one window: {remaining}")
    if series[-1].remaining not in (None, 0):
        problems.append(f"the 429 answer says {series[-1].remaining} requests remain")
    return problems


def judge_refusal(retry_after: str | None, body: str, window_s: int, now: datetime) -> list[str]:
    """A 429 must say when to come back (within the window) and carry a JSON error."""
    problems = []
    seconds = parse_retry_after(retry_after, now)
    if seconds is None:
        problems.append(f"429 without a readable Retry-After (got {retry_after or 'none'})")
    elif not 0 < seconds <= window_s:
        problems.append(f"Retry-After {seconds:.0f} s is outside (0, {window_s}] s")
    try:
        data = json.loads(body)
    except ValueError:
        return problems + ["429 body is not JSON"]
    if not isinstance(data, dict) or "error" not in data:
        problems.append("429 body has no \"error\" field")
    return problems
