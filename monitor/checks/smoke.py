"""Smoke checks: is each service up, healthy by its body, fast enough, and safely certified?"""
from __future__ import annotations

from datetime import datetime
from urllib.parse import urlsplit

from monitor.analysers.health import judge_health
from monitor.analysers.latency import judge_latency
from monitor.analysers.tls import judge_certificate, read_certificate
from monitor.checks.envelope import check, judged, message, unreachable
from monitor.probe import Probe
from monitor.profile import HealthEndpoint, TLSPolicy
from monitor.results import Category, CheckResult, Verdict, utc_now


@check
def health(probe: Probe, service: str, url: str, endpoint: HealthEndpoint) -> CheckResult:
    exchange = probe.get(url)
    if exchange.response is None:
        return unreachable("health", service, probe, exchange, path=endpoint.path)
    response = exchange.response
    verdict = judge_health(endpoint, response.status_code, response.headers, response.content)
    details = {"status": response.status_code, "elapsed_ms": exchange.elapsed_ms}
    return judged("health", service, category=verdict.category or Category.BODY,
                  problems=[verdict.describe()] if not verdict.ok else [], url=url, path=endpoint.path,
                  ok_message=f"answered {response.status_code} in {exchange.elapsed_ms:.0f} ms", details=details)


@check
def latency(probe: Probe, service: str, url: str, threshold_ms: float, samples: int) -> CheckResult:
    taken: list[float] = []
    for _ in range(samples):
        exchange = probe.get(url)
        if exchange.response is None:
            return unreachable("latency", service, probe, exchange, details={"samples_ms": taken})
        taken.append(exchange.elapsed_ms or 0.0)
    verdict = judge_latency(taken, threshold_ms)
    return judged("latency", service, category=Category.LATENCY, problems=[] if verdict.ok else [verdict.describe()],
                  ok_message=verdict.describe(), url=url,
                  details={"median_ms": verdict.median_ms, "samples_ms": taken, "threshold_ms": threshold_ms})


@check
def tls(probe: Probe, service: str, url: str, policy: TLSPolicy, now: datetime | None = None) -> CheckResult:
    parts = urlsplit(url)
    host, port = parts.hostname or "", parts.port or 443
    fetched = probe.peer_certificate(host, port)
    if fetched.der is None:
        return unreachable("tls", service, probe, fetched, url=url)
    info = read_certificate(fetched.der)
    verdict = judge_certificate(info, host=host, now=now or utc_now(), warn_days=policy.warn_days,
                                fail_days=policy.fail_days, verify_error=fetched.verify_error)
    return CheckResult(
        check="tls", service=service, url=url, verdict=verdict.verdict, category=verdict.category,
        message=message("tls", service, verdict.verdict, verdict.category, url, verdict.message),
        details={"days_left": round(verdict.days_left, 2), "not_after": info.not_after.isoformat(),
                 "names": list(info.names), "issuer": info.issuer},
    )
