"""Pure judges behind the rate-limit check: windows, escapes, and gates a probe never got past."""

import random

import pytest

from monitor.analysers.ratelimit import (
    CLIENT_ADDRESS_HEADERS,
    fresh_addresses,
    judge_escapes,
    requests_in_current_window,
    spoofed,
)
from monitor.analysers.reach import gate


def test_only_spans_surely_inside_the_last_window_count():
    spans = [(50.0, 51.0), (59.5, 60.2), (60.3, 60.4), (61.0, 61.5)]
    assert requests_in_current_window(spans, 60) == 2  # the one across the edge counts in neither window
    assert requests_in_current_window([(10.0, 10.1)] * 3, 60) == 3
    assert requests_in_current_window([], 60) == 0


def test_every_header_family_proxies_and_cdns_set_is_tried():
    assert set(CLIENT_ADDRESS_HEADERS) == {
        "X-Forwarded-For",
        "X-Real-IP",
        "CF-Connecting-IP",
        "True-Client-IP",
        "Fastly-Client-IP",
        "X-Client-IP",
        "X-Cluster-Client-IP",
        "Forwarded",
    }
    assert spoofed("Forwarded", "203.0.113.9") == {"Forwarded": "for=203.0.113.9"}
    assert spoofed("X-Real-IP", "203.0.113.9") == {"X-Real-IP": "203.0.113.9"}
    addresses = fresh_addresses(8, random.Random(7))
    assert len(set(addresses)) == 8 and all(a.startswith("203.0.113.") for a in addresses)


def test_an_escape_answers_like_the_route_before_its_limit():
    tried = [("X-Forwarded-For", 429), ("X-Real-IP", 400), ("True-Client-IP", 403), ("Forwarded", None)]
    assert judge_escapes(tried, passed={400}) == [
        "the limit is escaped by setting X-Real-IP (400) to a fresh address instead of 429: the limiter keys on a "
        "client address header any client can set"
    ]
    assert judge_escapes([("X-Client-IP", 201)], passed=set())[0].startswith(
        "the limit is escaped by setting X-Client-IP (201)"
    )
    assert judge_escapes([("X-Real-IP", 403)], passed={400}) == []  # a WAF's refusal is no escape


@pytest.mark.parametrize(
    "status,body,signed_in,words",
    [
        (401, '{"error":"Unauthorized"}', False, "needs a signed-in probe (set auth = true and [auth] in the profile)"),
        (401, '{"error":"Unauthorized"}', True, "refused the monitor's session"),
        (403, '{"error":"csrf"}', True, "CSRF check refused the probe"),
        (403, '{"error":"forbidden"}', True, "refused in front of the route's own checks"),
        (404, "Not Found", False, "check the rule's path"),
        (405, '{"detail":"Method Not Allowed"}', False, "does not take POST"),
    ],
)
def test_gates_say_what_to_fix(status, body, signed_in, words):
    assert words in (gate(status, body, method="POST", signed_in=signed_in) or "")


@pytest.mark.parametrize("status", [200, 400, 413, 422, 429, 500])
def test_answers_from_past_the_gates_are_not_gates(status):
    assert gate(status, "{}", method="POST", signed_in=False) is None
