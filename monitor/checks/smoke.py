"""Smoke checks: is each service up, healthy by its body, fast enough, and safely certified?"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from monitor.analysers.errors import error_leaks
from monitor.analysers.health import judge_health
from monitor.analysers.latency import Sample, judge_latency
from monitor.analysers.tls import judge_certificate, read_certificate
from monitor.checks.envelope import judged, message, unreachable
from monitor.checks.registry import check
from monitor.probe import Probe
from monitor.profile import HealthEndpoint, TLSPolicy
from monitor.results import Category, CheckResult, utc_now


def _warm_up(probe: Probe, url: str, wanted: bool) -> dict[str, Any]:
    """Details of the service's warm-up, when this check was the one that made it."""
    seen = probe.warm_up(url) if wanted else None
    return {"warm_up": seen} if seen else {}


@dataclass(frozen=True)
class HealthArgs:
    service: str
    url: str
    endpoint: HealthEndpoint
    warm_up: bool


@check("health", HealthArgs, nothing_to_probe="no service in this profile lists a health endpoint")
def health(probe: Probe, service: str, url: str, endpoint: HealthEndpoint, warm_up: bool) -> CheckResult:
    details = _warm_up(probe, url, warm_up)
    exchange = probe.get(url)
    if exchange.response is None:
        return unreachable("health", service, probe, exchange, path=endpoint.path, details=details)
    response = exchange.response
    verdict = judge_health(endpoint, response.status_code, response.headers, response.content)
    details.update(status=response.status_code, elapsed_ms=exchange.elapsed_ms)
    problems = [verdict.describe()] if not verdict.ok else []
    if response.status_code >= 400 and (leaks := error_leaks(response.text, response.status_code)):
        problems.append(f"the {response.status_code} body reveals {', '.join(leaks)}")
    return judged(
        "health",
        service,
        category=verdict.category or Category.BODY,
        problems=problems,
        url=url,
        path=endpoint.path,
        ok_message=f"answered {response.status_code} in {exchange.elapsed_ms:.0f} ms",
        details=details,
    )


@dataclass(frozen=True)
class LatencyArgs:
    service: str
    url: str
    threshold_ms: float
    samples: int
    healthy_status: list[int]
    warm_up: bool


@check("latency", LatencyArgs, nothing_to_probe="no service in this profile")
def latency(
    probe: Probe, service: str, url: str, threshold_ms: float, samples: int, healthy_status: list[int], warm_up: bool
) -> CheckResult:
    details = _warm_up(probe, url, warm_up)
    taken: list[Sample] = []
    for _ in range(samples):
        exchange = probe.get(url)
        if exchange.response is None:
            return unreachable(
                "latency", service, probe, exchange, details={**details, "samples_ms": [s.ms for s in taken]}
            )
        taken.append(Sample(exchange.response.status_code, exchange.elapsed_ms or 0.0))
    verdict = judge_latency(taken, threshold_ms, healthy_status)
    details.update(
        median_ms=verdict.median_ms,
        samples_ms=[s.ms for s in taken],
        statuses=[s.status for s in taken],
        threshold_ms=threshold_ms,
    )
    return judged(
        "latency",
        service,
        category=verdict.category or Category.LATENCY,
        problems=[] if verdict.ok else [verdict.describe()],
        ok_message=verdict.describe(),
        url=url,
        details=details,
    )


@dataclass(frozen=True)
class TlsArgs:
    service: str
    url: str
    policy: TLSPolicy


@check("tls", TlsArgs, nothing_to_probe="no https service in this profile")
def tls(probe: Probe, service: str, url: str, policy: TLSPolicy, now: datetime | None = None) -> CheckResult:
    parts = urlsplit(url)
    host, port = parts.hostname or "", parts.port or 443
    fetched = probe.peer_certificate(host, port)
    if fetched.der is None:
        return unreachable("tls", service, probe, fetched, url=url)
    info = read_certificate(fetched.der)
    verdict = judge_certificate(
        info,
        host=host,
        now=now or utc_now(),
        warn_days=policy.warn_days,
        fail_days=policy.fail_days,
        verify_error=fetched.verify_error,
    )
    return CheckResult(
        check="tls",
        service=service,
        url=url,
        verdict=verdict.verdict,
        category=verdict.category,
        message=message("tls", service, verdict.verdict, verdict.category, url, verdict.message),
        details={
            "days_left": round(verdict.days_left, 2),
            "not_after": info.not_after.isoformat(),
            "names": list(info.names),
            "issuer": info.issuer,
        },
    )
