"""Smoke checks: is each service up, healthy by its body, fast enough, and safely certified?"""
from __future__ import annotations

from datetime import datetime

from monitor.analysers.health import judge_health
from monitor.analysers.latency import judge_latency
from monitor.analysers.tls import judge_certificate, read_certificate
from monitor.checks.common import result, unreachable
from monitor.probe import Exchange, Probe
from monitor.profile import HealthEndpoint
from monitor.results import Category, CheckResult, Verdict, utc_now


def _pass_verdict(attempts: int) -> Verdict:
    return Verdict.FLAKY if attempts > 1 else Verdict.PASS


def health(probe: Probe, service: str, endpoint: HealthEndpoint) -> CheckResult:
    url = probe.profile.services[service].url(endpoint.path)
    exchange = probe.get(url)
    if exchange.response is None:
        return unreachable("health", service, probe, exchange, path=endpoint.path)
    response = exchange.response
    judged = judge_health(endpoint, response.status_code, response.headers, response.content)
    common = dict(path=endpoint.path, url=url, latency_ms=exchange.elapsed_ms, attempts=exchange.attempts,
                  details={"status": response.status_code})
    if judged.ok:
        return result("health", service, probe, verdict=_pass_verdict(exchange.attempts),
                       message=f"{service} healthy: {url} answered {response.status_code} in {exchange.elapsed_ms:.0f} ms", **common)
    return result("health", service, probe, verdict=Verdict.FAIL, category=judged.category,
                   message=f"{service} health FAILED [{judged.category}]: {url}: {judged.describe()}", **common)


def latency(probe: Probe, service: str) -> CheckResult:
    spec = probe.profile.services[service]
    url = spec.latency_url
    samples: list[float] = []
    attempts = 1
    for _ in range(probe.profile.latency_samples):
        exchange = probe.get(url)
        attempts = max(attempts, exchange.attempts)
        if exchange.response is None:
            failed = unreachable("latency", service, probe, exchange)
            failed.details["samples_ms"] = samples
            return failed
        samples.append(exchange.elapsed_ms or 0.0)
    judged = judge_latency(samples, spec.latency_ms)
    common = dict(url=url, latency_ms=judged.median_ms, attempts=attempts,
                  details={"samples_ms": samples, "threshold_ms": spec.latency_ms})
    if judged.ok:
        return result("latency", service, probe, verdict=_pass_verdict(attempts),
                       message=f"{service} fast enough: {url}: {judged.describe()}", **common)
    return result("latency", service, probe, verdict=Verdict.FAIL, category=Category.LATENCY,
                   message=f"{service} latency FAILED [latency]: {url}: {judged.describe()}", **common)


def tls(probe: Probe, service: str, now: datetime | None = None) -> CheckResult:
    spec = probe.profile.services[service]
    url = spec.base_url
    fetched = probe.peer_certificate(spec.host, spec.port)
    if fetched.der is None:
        exchange = Exchange(url=url, attempts=fetched.attempts, error=fetched.error)
        return unreachable("tls", service, probe, exchange)
    info = read_certificate(fetched.der)
    policy = probe.profile.tls
    judged = judge_certificate(info, host=spec.host, now=now or utc_now(), warn_days=policy.warn_days,
                               fail_days=policy.fail_days, verify_error=fetched.verify_error)
    verdict = _pass_verdict(fetched.attempts) if judged.verdict is Verdict.PASS else judged.verdict
    label = {Verdict.FAIL: "FAILED", Verdict.WARN: "WARNING"}.get(judged.verdict)
    prefix = f"{service} tls {label} [{judged.category}]" if label else f"{service} tls ok"
    return result(
        "tls", service, probe, url=url, verdict=verdict, category=judged.category, attempts=fetched.attempts,
        message=f"{prefix}: {url}: {judged.message}",
        details={"days_left": round(judged.days_left, 2), "not_after": info.not_after.isoformat(),
                 "names": list(info.names), "issuer": info.issuer},
    )
