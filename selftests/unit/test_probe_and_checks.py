"""The request path without a network: httpx's MockTransport plays the target."""

import ssl
import time
from collections.abc import Callable
from dataclasses import replace

import httpx
import pytest

from monitor.checks import security, smoke
from monitor.checks.catalogue import catalogue
from monitor.checks.registry import as_kwargs
from monitor.probe import NetworkSettings, Probe
from monitor.probe.errors import BODY, DeadlineExceeded
from monitor.profile import load_profile
from monitor.results import Category, Verdict


@pytest.fixture
def sandbox_profile():
    return load_profile(
        "sandbox",
        url_overrides={"backend": "https://backend.test", "frontend": "https://fe.test", "mcp": "https://mcp.test"},
    )


def scripted(*steps):
    """A transport answering with each step in turn: an exception is raised, a Response returned."""
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        step = steps[min(len(calls), len(steps)) - 1]
        if isinstance(step, BaseException):
            raise step
        return step

    return httpx.MockTransport(handler), calls


def recording(handler: Callable[[httpx.Request], httpx.Response]) -> tuple[httpx.MockTransport, list[httpx.Request]]:
    """A transport answering with ``handler``, and the requests it was sent."""
    calls: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return handler(request)

    return httpx.MockTransport(handle), calls


HEALTHY = httpx.Response(200, json={"ok": True, "supabase": True, "qdrant": True})


def probe_with(profile, transport, sleeps):
    return Probe(NetworkSettings.from_profile(profile), transport=transport, sleep=sleeps.append)


def cold(profile, check_id):
    """A check's arguments with the warm-up off: the scripted steps are then the judged requests."""
    return as_kwargs(replace(catalogue(profile).find(check_id).args, warm_up=False))


def test_pass_after_a_retry_is_flaky_not_clean(sandbox_profile):
    transport, calls = scripted(httpx.ConnectError("Connection refused"), HEALTHY)
    sleeps: list[float] = []
    result = smoke.health(
        probe_with(sandbox_profile, transport, sleeps), **cold(sandbox_profile, "health:backend:/health/healthz")
    )
    assert result.verdict is Verdict.FLAKY and result.attempts == 2
    assert sleeps == [sandbox_profile.retry_delay_s]
    assert len(calls) == 2


def test_gives_up_after_the_profile_retries_with_connect_category(sandbox_profile):
    transport, calls = scripted(httpx.ConnectError("Connection refused"))
    result = smoke.health(
        probe_with(sandbox_profile, transport, []), **cold(sandbox_profile, "health:backend:/health/healthz")
    )
    assert result.verdict is Verdict.FAIL and result.category is Category.CONNECT
    assert len(calls) == 1 + sandbox_profile.retries
    assert "could not connect: Connection refused (after 3 attempt(s))" in result.message


@pytest.mark.parametrize(
    "error",
    [httpx.ReadTimeout("timed out"), httpx.ConnectError("[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed")],
)
def test_timeouts_and_tls_failures_are_not_retried(sandbox_profile, error):
    transport, calls = scripted(error)
    result = smoke.health(
        probe_with(sandbox_profile, transport, []), **cold(sandbox_profile, "health:backend:/health/healthz")
    )
    assert result.verdict is Verdict.FAIL and len(calls) == 1


def test_every_request_identifies_the_monitor(sandbox_profile):
    transport, calls = scripted(HEALTHY)
    smoke.health(probe_with(sandbox_profile, transport, []), **cold(sandbox_profile, "health:backend:/health/healthz"))
    assert calls[0].headers["User-Agent"] == "slurpy-monitor/0.1 (+synthetic) target=sandbox"


def test_latency_samples_are_all_recorded(sandbox_profile):
    transport, calls = scripted(HEALTHY)
    result = smoke.latency(probe_with(sandbox_profile, transport, []), **cold(sandbox_profile, "latency:backend"))
    assert len(result.details["samples_ms"]) == sandbox_profile.latency_samples == len(calls)
    assert result.verdict is Verdict.PASS


def test_latency_stops_sampling_at_the_first_failure(sandbox_profile):
    transport, calls = scripted(HEALTHY, httpx.ReadTimeout("timed out"))
    result = smoke.latency(probe_with(sandbox_profile, transport, []), **cold(sandbox_profile, "latency:backend"))
    assert result.verdict is Verdict.FAIL and result.category is Category.TIMEOUT
    assert len(calls) == 2 and len(result.details["samples_ms"]) == 1


def test_warm_up_is_kept_in_details_and_not_counted_in_samples(sandbox_profile):
    transport, calls = scripted(httpx.Response(200, json={"ok": True, "supabase": True, "qdrant": True}))
    case = catalogue(sandbox_profile).find("latency:backend")
    assert case.args.warm_up is True  # on by default
    result = case.run(probe_with(sandbox_profile, transport, []))
    assert len(calls) == 1 + sandbox_profile.latency_samples
    assert len(result.details["samples_ms"]) == sandbox_profile.latency_samples
    assert result.details["warm_up"]["status"] == 200 and result.verdict is Verdict.PASS


def test_a_cold_start_past_the_timeout_does_not_fail_the_health_check(sandbox_profile):
    transport, calls = scripted(httpx.ReadTimeout("timed out"), HEALTHY)
    result = (
        catalogue(sandbox_profile)
        .find("health:backend:/health/healthz")
        .run(probe_with(sandbox_profile, transport, []))
    )
    assert result.verdict is Verdict.PASS and len(calls) == 2
    assert result.details["warm_up"]["error"].startswith("timeout: ")


def test_a_warm_up_that_needed_a_retry_does_not_make_the_check_flaky(sandbox_profile):
    transport, _ = scripted(httpx.ConnectError("Connection refused"), HEALTHY)
    result = (
        catalogue(sandbox_profile)
        .find("health:backend:/health/healthz")
        .run(probe_with(sandbox_profile, transport, []))
    )
    assert result.verdict is Verdict.PASS and result.attempts == 1
    assert result.details["warm_up"]["attempts"] == 2


def test_latency_of_error_answers_fails_on_status_with_the_samples_in_details(sandbox_profile):
    transport, _ = scripted(httpx.Response(503, json={"ok": False}))
    result = smoke.latency(probe_with(sandbox_profile, transport, []), **cold(sandbox_profile, "latency:frontend"))
    assert result.verdict is Verdict.FAIL and result.category is Category.HTTP_STATUS
    assert (
        "latency FAILED [http status]" in result.message
        and "3 of 3 answered an error (503, 503, 503)" in result.message
    )
    assert result.details["statuses"] == [503, 503, 503]


def test_ssl_module_errors_classify_as_tls(sandbox_profile):
    transport, _ = scripted(httpx.ConnectError("handshake"))
    exchange = probe_with(sandbox_profile, transport, []).get("https://backend.test/x")
    exchange.error.__cause__ = ssl.SSLError(1, "bad record mac")
    assert exchange.category is Category.TLS


def real_frontend(request: httpx.Request) -> httpx.Response:
    """The contract's frontend on a CORS-wrapped, sign-in-first POST route."""
    origin = request.headers.get("origin")
    allowed = origin in ("https://your-domain.com", "https://www.your-domain.com", "http://localhost:3000")
    grant = {"Access-Control-Allow-Origin": origin or "", "Access-Control-Allow-Credentials": "true", "Vary": "Origin"}
    if request.method == "OPTIONS":
        if not allowed:
            return httpx.Response(403, json={"error": "forbidden"})
        return httpx.Response(
            204,
            headers={
                **grant,
                "Access-Control-Allow-Methods": "GET,POST,PUT,DELETE,OPTIONS",
                "Access-Control-Allow-Headers": "content-type,authorization,x-csrf",
            },
        )
    if request.method != "POST":
        return httpx.Response(405)
    if not allowed:
        return httpx.Response(403, json={"error": "forbidden"})
    return httpx.Response(401, json={"error": "Unauthorized"}, headers=grant)


def test_cors_probes_with_the_routes_method_and_a_small_body(sandbox_profile):
    transport, calls = recording(real_frontend)
    result = catalogue(sandbox_profile).find("cors:frontend").run(probe_with(sandbox_profile, transport, []))
    assert result.verdict is Verdict.PASS, result.message
    preflight, actual = calls[0], calls[1]
    assert preflight.method == "OPTIONS" and preflight.headers["access-control-request-method"] == "POST"
    assert preflight.headers["access-control-request-headers"] == "content-type"
    assert actual.method == "POST" and actual.content == b"{}" and actual.headers["content-type"] == "application/json"
    assert {c.method for c in calls} == {"OPTIONS", "POST"}


def test_cors_on_a_route_that_does_not_take_the_method_is_inconclusive(sandbox_profile):
    args = catalogue(sandbox_profile).find("cors:frontend").args
    transport, calls = recording(real_frontend)
    result = security.cors(probe_with(sandbox_profile, transport, []), **as_kwargs(replace(args, method="GET")))
    assert result.verdict is Verdict.ERROR and result.category is Category.MONITOR
    assert "GET /api/proxy-chat answered 405 to a request from https://your-domain.com" in result.message
    assert "set cors_path and cors_method under [services.frontend.security]" in result.message
    assert len(calls) == 2  # stops at the first answer that shows the route was never reached


def health_args(profile):
    """The backend health check's arguments, without the warm-up (these tests script every answer)."""
    return as_kwargs(replace(catalogue(profile).find("health:backend:/health/healthz").args, warm_up=False))


def test_an_answer_over_the_cap_fails_as_body_after_reading_about_the_cap(sandbox_profile):
    profile = sandbox_profile.model_copy(update={"max_answer_bytes": 1024})
    transport, calls = scripted(httpx.Response(200, json={"ok": True, "pad": "x" * 5000}))
    probe = probe_with(profile, transport, [])
    exchange = probe.get("https://backend.test/health/healthz")
    assert exchange.response is None and exchange.category is Category.BODY and len(calls) == 1
    assert exchange.error_text.startswith("answer larger than 1024 bytes")
    result = smoke.health(probe, **health_args(profile))
    assert result.category is Category.BODY
    assert "the answer was over the size cap: answer larger than 1024 bytes" in result.message


def test_a_caller_that_can_judge_part_of_an_answer_asks_for_it_and_learns_it_was_cut(sandbox_profile):
    transport, _ = scripted(*(httpx.Response(200, text="0123456789" * 100) for _ in range(2)))
    probe = probe_with(sandbox_profile, transport, [])
    exchange = probe.get("https://fe.test/app.js", max_bytes=256, allow_truncated=True)
    assert exchange.truncated and exchange.error is None
    assert exchange.response.content == (b"0123456789" * 100)[:256] and len(exchange.response.text) == 256
    whole = probe.get("https://fe.test/app.js", max_bytes=1000, allow_truncated=True)
    assert not whole.truncated and len(whole.response.content) == 1000


def test_a_protocol_error_is_retried_and_a_pass_after_it_is_flaky(sandbox_profile):
    transport, calls = scripted(httpx.RemoteProtocolError("Server disconnected without sending a response."), HEALTHY)
    result = smoke.health(probe_with(sandbox_profile, transport, []), **health_args(sandbox_profile))
    assert result.verdict is Verdict.FLAKY and result.attempts == 2 and len(calls) == 2


def test_a_protocol_error_that_persists_fails_as_protocol(sandbox_profile):
    transport, calls = scripted(httpx.RemoteProtocolError("Server disconnected without sending a response."))
    result = smoke.health(probe_with(sandbox_profile, transport, []), **health_args(sandbox_profile))
    assert result.verdict is Verdict.FAIL and result.category is Category.PROTOCOL
    assert len(calls) == 1 + sandbox_profile.retries
    assert "the answer was not well-formed HTTP: the server closed the connection without answering" in result.message


class Drip(httpx.SyncByteStream):
    """A body that never ends, a byte at a time: only a deadline over the whole answer ends it."""

    def __iter__(self):
        while True:
            time.sleep(0.02)
            yield b" "


def test_the_deadline_covers_the_whole_answer_not_each_read(sandbox_profile):
    profile = sandbox_profile.model_copy(update={"timeout_s": 0.3})
    transport, _ = scripted(
        *(httpx.Response(200, headers={"content-type": "application/json"}, stream=Drip()) for _ in range(2))
    )
    probe = probe_with(profile, transport, [])
    exchange = probe.get("https://backend.test/health/healthz")
    assert isinstance(exchange.error, DeadlineExceeded) and exchange.error.phase == BODY
    assert exchange.category is Category.TIMEOUT and exchange.attempts == 1 and exchange.bytes_seen > 0
    result = smoke.health(probe, **health_args(profile))
    assert "no complete answer within the 0.3 s deadline: still reading the body" in result.message


def test_a_service_may_have_its_own_deadline(sandbox_profile):
    services = dict(sandbox_profile.services)
    services["backend"] = services["backend"].model_copy(update={"timeout_s": 7.5})
    profile = sandbox_profile.model_copy(update={"services": services})
    transport, _ = scripted(HEALTHY)
    probe = probe_with(profile, transport, [])
    assert probe.get("https://backend.test/health/healthz").deadline_s == 7.5
    assert probe.get("https://fe.test/api/health").deadline_s == profile.timeout_s
    assert probe.settings.deadline_for(("backend.test", 443)) == 7.5  # the TLS handshake's too


def test_an_unhealthy_answer_whose_body_names_its_upstream_says_so_too(sandbox_profile):
    leak = httpx.Response(502, json={"detail": "upstream http://10.0.3.7:8000/health failed: ConnectError: refused"})
    transport, _ = scripted(leak)
    result = smoke.health(probe_with(sandbox_profile, transport, []), **health_args(sandbox_profile))
    assert result.verdict is Verdict.FAIL and result.category is Category.HTTP_STATUS
    assert (
        "the 502 body reveals exception text ('ConnectError:'), an upstream URL ('http://10.0.3.7:8000/health')"
        in result.message
    )
