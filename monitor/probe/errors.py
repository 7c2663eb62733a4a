"""The probe's errors: the phase a request failed in (the way blackbox_exporter splits probe
failures), the probe's own accounts of a failure (a deadline that passed, an answer that was not
HTTP, one that was too large), and what any network error means: its category, whether it is
worth a retry, and its reason in words a person can act on. This is where httpx's, socket's and
ssl's exception types are read for what they mean; the analysers see categories and words only."""

from __future__ import annotations

import socket
import ssl
from collections.abc import Iterator

import httpx

from monitor.results import Category

# Where a request was when it failed or ran out of time, in the probe's words.
CONNECTING = "connecting"
TLS_HANDSHAKE = "in the TLS handshake"
SENDING = "sending the request"
HEADERS = "waiting for the response headers"
BODY = "reading the body"


class ProbeFailure(Exception):
    """What went wrong, said by the probe, which knew the phase: ``str()`` is the whole reason."""


class DeadlineExceeded(ProbeFailure):
    """The request's one wall-clock deadline (connect to last byte) passed."""

    def __init__(self, seconds: float, phase: str, body_bytes: int = 0):
        self.seconds, self.phase, self.body_bytes = seconds, phase, body_bytes
        tail = f", {body_bytes} bytes in" if phase == BODY else ""
        super().__init__(f"still {phase}{tail}")


class ProtocolViolation(ProbeFailure):
    """Connected, but what came back was not HTTP, was malformed, or was cut off."""


class AnswerTooLarge(ProbeFailure):
    def __init__(self, limit: int, seen: int):
        self.limit, self.seen = limit, seen
        super().__init__(f"answer larger than {limit} bytes (stopped reading at {seen})")


def could_be_http(first_bytes: bytes) -> bool:
    """Whether an answer that begins with these bytes may still be HTTP/1.x (``HTTP/1.1 200 OK``)."""
    n = min(len(first_bytes), len(b"HTTP/"))
    return first_bytes[:n] == b"HTTP/"[:n]


def protocol_violation(exc: BaseException, phase: str, body_bytes: int, first_bytes: bytes) -> ProtocolViolation:
    """Put a broken exchange in words: not HTTP at all, malformed, or cut off part-way.
    ``first_bytes``: the start of what the target sent, if anything."""
    text = describe_error(exc)
    if isinstance(exc, httpx.DecodingError):
        return ProtocolViolation(f"the body does not decode as its Content-Encoding says: {text}")
    if phase == BODY:
        return ProtocolViolation(f"cut off after {body_bytes} body bytes: {text}")
    if not first_bytes and isinstance(exc, httpx.RemoteProtocolError):
        return ProtocolViolation("the server closed the connection without answering")
    if isinstance(exc, httpx.ProtocolError):
        return ProtocolViolation(f"malformed: {text}")
    return ProtocolViolation(f"the connection broke while {phase}: {text}")


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    node: BaseException | None = exc
    while node is not None and id(node) not in seen:
        seen.add(id(node))
        yield node
        node = node.__cause__ or node.__context__


def classify_error(exc: BaseException) -> Category:
    if isinstance(exc, DeadlineExceeded):
        return Category.TIMEOUT
    if isinstance(exc, AnswerTooLarge):
        return Category.BODY
    if isinstance(exc, ProtocolViolation):
        return Category.PROTOCOL
    chain = list(_chain(exc))
    text = " ".join(str(e) for e in chain)
    if any(isinstance(e, (httpx.TimeoutException, TimeoutError, socket.timeout)) for e in chain):
        return Category.TIMEOUT
    if (
        any(isinstance(e, socket.gaierror) for e in chain)
        or "Name or service not known" in text
        or "nodename nor servname" in text
    ):
        return Category.DNS
    if any(isinstance(e, ssl.SSLError) for e in chain) or "CERTIFICATE_VERIFY_FAILED" in text or "[SSL" in text:
        return Category.TLS
    # It connected (a refused or unreachable host is a ConnectError): what broke was the exchange.
    if isinstance(exc, (httpx.ProtocolError, httpx.ReadError, httpx.WriteError, httpx.DecodingError)):
        return Category.PROTOCOL
    return Category.CONNECT


def is_retryable(category: Category) -> bool:
    """Retry transient failures: the network (connect, DNS) and a broken exchange (protocol: a
    load balancer that cut one connection answers the next). A TLS failure is deterministic, a
    timeout already spent the whole deadline, and an answer over the cap would be read again."""
    return category in (Category.CONNECT, Category.DNS, Category.PROTOCOL)


def describe_error(exc: BaseException) -> str:
    """The innermost readable reason, without a traceback: 'Connection refused', 'certificate has
    expired'; the probe's own account when it gave one."""
    if isinstance(exc, ProbeFailure):
        return str(exc)
    for node in reversed(list(_chain(exc))):
        if isinstance(node, ssl.SSLCertVerificationError) and node.verify_message:
            return node.verify_message
        if str(node):
            return str(node).split("\n")[0]
    return type(exc).__name__
