"""Checks of an API route's own guards, the rate limiter and the input validator, which sit behind
the route's gates (sign-in, CSRF): a probe that only met a gate judged nothing and says so
(:func:`~monitor.checks.envelope.inconclusive`), and so does one refused by a limit the run
itself spent."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx

from monitor.analysers.errors import error_leaks, judge_error_answer
from monitor.analysers.ratelimit import (
    CLIENT_ADDRESS_HEADERS,
    body_shape,
    fresh_addresses,
    judge_escapes,
    judge_fields,
    judge_refusal,
    limited_in_stream,
    parse_limit_fields,
    requests_in_current_window,
    spoofed,
)
from monitor.analysers.reach import gate, short
from monitor.checks.envelope import inconclusive, judged, unreachable
from monitor.checks.registry import check
from monitor.probe import Probe
from monitor.profile import RateLimitRule, ValidationRule
from monitor.results import Category, CheckResult

_rng = random.Random()


def _runs(statuses: list[int]) -> str:
    """``[400, 400, 400]`` -> ``400×3``."""
    out: list[str] = []
    for status in statuses:
        if out and out[-1].startswith(f"{status}×"):
            out[-1] = f"{status}×{int(out[-1].split('×')[1]) + 1}"
        else:
            out.append(f"{status}×1")
    return ", ".join(out)


def _clock_time(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%H:%M:%S UTC")


class _Stopped(Exception):
    def __init__(self, result: CheckResult):
        self.result = result


@dataclass(frozen=True)
class RateLimitArgs:
    rule: RateLimitRule
    url: str


@check("rate_limit", RateLimitArgs, nothing_to_probe="this profile has no [[rate_limits]] rules")
def rate_limit(probe: Probe, rule: RateLimitRule, url: str) -> CheckResult:
    """Drive the route to its limit, judge the 429, then try each client-address header alone with
    a fresh address. If the window ended while the headers were tried, what got through proves
    nothing, and the probe runs once more in the new window."""
    path = f"{rule.method} {rule.path}"
    started = probe.clock()
    window_start = started - started % rule.window_s
    earlier = len([s for s in probe.sent_to(rule.method, url, since=window_start) if s.started < started])
    try:
        passed: set[int] = set()  # what the route answered before its limit: an escape gets the same
        for attempt in (1, 2):
            statuses, fields, blocked, leaks = _drive_to_limit(probe, rule, url, path)
            passed |= set(statuses[:-1])
            tried, held = _try_escapes(probe, rule, url, window=int(probe.sent[-1].ended // rule.window_s))
            escapes = judge_escapes(tried, passed)
            if held or not escapes:
                break
            if attempt == 2:
                return inconclusive(
                    "rate_limit",
                    rule.service,
                    url=url,
                    path=path,
                    why=f"twice the {rule.window_s} s window ended while client-address headers were "
                    f"tried, so what got through proves nothing; run the check again",
                )
    except _Stopped as stopped:
        return stopped.result
    now = datetime.fromtimestamp(probe.clock(), UTC)
    in_stream = blocked.status_code != 429
    if in_stream:  # a 200 whose stream says rate_limited carries no Retry-After to judge
        problems, refusal = [], "a rate_limited frame in a 200 stream"
    else:
        problems = judge_refusal(blocked.headers.get("retry-after"), blocked.text, rule.window_s, now, rule.error_field)
        refusal = f"429 (body {body_shape(blocked.text)}, Retry-After {blocked.headers.get('retry-after')})"
    problems += judge_fields(fields, rule.limit)
    problems += escapes
    problems += leaks
    spent = f"; this run sent {earlier} more in this window before" if earlier else ""
    return judged(
        "rate_limit",
        rule.service,
        category=Category.RATE_LIMIT,
        problems=problems,
        url=url,
        path=path,
        details={
            "statuses": statuses,
            "limit": rule.limit,
            "window_s": rule.window_s,
            "sent_earlier_in_window": earlier,
            "escape_attempts": dict(tried),
            "refusal_body": body_shape(blocked.text),
            "in_stream": in_stream,
        },
        ok_message=f"{refusal} after {len(statuses) - 1} requests (limit {rule.limit}/{rule.window_s} s{spent}); "
        f"none of the {len(tried)} client-address headers (X-Forwarded-For and its kin) escapes it",
    )


def _status(response: httpx.Response) -> int:
    """The answer's status, read as 429 when a 200 stream refuses with a ``rate_limited`` frame."""
    if 200 <= response.status_code < 300 and limited_in_stream(response.headers.get("content-type", ""), response.text):
        return 429
    return response.status_code


def _drive_to_limit(probe: Probe, rule: RateLimitRule, url: str, path: str):
    """Send the rule's body until a 429, or until limit + 1 requests surely fell inside one
    clock-aligned window without one (the limit is not enforced)."""
    statuses: list[int] = []
    fields = []
    leaks: dict[str, str] = {}  # what an error body gives away -> the first answer that did
    spans: list[tuple[float, float]] = []
    details = {"limit": rule.limit, "window_s": rule.window_s}
    while len(statuses) < 2 * (rule.limit + 1):
        inside = requests_in_current_window(spans, rule.window_s)
        if inside > rule.limit:
            raise _Stopped(
                judged(
                    "rate_limit",
                    rule.service,
                    category=Category.RATE_LIMIT,
                    url=url,
                    path=path,
                    details={**details, "statuses": statuses},
                    ok_message="",
                    problems=[
                        f"{inside} requests inside one {rule.window_s} s window and no 429: the limit of "
                        f"{rule.limit} is not enforced (statuses: {_runs(statuses)})"
                    ],
                )
            )
        exchange = probe.request(rule.method, url, json=rule.json_body)
        if exchange.response is None:
            raise _Stopped(unreachable("rate_limit", rule.service, probe, exchange, path=path))
        response = exchange.response
        sent = probe.sent[-1]
        spans.append((sent.started, sent.ended))
        statuses.append(_status(response))
        fields.append(parse_limit_fields(response.headers))
        if response.status_code >= 400:
            for leak in error_leaks(response.text, response.status_code):
                leaks.setdefault(leak, f"the {response.status_code} answer to request {len(statuses)}")
        if statuses[-1] == 429:
            return statuses, fields, response, [f"{where}: error body reveals {leak}" for leak, where in leaks.items()]
        which = "the first request" if len(statuses) == 1 else f"request {len(statuses)}"
        fix = gate(response.status_code, response.text, method=rule.method, signed_in=probe.signed_in)
        if fix:
            raise _Stopped(
                inconclusive(
                    "rate_limit",
                    rule.service,
                    url=url,
                    path=path,
                    details={"statuses": statuses},
                    why=f"{path} answered {response.status_code} {short(response.text)} to {which}: {fix}",
                )
            )
        if rule.body_is_invalid and 200 <= response.status_code < 300:
            raise _Stopped(
                inconclusive(
                    "rate_limit",
                    rule.service,
                    url=url,
                    path=path,
                    details={"statuses": statuses},
                    why=f"{path} accepted the rate-limit body {json.dumps(rule.json_body)} "
                    f"({response.status_code}) that "
                    f"the rule says it refuses, so each probe may do real work (a model call, a payment session): "
                    f"stopped after {which}. Give the rule a body this route refuses after counting it "
                    f"(e.g. an empty text)",
                )
            )
    raise _Stopped(
        inconclusive(
            "rate_limit",
            rule.service,
            url=url,
            path=path,
            details={"statuses": statuses},
            why=f"{len(statuses)} requests never put {rule.limit + 1} inside one {rule.window_s} s window (each window "
            f"edge splits the count): the limit could not be judged",
        )
    )


def _try_escapes(probe: Probe, rule: RateLimitRule, url: str, window: int) -> tuple[list[tuple[str, int | None]], bool]:
    """Each header alone, with its own fresh address, then one plain request. What got through
    proves an escape only if every attempt fell inside the window of the 429 and the plain
    request after them is still refused."""
    tried: list[tuple[str, int | None]] = []
    inside = True
    for header, address in zip(CLIENT_ADDRESS_HEADERS, fresh_addresses(len(CLIENT_ADDRESS_HEADERS), _rng), strict=True):
        exchange = probe.request(rule.method, url, json=rule.json_body, headers=spoofed(header, address))
        tried.append((header, _status(exchange.response) if exchange.response is not None else None))
        inside = inside and _within(probe, window, rule.window_s)
    control = probe.request(rule.method, url, json=rule.json_body)
    refused = control.response is not None and _status(control.response) == 429
    return tried, refused and inside and _within(probe, window, rule.window_s)


def _within(probe: Probe, window: int, window_s: int) -> bool:
    """The probe's last request surely fell inside this clock-aligned window."""
    last = probe.sent[-1]
    return int(last.started // window_s) == int(last.ended // window_s) == window


@dataclass(frozen=True)
class ValidationArgs:
    rule: ValidationRule
    url: str


@check("validation", ValidationArgs, nothing_to_probe="this profile has no [[validation]] rules")
def validation(probe: Probe, rule: ValidationRule, url: str) -> CheckResult:
    """Malformed JSON, wrong types, and the rule's *valid* body padded past the size limit (so only
    a size limit can refuse it, not a schema) must each get a 4xx JSON error that gives nothing away."""
    path = f"{rule.method} {rule.path}"
    json_header = {"Content-Type": "application/json"}
    valid = json.dumps(rule.valid_body)
    padded = {
        **rule.valid_body,
        rule.padded_field: rule.valid_body[rule.padded_field] + "x" * (rule.max_body_bytes + 1024),
    }
    probes = {
        "malformed JSON": valid[:-1] + ",",
        "wrong types": json.dumps(rule.wrong_types),
        f"the valid body padded past {rule.max_body_bytes} bytes": json.dumps(padded),
    }
    started = probe.clock()
    problems: list[str] = []
    seen: list[str] = []
    gated: list[tuple[str, str, str]] = []  # (probe, its answer, what to fix)
    for label, body in probes.items():
        exchange = probe.request(rule.method, url, content=body.encode(), headers=json_header)
        if exchange.response is None:
            return unreachable("validation", rule.service, probe, exchange, path=path)
        response = exchange.response
        seen.append(f"{label} -> {response.status_code}")
        answer = f"{response.status_code} {short(response.text)}"
        if response.status_code == 429:
            gated.append(
                (label, answer, _spent_by(probe, rule.method, url, started, response.headers.get("retry-after")))
            )
        elif fix := gate(response.status_code, response.text, method=rule.method, signed_in=probe.signed_in):
            gated.append((label, answer, fix))
        else:
            problems += judge_error_answer(
                label, response.status_code, response.headers.get("content-type", ""), response.text
            )
    if gated and not problems:
        if len(gated) == len(probes) and len({answer.split()[0] for _, answer, _ in gated}) == 1:
            why = f"{path} answered {gated[0][1]} to every probe: {gated[0][2]}"
        else:
            why = f"{path} never reached validation: " + "; ".join(
                f"{label} got {answer} ({fix})" for label, answer, fix in gated
            )
        return inconclusive("validation", rule.service, url=url, path=path, why=why, details={"seen": seen})
    return judged(
        "validation",
        rule.service,
        category=Category.VALIDATION,
        problems=problems,
        url=url,
        path=path,
        ok_message="; ".join(seen),
        details={"seen": seen},
    )


def _spent_by(probe: Probe, method: str, url: str, started: float, retry_after: str | None) -> str:
    """Who spent the limit that refused a validation probe: this run's own probes, or traffic before it."""
    refused = [s for s in probe.sent_to(method, url) if s.status == 429 and s.started < started]
    if refused:
        return (
            f"rate limited: this run's own requests had spent the route's limit (refused since "
            f"{_clock_time(refused[0].started)}); validation must run before the rate-limit probe of a shared "
            f"route: run the suite whole, and in parallel only with --dist loadgroup"
        )
    return (
        f"rate limited: the route's limit was spent before this check (another run, or other use of the same "
        f"account or address); try again after {retry_after or 'the window'} s"
    )
