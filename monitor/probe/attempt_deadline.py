"""One wall-clock deadline for one network attempt, whatever the other side does: the probe's
requests to the target and the alert channels' deliveries to their receivers both use it, so a
peer that drips a byte a second or never answers costs one deadline, never more.

:class:`AttemptDeadline` also knows the phase the attempt was in when it failed: for an alert, a
failure once the request was written (waiting for the answer, reading it) is *unconfirmed* (the
receiver may have taken it), earlier it is *not delivered*. :func:`read_capped` reads an answer
under it, keeping at most a cap of its bytes however much is on offer.

Not to be confused with :mod:`monitor.probe.run_deadline`, which bounds the whole run and caps
each attempt's seconds before this deadline starts."""

from __future__ import annotations

import contextlib
import os
import socket
import threading
from collections.abc import Callable
from typing import Any, NoReturn

import httpx

from monitor.probe.errors import (
    BODY,
    CONNECTING,
    HEADERS,
    SENDING,
    TLS_HANDSHAKE,
    AnswerTooLarge,
    DeadlineExceeded,
    ProtocolViolation,
    classify_error,
    could_be_http,
    protocol_violation,
)
from monitor.results import Category

FIRST_BYTES = 64  # of an answer, kept to show what came when it was not HTTP
REQUEST_WRITTEN = (HEADERS, BODY)  # the phases in which the peer has the whole request


class AttemptDeadline:
    """One attempt's wall-clock deadline. When it passes, a timer shuts the connection down, which
    ends whatever blocking read or write is under way: a per-read timeout never fires on an
    answer that drips a byte a second, this does. It also knows the phase the attempt is in."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.phase = CONNECTING
        self.body_bytes = 0
        self.first_bytes = b""
        self.expired_in: str | None = None
        self._lock = threading.Lock()
        self._connection: socket.socket | None = None
        self._done = False
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True
        self._timer.start()

    def watch(self, sock: socket.socket) -> None:
        """Hold a duplicate of the connection's descriptor: the TLS layer detaches the socket object
        it wraps, and shutting a duplicate down shuts the connection itself down."""
        with self._lock:
            self._connection = socket.socket(fileno=os.dup(sock.fileno()))
            if self.expired_in is not None:
                self._shutdown()

    def trace(self, event: str, info: dict[str, Any]) -> None:
        """httpcore's ``trace`` extension: hands over the connection and marks each phase."""
        if event == "connection.connect_tcp.complete":
            self.watch(info["return_value"].get_extra_info("socket"))
            self._keep_first_bytes(info["return_value"])
        elif event == "connection.start_tls.complete":
            self._keep_first_bytes(info["return_value"])
        elif event == "connection.start_tls.started":
            self.phase = TLS_HANDSHAKE
        elif event == "http11.send_request_headers.started":
            self.phase = SENDING
        elif event in ("http11.send_request_body.complete", "http11.receive_response_headers.started"):
            self.phase = HEADERS  # the whole request is in the kernel's hands: the peer may have it

    def _keep_first_bytes(self, stream: Any) -> None:
        """Watch the first bytes the target sends: an answer that does not start like HTTP fails at
        once, naming what came (an SSH banner), instead of waiting out the deadline for headers
        that will never come."""
        read = stream.read

        def reading(*args: Any, **kwargs: Any) -> bytes:
            data = read(*args, **kwargs)
            if len(self.first_bytes) < FIRST_BYTES:
                self.first_bytes += data[: FIRST_BYTES - len(self.first_bytes)]
                if not could_be_http(self.first_bytes):
                    raise ProtocolViolation(f"not HTTP at all: it answered {self.first_bytes!r}")
            return data

        stream.read = reading

    def _expire(self) -> None:
        with self._lock:
            if not self._done:
                self.expired_in = self.phase
                self._shutdown()

    def _shutdown(self) -> None:
        if self._connection is not None:
            with contextlib.suppress(OSError):  # the peer already closed it: nothing left to interrupt
                self._connection.shutdown(socket.SHUT_RDWR)

    def check(self) -> None:
        if self.expired_in is not None:
            raise DeadlineExceeded(self.seconds, self.expired_in, self.body_bytes)

    def close(self) -> None:
        with self._lock:
            self._done = True
            self._timer.cancel()
            if self._connection is not None:
                self._connection.close()

    def failure(self, exc: BaseException) -> BaseException:
        """What to record for an error: once the deadline passed, whatever error the shutdown
        caused is the deadline; a broken exchange is put in words; anything else stays as it is."""
        category = classify_error(exc)
        if self.expired_in is not None or category is Category.TIMEOUT:
            return DeadlineExceeded(self.seconds, self.expired_in or self.phase, self.body_bytes)
        if category is Category.PROTOCOL:
            return protocol_violation(exc, self.phase, self.body_bytes, self.first_bytes)
        return exc

    def reraise(self, exc: BaseException) -> NoReturn:
        """Raise what :meth:`failure` makes of ``exc`` (``exc`` itself if it stays as it is)."""
        failure = self.failure(exc)
        if failure is exc:
            raise exc
        raise failure from exc


def read_capped(
    response: httpx.Response,
    limit: int,
    allow_truncated: bool,
    deadline: AttemptDeadline,
    consume: Callable[[bytes], None] | None = None,
) -> tuple[bytes, bool]:
    """The (decoded) body, streamed: at most ``limit`` bytes are kept, however much is on offer.
    ``consume`` is handed each kept piece as it is read (its time counts in the deadline)."""
    chunks: list[bytes] = []
    kept = 0
    for chunk in response.iter_bytes():
        deadline.body_bytes += len(chunk)
        deadline.check()
        if kept + len(chunk) > limit:
            if not allow_truncated:
                raise AnswerTooLarge(limit, deadline.body_bytes)
            chunks.append(chunk[: limit - kept])
            if consume is not None:
                consume(chunks[-1])
            return b"".join(chunks), True
        chunks.append(chunk)
        if consume is not None:
            consume(chunk)
        kept += len(chunk)
    return b"".join(chunks), False
