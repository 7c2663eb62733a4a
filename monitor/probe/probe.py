"""The monitor's only way onto the network: requests and TLS handshakes that stay bounded whatever
the target does. Each attempt has one wall-clock deadline from connect to last byte (the
profile's timeout, or the service's own), every answer is read as a stream up to a cap, and
transient failures (connect, DNS, a broken exchange) are retried a bounded number of times.

A probe carries network settings only, never a check's expectations: a signed-in probe is the
same probe with a ``session``, which supplies the bearer token (refreshed when it expires) and the
CSRF headers on every request. Each probe remembers when it sent what (``sent``): a limiter keys
on the caller, so this is the run's own spending of each route's budget under that caller.
"""

from __future__ import annotations

import socket
import ssl
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar
from urllib.parse import urlsplit

import httpx

from monitor.probe import run_deadline
from monitor.probe.attempt_deadline import AttemptDeadline, read_capped
from monitor.probe.errors import (
    BODY,
    TLS_HANDSHAKE,
    ProbeFailure,
    classify_error,
    describe_error,
    is_retryable,
)
from monitor.profile import Profile
from monitor.results import Category

T = TypeVar("T")
Origin = tuple[str, int]  # (host, port): what a per-service deadline is keyed on


@dataclass
class Exchange:
    """What one HTTP request observed. Either ``response`` or ``error`` is set."""

    url: str
    attempts: int
    elapsed_ms: float | None = None
    response: httpx.Response | None = None
    error: BaseException | None = None
    deadline_s: float | None = None  # the wall-clock budget each attempt had
    truncated: bool = False  # longer than the cap; ``response.content`` holds its first max_bytes (only if allowed)
    bytes_seen: int = 0  # body bytes read by the last attempt

    @property
    def category(self) -> Category | None:
        return classify_error(self.error) if self.error is not None else None

    @property
    def error_text(self) -> str:
        return describe_error(self.error) if self.error is not None else ""


def _origin(url: str) -> Origin:
    parts = urlsplit(url)
    return parts.hostname or "", parts.port or (443 if parts.scheme == "https" else 80)


@dataclass(frozen=True)
class NetworkSettings:
    """How the monitor talks to a target: nothing about what it expects of the answers."""

    target: str
    timeout_s: float = 10.0
    retries: int = 2
    retry_delay_s: float = 2.0
    user_agent: str = "slurpy-monitor/0.1 (+synthetic)"
    traffic_header: str = "X-Synthetic-Monitor"
    ca_bundle: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)  # sent on every request, e.g. a bearer token
    max_answer_bytes: int = 1_048_576
    max_script_bytes: int = 16_777_216
    service_timeouts: Mapping[Origin, float] = field(default_factory=dict)  # services that set their own timeout_s
    origin_headers: Mapping[Origin, Mapping[str, str]] = field(default_factory=dict)  # [request] headers, per service

    @classmethod
    def from_profile(cls, profile: Profile, request_headers: Mapping[str, str] | None = None) -> NetworkSettings:
        """``request_headers``: the profile's ``[request] headers`` with their secrets read (see
        :func:`monitor.profile.request_headers`), sent only to the services ``[request] services``
        lists: a preview's bypass secret has no business reaching another host."""
        origin_headers: dict[Origin, Mapping[str, str]] = {}
        if request_headers:
            for name in profile.request.services or list(profile.services):
                origin_headers[_origin(profile.services[name].base_url)] = dict(request_headers)
        service_timeouts: dict[Origin, float] = {}
        for spec in profile.services.values():
            if spec.timeout_s is not None:
                # Services sharing a host and port share a connection's fate: the longer deadline holds.
                origin = _origin(spec.base_url)
                service_timeouts[origin] = max(spec.timeout_s, service_timeouts.get(origin, 0.0))
        return cls(
            target=profile.name,
            timeout_s=profile.timeout_s,
            retries=profile.retries,
            retry_delay_s=profile.retry_delay_s,
            user_agent=profile.user_agent_header,
            traffic_header=profile.traffic_header,
            ca_bundle=profile.tls.ca_bundle,
            max_answer_bytes=profile.max_answer_bytes,
            max_script_bytes=profile.max_script_bytes,
            service_timeouts=service_timeouts,
            origin_headers=origin_headers,
        )

    def with_headers(self, **headers: str) -> NetworkSettings:
        return replace(self, headers={**self.headers, **headers})

    def deadline_for(self, origin: Origin) -> float:
        return self.service_timeouts.get(origin, self.timeout_s)


@dataclass(frozen=True)
class Sent:
    """One request as a limiter may have counted it: wall-clock send and answer times."""

    method: str
    url: str  # without query or fragment
    started: float
    ended: float
    status: int | None


def trust_context(ca_bundle: str | None) -> ssl.SSLContext:
    if ca_bundle:
        return ssl.create_default_context(cafile=ca_bundle)
    return ssl.create_default_context()


def _accepting_any() -> ssl.SSLContext:
    """A client context that accepts any certificate, to read one whatever its state. Made bare:
    ``ssl.create_default_context()`` would first load the system's trust store (~30 ms of CPU each
    time), which a context that verifies nothing never reads."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


class Probe:
    def __init__(
        self,
        settings: NetworkSettings,
        *,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        session: Callable[[], Mapping[str, str]] | None = None,
        clock: Callable[[], float] = time.time,
    ):
        self.settings = settings
        self._sleep = sleep
        self.session = session  # headers of a signed-in session, asked for on every attempt
        self.clock = clock
        self.exchanges: list[Exchange | CertFetch] = []  # what this probe did, for the result envelope
        self._warm: set[Origin] = set()  # origins this probe has warmed up
        self.sent: deque[Sent] = deque(maxlen=10_000)
        self.client = httpx.Client(
            verify=trust_context(settings.ca_bundle),
            headers={"User-Agent": settings.user_agent, settings.traffic_header: "probe", **settings.headers},
            follow_redirects=False,
            # A fresh connection per request: latency then includes connect and TLS, as a new
            # visitor sees it, and a dead keep-alive socket cannot hide a down service.
            limits=httpx.Limits(max_keepalive_connections=0),
            transport=transport,
            trust_env=False,
        )

    def close(self) -> None:
        self.client.close()

    @property
    def signed_in(self) -> bool:
        return self.session is not None

    def sent_to(self, method: str, url: str, since: float = 0.0) -> list[Sent]:
        """Requests this probe sent to ``method url`` (query ignored) that started at or after ``since``."""
        target = _bare(url)
        return [s for s in self.sent if s.method == method and s.url == target and s.started >= since]

    def _retrying(self, attempt: Callable[[], T]) -> tuple[T | None, BaseException | None, int]:
        """Attempts within the run deadline too: an attempt it cut short is the monitor's doing,
        never the target's failure (:class:`~monitor.probe.run_deadline.RunDeadline` is raised)."""
        attempts = 0
        while True:
            attempts += 1
            try:
                return attempt(), None, attempts
            except (httpx.TransportError, OSError, ProbeFailure) as exc:
                if run_deadline.passed():
                    raise run_deadline.RunDeadline(run_deadline.message()) from exc
                if attempts > self.settings.retries or not is_retryable(classify_error(exc)):
                    return None, exc, attempts
                self._sleep(run_deadline.cap(self.settings.retry_delay_s))

    def request(
        self,
        method: str,
        url: str,
        *,
        max_bytes: int | None = None,
        allow_truncated: bool = False,
        stream_to: Callable[[httpx.Response], Callable[[bytes], None] | None] | None = None,
        **kwargs,
    ) -> Exchange:
        """``method url`` within the deadline, reading at most ``max_bytes`` of the answer (default:
        the profile's ``max_answer_bytes``). A longer answer fails the exchange (category body),
        unless the caller can judge a part of it: ``allow_truncated=True`` keeps the first
        ``max_bytes`` and sets ``truncated``. ``stream_to`` is asked, once each attempt's headers
        are in, for a reader of that attempt's body (or None), which is then handed the body as
        it arrives, up to the cap: a caller can work on an answer while the rest is on its way."""
        deadline_s = self.settings.deadline_for(_origin(url))
        limit = self.settings.max_answer_bytes if max_bytes is None else max_bytes
        last: dict[str, Any] = {}

        extra = kwargs.pop("headers", None) or {}

        def attempt() -> httpx.Response:
            seconds = run_deadline.cap(deadline_s)
            deadline = last["deadline"] = AttemptDeadline(seconds)
            headers = _merged(
                {**self.settings.origin_headers.get(_origin(url), {}), **(self.session() if self.session else {})},
                extra,
            )
            started, wall = time.perf_counter(), self.clock()
            try:
                request = self.client.build_request(
                    method, url, headers=headers, timeout=seconds, extensions={"trace": deadline.trace}, **kwargs
                )
                response = self.client.send(request, stream=True)
                try:
                    deadline.phase = BODY
                    consume = stream_to(response) if stream_to is not None else None
                    content, last["truncated"] = read_capped(response, limit, allow_truncated, deadline, consume)
                finally:
                    response.close()
            except (httpx.TransportError, httpx.DecodingError, OSError) as exc:
                self.sent.append(Sent(method, _bare(url), wall, self.clock(), None))
                deadline.reraise(exc)
            finally:
                deadline.close()
            deadline.check()  # an answer that ends at the shutdown (no length, read to close) ended on the deadline
            last["ms"] = (time.perf_counter() - started) * 1000
            self.sent.append(Sent(method, _bare(url), wall, self.clock(), response.status_code))
            # The body was read here, bounded; httpx's own read() would take all of it.
            response._content = content
            return response

        response, error, attempts = self._retrying(attempt)
        exchange = Exchange(
            url=url,
            attempts=attempts,
            elapsed_ms=last.get("ms"),
            response=response,
            error=error,
            deadline_s=deadline_s,
            truncated=response is not None and last["truncated"],
            bytes_seen=last["deadline"].body_bytes,
        )
        self.exchanges.append(exchange)
        return exchange

    def get(self, url: str, **kwargs) -> Exchange:
        return self.request("GET", url, **kwargs)

    def warm_up(self, url: str) -> dict[str, Any] | None:
        """The first time this probe meets ``url``'s origin, one unjudged GET that a cold deployment
        may spend starting up; what it saw, for the record. None once the origin is warm. It stays
        out of ``exchanges``, so a retry it needed cannot make a judged check flaky."""
        origin = _origin(url)
        if origin in self._warm:
            return None
        self._warm.add(origin)
        mark = len(self.exchanges)
        exchange = self.get(url)
        del self.exchanges[mark:]
        if exchange.response is None:
            return {"url": url, "error": f"{exchange.category}: {exchange.error_text}", "attempts": exchange.attempts}
        return {
            "url": url,
            "status": exchange.response.status_code,
            "elapsed_ms": round(exchange.elapsed_ms or 0.0, 1),
            "attempts": exchange.attempts,
        }

    def peer_certificate(self, host: str, port: int) -> CertFetch:
        """Handshake twice: once accepting anything, to read the certificate whatever its state;
        once verifying chain and host name, to learn whether a browser would accept it. Each
        handshake has the request deadline."""
        deadline_s = self.settings.deadline_for((host, port))

        def handshake(context: ssl.SSLContext) -> bytes:
            seconds = run_deadline.cap(deadline_s)
            deadline = AttemptDeadline(seconds)
            try:
                with socket.create_connection((host, port), timeout=seconds) as raw:
                    deadline.watch(raw)
                    deadline.phase = TLS_HANDSHAKE
                    with context.wrap_socket(raw, server_hostname=host) as tls:
                        der = tls.getpeercert(binary_form=True) or b""
            except OSError as exc:
                deadline.reraise(exc)
            finally:
                deadline.close()
            deadline.check()
            return der

        reader = _accepting_any()
        der, error, attempts = self._retrying(lambda: handshake(reader))
        if error is not None:
            failed = CertFetch(der=None, verify_error=None, attempts=attempts, error=error, deadline_s=deadline_s)
            self.exchanges.append(failed)
            return failed
        try:
            handshake(trust_context(self.settings.ca_bundle))
            verify_error = None
        except ssl.SSLCertVerificationError as exc:
            verify_error = exc.verify_message or str(exc)
        except (ssl.SSLError, OSError, ProbeFailure) as exc:
            run_deadline.check()
            verify_error = describe_error(exc)
        fetched = CertFetch(der=der, verify_error=verify_error, attempts=attempts, error=None, deadline_s=deadline_s)
        self.exchanges.append(fetched)
        return fetched


def _merged(session: Mapping[str, str], extra: Mapping[str, str | None]) -> dict[str, str]:
    """A request's own headers over its session's, names compared without case; ``None`` drops a
    session header (a probe that must send the session without one of its parts)."""
    own = {name.lower() for name in extra}
    headers = {name: value for name, value in session.items() if name.lower() not in own}
    headers.update({name: value for name, value in extra.items() if value is not None})
    return headers


def _bare(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}"


@dataclass
class CertFetch:
    der: bytes | None
    verify_error: str | None
    attempts: int
    error: BaseException | None
    deadline_s: float | None = None

    @property
    def category(self) -> Category | None:
        return classify_error(self.error) if self.error is not None else None

    @property
    def error_text(self) -> str:
        return describe_error(self.error) if self.error is not None else ""
