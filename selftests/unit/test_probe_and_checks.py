"""The request path without a network: httpx's MockTransport plays the target."""
import ssl
import time

import httpx
import pytest

from monitor.analysers.network import BODY, DeadlineExceeded
from monitor.checks import smoke
from monitor.catalogue import find
from monitor.probe import NetworkSettings, Probe
from monitor.profile import load_profile
from monitor.results import Category, Verdict


@pytest.fixture
def sandbox_profile():
    return load_profile("sandbox", url_overrides={"backend": "https://backend.test", "frontend": "https://fe.test",
                                                  "mcp": "https://mcp.test"})


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


HEALTHY = httpx.Response(200, json={"ok": True, "supabase": True, "qdrant": True})


def probe_with(profile, transport, sleeps):
    return Probe(NetworkSettings.from_profile(profile), transport=transport, sleep=sleeps.append)


def test_pass_after_a_retry_is_flaky_not_clean(sandbox_profile):
    transport, calls = scripted(httpx.ConnectError("Connection refused"), HEALTHY)
    sleeps = []
    result = smoke.health(probe_with(sandbox_profile, transport, sleeps), **find(sandbox_profile, "health:backend:/health/healthz").args)
    assert result.verdict is Verdict.FLAKY and result.attempts == 2
    assert sleeps == [sandbox_profile.retry_delay_s]
    assert len(calls) == 2


def test_gives_up_after_the_profile_retries_with_connect_category(sandbox_profile):
    transport, calls = scripted(httpx.ConnectError("Connection refused"))
    result = smoke.health(probe_with(sandbox_profile, transport, []), **find(sandbox_profile, "health:backend:/health/healthz").args)
    assert result.verdict is Verdict.FAIL and result.category is Category.CONNECT
    assert len(calls) == 1 + sandbox_profile.retries
    assert "could not connect: Connection refused (after 3 attempt(s))" in result.message


@pytest.mark.parametrize("error", [httpx.ReadTimeout("timed out"),
                                   httpx.ConnectError("[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed")])
def test_timeouts_and_tls_failures_are_not_retried(sandbox_profile, error):
    transport, calls = scripted(error)
    result = smoke.health(probe_with(sandbox_profile, transport, []), **find(sandbox_profile, "health:backend:/health/healthz").args)
    assert result.verdict is Verdict.FAIL and len(calls) == 1


def test_every_request_identifies_the_monitor(sandbox_profile):
    transport, calls = scripted(HEALTHY)
    smoke.health(probe_with(sandbox_profile, transport, []), **find(sandbox_profile, "health:backend:/health/healthz").args)
    assert calls[0].headers["User-Agent"] == "slurpy-monitor/0.1 (+synthetic) target=sandbox"


def test_latency_samples_are_all_recorded(sandbox_profile):
    transport, calls = scripted(HEALTHY)
    result = smoke.latency(probe_with(sandbox_profile, transport, []), **find(sandbox_profile, "latency:backend").args)
    assert len(result.details["samples_ms"]) == sandbox_profile.latency_samples == len(calls)
    assert result.verdict is Verdict.PASS


def test_latency_stops_sampling_at_the_first_failure(sandbox_profile):
    transport, calls = scripted(HEALTHY, httpx.ReadTimeout("timed out"))
    result = smoke.latency(probe_with(sandbox_profile, transport, []), **find(sandbox_profile, "latency:backend").args)
    assert result.verdict is Verdict.FAIL and result.category is Category.TIMEOUT
    assert len(calls) == 2 and len(result.details["samples_ms"]) == 1


def test_ssl_module_errors_classify_as_tls(sandbox_profile):
    transport, _ = scripted(httpx.ConnectError("handshake"))
    exchange = probe_with(sandbox_profile, transport, []).get("https://backend.test/x")
    exchange.error.__cause__ = ssl.SSLError(1, "bad record mac")
    assert exchange.category is Category.TLS


def health_args(profile):
    return find(profile, "health:backend:/health/healthz").args


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
    transport, _ = scripted(*(httpx.Response(200, headers={"content-type": "application/json"}, stream=Drip())
                              for _ in range(2)))
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
