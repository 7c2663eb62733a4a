"""The probe's errors: what a network error means (its category, whether to retry it, its reason
in words) and the probe's own accounts of a broken exchange."""

import socket
import ssl

import httpx
import pytest

from monitor.probe.errors import (
    BODY,
    HEADERS,
    AnswerTooLarge,
    DeadlineExceeded,
    ProtocolViolation,
    classify_error,
    could_be_http,
    describe_error,
    is_retryable,
    protocol_violation,
)
from monitor.results import Category


def wrapped(inner: BaseException, outer=httpx.ConnectError) -> BaseException:
    try:
        try:
            raise inner
        except BaseException as exc:
            raise outer("wrapped") from exc
    except BaseException as exc:
        return exc


@pytest.mark.parametrize(
    "exc,category",
    [
        (wrapped(ConnectionRefusedError(111, "Connection refused")), Category.CONNECT),
        (wrapped(socket.gaierror(-2, "Name or service not known")), Category.DNS),
        (wrapped(ssl.SSLCertVerificationError(1, "certificate verify failed")), Category.TLS),
        (httpx.ReadTimeout("The read operation timed out"), Category.TIMEOUT),
        (httpx.ConnectTimeout("timed out"), Category.TIMEOUT),
        (httpx.RemoteProtocolError("Server disconnected without sending a response."), Category.PROTOCOL),
        (wrapped(ConnectionResetError(104, "Connection reset by peer"), httpx.ReadError), Category.PROTOCOL),
        (DeadlineExceeded(3, BODY, 12), Category.TIMEOUT),
        (ProtocolViolation("not HTTP at all: it answered b'SSH-2.0'"), Category.PROTOCOL),
        (AnswerTooLarge(1024, 1100), Category.BODY),
    ],
)
def test_classify_error_by_phase(exc, category):
    assert classify_error(exc) is category


def test_only_transient_network_failures_are_retried():
    assert is_retryable(Category.CONNECT) and is_retryable(Category.DNS) and is_retryable(Category.PROTOCOL)
    assert not is_retryable(Category.TLS) and not is_retryable(Category.TIMEOUT) and not is_retryable(Category.BODY)


def test_describe_error_gives_the_innermost_reason():
    assert (
        describe_error(wrapped(ConnectionRefusedError(111, "Connection refused"))) == "[Errno 111] Connection refused"
    )


def test_the_probes_own_account_is_the_description():
    assert describe_error(DeadlineExceeded(3, BODY, 12)) == "still reading the body, 12 bytes in"
    assert describe_error(DeadlineExceeded(3, HEADERS)) == "still waiting for the response headers"


@pytest.mark.parametrize(
    "first,http",
    [
        (b"", True),
        (b"HT", True),
        (b"HTTP/1.1 200 OK", True),
        (b"SSH-2.0-OpenSSH", False),
        (b"\x15\x03\x01", False),
        (b"HTTX", False),
    ],
)
def test_an_answer_is_not_http_from_its_first_bytes(first, http):
    assert could_be_http(first) is http


@pytest.mark.parametrize(
    "exc,phase,body_bytes,first,says",
    [
        (
            httpx.RemoteProtocolError("Server disconnected without sending a response."),
            HEADERS,
            0,
            b"",
            "the server closed the connection without answering",
        ),
        (
            httpx.RemoteProtocolError("illegal header line: b'bad'"),
            HEADERS,
            0,
            b"HTTP/1.1 200 OK\r\n",
            "malformed: illegal header line: b'bad'",
        ),
        (
            httpx.RemoteProtocolError(
                "peer closed connection without sending complete message body (received 38 bytes, expected 100)"
            ),
            BODY,
            38,
            b"HTTP/1.1 200 OK\r\n",
            "cut off after 38 body bytes: peer closed connection without sending complete message body",
        ),
        (
            wrapped(ConnectionResetError(104, "Connection reset by peer"), httpx.ReadError),
            HEADERS,
            0,
            b"",
            "the connection broke while waiting for the response headers: [Errno 104] Connection reset by peer",
        ),
    ],
)
def test_a_broken_exchange_is_put_in_words(exc, phase, body_bytes, first, says):
    assert str(protocol_violation(exc, phase, body_bytes, first)).startswith(says)
