"""The monitor's only way onto the network: timed requests and TLS handshakes with the profile's
timeout, User-Agent and trust store, and bounded retries on network errors.

A probe carries network settings only, never a check's expectations: a signed-in probe is the
same probe with an ``Authorization`` header."""
from __future__ import annotations

import socket
import ssl
import time
from dataclasses import dataclass, field, replace
from typing import Callable, Mapping, TypeVar

import httpx

from monitor.analysers.network import classify_error, describe_error, is_retryable
from monitor.profile import Profile
from monitor.results import Category

T = TypeVar("T")


@dataclass
class Exchange:
    """What one HTTP request observed. Either ``response`` or ``error`` is set."""

    url: str
    attempts: int
    elapsed_ms: float | None = None
    response: httpx.Response | None = None
    error: BaseException | None = None

    @property
    def category(self) -> Category | None:
        return classify_error(self.error) if self.error is not None else None

    @property
    def error_text(self) -> str:
        return describe_error(self.error) if self.error is not None else ""


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

    @classmethod
    def from_profile(cls, profile: Profile) -> "NetworkSettings":
        return cls(target=profile.name, timeout_s=profile.timeout_s, retries=profile.retries,
                   retry_delay_s=profile.retry_delay_s, user_agent=profile.user_agent_header,
                   traffic_header=profile.traffic_header, ca_bundle=profile.tls.ca_bundle)

    def with_headers(self, **headers: str) -> "NetworkSettings":
        return replace(self, headers={**self.headers, **headers})


def trust_context(ca_bundle: str | None) -> ssl.SSLContext:
    if ca_bundle:
        return ssl.create_default_context(cafile=ca_bundle)
    return ssl.create_default_context()


class Probe:
    def __init__(
        self,
        settings: NetworkSettings,
        *,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.settings = settings
        self._sleep = sleep
        self.exchanges: list[Exchange | CertFetch] = []  # what this probe did, for the result envelope
        self.client = httpx.Client(
            verify=trust_context(settings.ca_bundle),
            timeout=settings.timeout_s,
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

    def _retrying(self, attempt: Callable[[], T]) -> tuple[T | None, BaseException | None, int]:
        attempts = 0
        while True:
            attempts += 1
            try:
                return attempt(), None, attempts
            except (httpx.TransportError, OSError) as exc:
                if attempts > self.settings.retries or not is_retryable(classify_error(exc)):
                    return None, exc, attempts
                self._sleep(self.settings.retry_delay_s)

    def request(self, method: str, url: str, **kwargs) -> Exchange:
        timing: dict[str, float] = {}

        def attempt() -> httpx.Response:
            started = time.perf_counter()
            response = self.client.request(method, url, **kwargs)
            timing["ms"] = (time.perf_counter() - started) * 1000
            return response

        response, error, attempts = self._retrying(attempt)
        exchange = Exchange(url=url, attempts=attempts, elapsed_ms=timing.get("ms"), response=response, error=error)
        self.exchanges.append(exchange)
        return exchange

    def get(self, url: str, **kwargs) -> Exchange:
        return self.request("GET", url, **kwargs)

    def peer_certificate(self, host: str, port: int) -> "CertFetch":
        """Handshake twice: once accepting anything, to read the certificate whatever its state;
        once verifying chain and host name, to learn whether a browser would accept it."""

        def handshake(context: ssl.SSLContext) -> bytes:
            with socket.create_connection((host, port), timeout=self.settings.timeout_s) as raw:
                with context.wrap_socket(raw, server_hostname=host) as tls:
                    return tls.getpeercert(binary_form=True) or b""

        reader = ssl.create_default_context()
        reader.check_hostname = False
        reader.verify_mode = ssl.CERT_NONE
        der, error, attempts = self._retrying(lambda: handshake(reader))
        if error is not None:
            failed = CertFetch(der=None, verify_error=None, attempts=attempts, error=error)
            self.exchanges.append(failed)
            return failed
        try:
            handshake(trust_context(self.settings.ca_bundle))
            verify_error = None
        except ssl.SSLCertVerificationError as exc:
            verify_error = exc.verify_message or str(exc)
        except (ssl.SSLError, OSError) as exc:
            verify_error = describe_error(exc)
        fetched = CertFetch(der=der, verify_error=verify_error, attempts=attempts, error=None)
        self.exchanges.append(fetched)
        return fetched


@dataclass
class CertFetch:
    der: bytes | None
    verify_error: str | None
    attempts: int
    error: BaseException | None

    @property
    def category(self) -> Category | None:
        return classify_error(self.error) if self.error is not None else None

    @property
    def error_text(self) -> str:
        return describe_error(self.error) if self.error is not None else ""
