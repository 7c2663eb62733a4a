"""The rate-limit and validation checks without a network: httpx's MockTransport plays a route
with its gates (sign-in, CSRF), a clock-aligned limiter and a validator, on a clock the test moves."""

import json

import httpx
import pytest

from monitor.checks import guards
from monitor.probe import NetworkSettings, Probe
from monitor.profile import RateLimitRule, ValidationRule
from monitor.results import Category, Verdict

URL = "https://fe.test/api/journal"
FIX = "this route needs a signed-in probe (set auth = true and [auth] in the profile)"


class Route:
    """A write route: ``gate`` answers every request first if set; else a limiter over
    clock-aligned windows keyed on the peer (or on ``trusts``, a header), then ``answer``."""

    def __init__(
        self,
        clock,
        *,
        limit=5,
        window_s=60,
        gate=None,
        trusts=None,
        answer=(400, {"error": "Invalid request"}),
        step=0.01,
        retry_after=True,
    ):
        self.clock, self.limit, self.window_s, self.gate = clock, limit, window_s, gate
        self.trusts, self.answer, self.step, self.retry_after = trusts, answer, step, retry_after
        self.counts: dict[tuple[str, int], int] = {}
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        self.clock.now += self.step
        if self.gate:
            return httpx.Response(self.gate[0], json=self.gate[1])
        key = request.headers.get(self.trusts, "peer") if self.trusts else "peer"
        window = int(self.clock.now // self.window_s)
        self.counts[(key, window)] = self.counts.get((key, window), 0) + 1
        if self.counts[(key, window)] > self.limit:
            reset = (window + 1) * self.window_s - self.clock.now
            headers = {"Retry-After": str(max(1, int(reset + 0.999)))} if self.retry_after else {}
            return httpx.Response(429, json={"error": "too many requests"}, headers=headers)
        return httpx.Response(self.answer[0], json=self.answer[1])


class Clock:
    def __init__(self, now: float):
        self.now = now

    def __call__(self) -> float:
        return self.now


def probe_for(route: Route, signed_in: bool = False) -> Probe:
    session = (lambda: {"Authorization": "Bearer t0ken-for-tests"}) if signed_in else None
    return Probe(
        NetworkSettings(target="t", retries=0), transport=httpx.MockTransport(route), session=session, clock=route.clock
    )


RULE = RateLimitRule(service="frontend", path="/api/journal", limit=5, window_s=60, json_body={})
VALIDATION = ValidationRule(
    service="frontend",
    path="/api/journal",
    valid_body={"title": "t", "content": "c"},
    pad_field="content",
    wrong_types={"content": 1},
)


def test_a_healthy_limiter_passes_and_no_header_escapes_it():
    route = Route(Clock(1000.0))
    result = guards.rate_limit(probe_for(route), RULE, URL)
    assert result.verdict is Verdict.PASS, result.message
    assert result.details["statuses"] == [400] * 5 + [429]
    escapes = [r for r in route.requests[6:-1]]
    assert len(escapes) == 8 and all(
        len({*r.headers} & {"x-forwarded-for", "forwarded", "x-real-ip"}) <= 1 for r in escapes
    )


@pytest.mark.parametrize("header", ["X-Real-IP", "Fastly-Client-IP", "Forwarded"])
def test_the_header_that_escapes_is_named(header):
    route = Route(Clock(1000.0), trusts=header)
    result = guards.rate_limit(probe_for(route), RULE, URL)
    assert result.verdict is Verdict.FAIL and result.category is Category.RATE_LIMIT
    assert f"escaped by setting {header} (400)" in result.message
    assert result.details["escape_attempts"][header] == 400


def test_each_header_is_tried_alone_with_its_own_fresh_address():
    route = Route(Clock(1000.0))
    guards.rate_limit(probe_for(route), RULE, URL)
    spoofed = [{k: v for k, v in r.headers.items() if "ip" in k or "forwarded" in k} for r in route.requests[6:-1]]
    assert all(len(headers) == 1 for headers in spoofed)
    addresses = [next(iter(h.values())).removeprefix("for=") for h in spoofed]
    assert len(set(addresses)) == 8


def test_no_429_within_one_window_fails_with_what_came():
    route = Route(Clock(1000.0), limit=1000)
    result = guards.rate_limit(probe_for(route), RULE, URL)
    assert result.verdict is Verdict.FAIL
    assert (
        "6 requests inside one 60 s window and no 429: the limit of 5 is not enforced (statuses: 400×6)"
        in result.message
    )


def test_a_window_edge_inside_the_probe_is_not_a_missing_limit():
    # Three requests before the minute ends, then a new window: its count starts again.
    route = Route(Clock(60 * 1000 - 0.025))
    result = guards.rate_limit(probe_for(route), RULE, URL)
    assert result.verdict is Verdict.PASS, result.message
    assert len(result.details["statuses"]) > 6


def test_a_window_that_ends_while_headers_are_tried_is_run_again():
    # The 429 comes just before the minute ends; the escape attempts land in the next window
    # and some get through, which proves nothing: the probe runs again in the new window.
    route = Route(Clock(60 * 1000 - 0.065))
    result = guards.rate_limit(probe_for(route), RULE, URL)
    assert result.verdict is Verdict.PASS, result.message
    assert len(route.requests) > 6 + 8 + 1 and "escapes it" in result.message


def test_an_anonymous_probe_of_a_sign_in_first_route_is_inconclusive_after_one_request():
    route = Route(Clock(1000.0), gate=(401, {"error": "Unauthorized"}))
    result = guards.rate_limit(probe_for(route), RULE, URL)
    assert result.verdict is Verdict.ERROR and result.category is Category.MONITOR
    assert len(route.requests) == 1
    assert 'POST /api/journal answered 401 {"error":"Unauthorized"} to the first request: ' + FIX in result.message


def test_a_signed_in_probe_that_is_refused_says_so():
    route = Route(Clock(1000.0), gate=(401, {"error": "Unauthorized"}))
    result = guards.rate_limit(probe_for(route, signed_in=True), RULE, URL)
    assert result.verdict is Verdict.ERROR and "refused the monitor's session" in result.message


@pytest.mark.parametrize(
    "gate,words",
    [
        ((403, {"error": "csrf"}), "CSRF check refused the probe"),
        ((404, {"error": "not found"}), "check the rule's path"),
        ((405, {"detail": "Method Not Allowed"}), "does not take POST"),
    ],
)
def test_other_gates_are_inconclusive_with_the_fix(gate, words):
    result = guards.rate_limit(probe_for(Route(Clock(1000.0), gate=gate)), RULE, URL)
    assert result.verdict is Verdict.ERROR and words in result.message


def test_a_cheap_body_the_route_accepts_stops_the_probe_at_once():
    route = Route(Clock(1000.0), answer=(200, {"reply": "real work"}))
    result = guards.rate_limit(probe_for(route), RULE, URL)
    assert result.verdict is Verdict.ERROR and len(route.requests) == 1
    assert "accepted the rate-limit body {} (200) that the rule says it refuses" in result.message
    assert "stopped after the first request" in result.message


def test_requests_this_run_sent_earlier_in_the_window_are_accounted():
    route = Route(Clock(1000.0))
    probe = probe_for(route)
    guards.validation(probe, VALIDATION, URL)  # three requests on the same route, same caller
    result = guards.rate_limit(probe, RULE, URL)
    assert result.verdict is Verdict.PASS, result.message
    assert result.details["sent_earlier_in_window"] == 3 and result.details["statuses"] == [400, 400, 429]
    assert "this run sent 3 more in this window before" in result.message


def test_validation_after_the_runs_own_limit_probe_is_inconclusive_not_failed():
    route = Route(Clock(1000.0))
    probe = probe_for(route)
    guards.rate_limit(probe, RULE, URL)
    result = guards.validation(probe, VALIDATION, URL)
    assert result.verdict is Verdict.ERROR and result.category is Category.MONITOR
    assert "answered 429" in result.message and "this run's own requests had spent the route's limit" in result.message


def test_validation_on_a_sign_in_first_route_without_a_session_is_inconclusive():
    route = Route(Clock(1000.0), gate=(401, {"error": "Unauthorized"}))
    result = guards.validation(probe_for(route), VALIDATION, URL)
    assert result.verdict is Verdict.ERROR and result.category is Category.MONITOR
    assert result.message.endswith('POST /api/journal answered 401 {"error":"Unauthorized"} to every probe: ' + FIX)


def test_the_oversized_probe_is_the_valid_body_padded_in_one_field():
    route = Route(Clock(1000.0), limit=100)
    guards.validation(probe_for(route), VALIDATION, URL)
    malformed, wrong, oversized = (r.content for r in route.requests)
    with pytest.raises(ValueError):
        json.loads(malformed)
    body = json.loads(oversized)
    assert body["title"] == "t" and body["content"].startswith("c") and len(oversized) > VALIDATION.max_body_bytes
    assert json.loads(wrong) == {"content": 1}


def test_a_target_failure_beats_a_gate_on_another_probe():
    def answer(request: httpx.Request) -> httpx.Response:
        if request.content.endswith(b","):
            return httpx.Response(500, text='Traceback (most recent call last):\n  File "/app/x.py", line 1')
        return httpx.Response(401, json={"error": "Unauthorized"})

    probe = Probe(NetworkSettings(target="t", retries=0), transport=httpx.MockTransport(answer))
    result = guards.validation(probe, VALIDATION, URL)
    assert result.verdict is Verdict.FAIL and result.category is Category.VALIDATION


class Refusing(Route):
    """The same limiter, refusing in its own way: ``refusal(retry_after)`` is the over-limit answer."""

    def __init__(self, clock, refusal, **kwargs):
        super().__init__(clock, **kwargs)
        self.refusal = refusal

    def __call__(self, request: httpx.Request) -> httpx.Response:
        answer = super().__call__(request)
        return self.refusal(answer.headers.get("retry-after")) if answer.status_code == 429 else answer


@pytest.mark.parametrize(
    "body,shape",
    [
        (b"", "empty"),
        (b'{"message": "slow down", "retry_in": 12}', "JSON {message, retry_in}"),
        (b'{"error": "too many requests"}', "JSON {error}"),
    ],
)
def test_a_429_with_any_json_or_empty_body_and_a_sane_retry_after_passes_and_its_shape_is_reported(body, shape):
    route = Refusing(Clock(1000.0), lambda after: httpx.Response(429, content=body, headers={"Retry-After": after}))
    result = guards.rate_limit(probe_for(route), RULE, URL)
    assert result.verdict is Verdict.PASS, result.message
    assert f"429 (body {shape}, Retry-After " in result.message and result.details["refusal_body"] == shape


def test_a_field_the_rule_asks_for_is_judged_and_a_text_body_fails():
    without = Refusing(
        Clock(1000.0), lambda after: httpx.Response(429, json={"message": "x"}, headers={"Retry-After": after})
    )
    result = guards.rate_limit(probe_for(without), RULE.model_copy(update={"error_field": "error"}), URL)
    assert result.verdict is Verdict.FAIL and "429 body has no 'error' field, which the rule asks for" in result.message
    html = Refusing(
        Clock(1000.0), lambda after: httpx.Response(429, text="<h1>Too Many</h1>", headers={"Retry-After": after})
    )
    result = guards.rate_limit(probe_for(html), RULE, URL)
    assert result.verdict is Verdict.FAIL and "429 body is neither JSON nor empty" in result.message


def test_a_rate_limited_frame_in_a_200_stream_counts_as_the_limit_enforced():
    frame = b'{"type":"error","reason":"rate_limited"}\n'
    route = Refusing(
        Clock(1000.0),
        lambda after: httpx.Response(200, content=frame, headers={"Content-Type": "application/x-ndjson"}),
    )
    result = guards.rate_limit(probe_for(route), RULE, URL)
    assert result.verdict is Verdict.PASS, result.message
    assert "a rate_limited frame in a 200 stream after 5 requests" in result.message
    assert result.details["statuses"][-1] == 429 and result.details["in_stream"]


def test_a_stream_frame_escaped_by_a_header_is_still_an_escape():
    frame = b'{"type":"error","reason":"rate_limited"}\n'
    route = Refusing(
        Clock(1000.0),
        lambda after: httpx.Response(200, content=frame, headers={"Content-Type": "application/x-ndjson"}),
        trusts="X-Real-IP",
    )
    result = guards.rate_limit(probe_for(route), RULE, URL)
    assert result.verdict is Verdict.FAIL and "escaped by setting X-Real-IP (400)" in result.message
