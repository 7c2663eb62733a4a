"""Targets that misbehave below HTTP: the run stays short, small and truthful whatever comes back.

Every hostile server (sandbox/slurpy_sandbox/hostile.py) gets the category a person would name: a
deadline over the whole answer (not each read) for those that hang or drip, the size cap for the
one that never ends, protocol for what is not HTTP or is cut off. No clock is asserted: what ends
each exchange is asserted instead (the deadline and the phase it caught, the cap, the attempts).
"""

import pytest
from suite_runner import run_suite

from monitor.probe import NetworkSettings, Probe
from monitor.probe.errors import BODY, HEADERS, TLS_HANDSHAKE, AnswerTooLarge, DeadlineExceeded
from monitor.results import Category
from slurpy_sandbox.hostile import HostileServers

DEADLINE_S = 1.0
DRIP_INTERVAL_S = 0.2  # far under the deadline: a per-read timeout would never fire
CAP = 65536
PEAK_RSS_BOUND_MB = 300


@pytest.fixture(scope="module")
def hostile():
    with HostileServers(drip_interval_s=DRIP_INTERVAL_S) as servers:
        yield servers


@pytest.fixture
def probe():
    probe = Probe(
        NetworkSettings(target="hostile", timeout_s=DEADLINE_S, retries=2, retry_delay_s=0.05, max_answer_bytes=CAP)
    )
    yield probe
    probe.close()


@pytest.mark.parametrize(
    "server,category,says,attempts",
    [
        ("connect-stall", Category.TIMEOUT, "still connecting", 1),
        ("hang", Category.TIMEOUT, "still waiting for the response headers", 1),
        ("header-drip", Category.TIMEOUT, "still waiting for the response headers", 1),
        ("drip", Category.TIMEOUT, "still reading the body", 1),
        ("endless", Category.BODY, f"answer larger than {CAP} bytes", 1),
        ("not-http", Category.PROTOCOL, "not HTTP at all: it answered b'SSH-2.0-OpenSSH", 3),
        ("reset-mid-body", Category.PROTOCOL, "cut off after 1025 body bytes: [Errno 104] Connection reset by peer", 3),
        (
            "short-body",
            Category.PROTOCOL,
            "cut off after 38 body bytes: peer closed connection without sending complete",
            3,
        ),
        ("silent-close", Category.PROTOCOL, "the server closed the connection without answering", 3),
    ],
)
def test_each_hostile_answer_gets_its_category(hostile, probe, server, category, says, attempts):
    connections = hostile[server].connections
    exchange = probe.get(hostile[server].url + "/health")
    assert exchange.response is None and exchange.category is category
    assert exchange.error_text.startswith(says), exchange.error_text
    # Timeouts and over-cap answers are not retried (the budget is spent; the answer would be the
    # same); a broken exchange is, and the server saw exactly the attempts the record says.
    assert exchange.attempts == attempts
    assert hostile[server].connections - connections == (0 if server == "connect-stall" else attempts)


def test_a_dripping_body_is_ended_by_the_deadline_not_a_read_timeout(hostile, probe):
    exchange = probe.get(hostile["drip"].url + "/health")
    assert isinstance(exchange.error, DeadlineExceeded)
    assert (exchange.error.seconds, exchange.error.phase) == (DEADLINE_S, BODY)
    # Several bytes arrived, each well inside a read timeout: only the whole-answer deadline ends this.
    assert exchange.bytes_seen >= 2


def test_dripping_headers_are_ended_by_the_deadline(hostile, probe):
    exchange = probe.get(hostile["header-drip"].url + "/health")
    assert isinstance(exchange.error, DeadlineExceeded) and exchange.error.phase == HEADERS


def test_an_endless_body_is_read_only_up_to_the_cap(hostile, probe):
    failed = probe.get(hostile["endless"].url + "/health")
    assert isinstance(failed.error, AnswerTooLarge) and failed.error.seen < 2 * CAP
    part = probe.get(hostile["endless"].url + "/app.js", max_bytes=1000, allow_truncated=True)
    assert part.truncated and len(part.response.content) == 1000
    assert part.response.text.startswith('{"status": "ok", "padding": "xxx')


def test_a_stalled_tls_handshake_meets_the_deadline(hostile, probe):
    fetched = probe.peer_certificate("127.0.0.1", hostile["hang"].port)
    assert fetched.der is None and fetched.category is Category.TIMEOUT and fetched.attempts == 1
    assert isinstance(fetched.error, DeadlineExceeded) and fetched.error.phase == TLS_HANDSHAKE
    exchange = probe.get(f"https://127.0.0.1:{hostile['hang'].port}/health")
    assert isinstance(exchange.error, DeadlineExceeded) and exchange.error.phase == TLS_HANDSHAKE


def test_a_smoke_run_against_hostile_services_is_truthful_and_small(sandbox, hostile, tmp_path):
    sandbox.clear()
    urls = {"frontend": hostile["drip"].url, "backend": hostile["endless"].url, "mcp": hostile["not-http"].url}
    run = run_suite(
        "tests/smoke",
        tmp_path / "r.jsonl",
        *(f"--url={s}={u}" for s, u in urls.items()),
        env={"SLURPY_SANDBOX_STATE": str(sandbox.state_file), "SLURPY_TARGET": "sandbox"},
    )
    assert run.not_passing() == {
        "health:frontend:/api/health": ("fail", "timeout"),
        "health:frontend:/health": ("fail", "timeout"),
        "latency:frontend": ("fail", "timeout"),
        "health:backend:/health/healthz": ("fail", "body"),
        "latency:backend": ("fail", "body"),
        "health:mcp:/healthz": ("fail", "protocol"),
        "health:mcp:/stats": ("fail", "protocol"),
        "latency:mcp": ("fail", "protocol"),
        "tls": ("skip", None),  # plain-http servers: no certificate to check
    }, run.output
    says = {
        "frontend": "no complete answer within the 2 s deadline: still reading the body",
        "backend": "the answer was over the size cap: answer larger than 1048576 bytes",
        "mcp": "the answer was not well-formed HTTP: not HTTP at all: it answered b'SSH-2.0-OpenSSH",
    }
    for result in (r for r in run.results.values() if r.verdict.value == "fail"):
        assert result.url in result.message and says[result.service] in result.message, result.message
    assert "Traceback" not in run.output, run.output
    assert run.peak_rss_mb < PEAK_RSS_BOUND_MB, f"peak RSS {run.peak_rss_mb:.0f} MB"
