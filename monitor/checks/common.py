"""What every check shares: building its result, and the message for a target that did not answer."""
from __future__ import annotations

from monitor.probe import Exchange, Probe
from monitor.results import Category, CheckResult, Verdict


def result(check: str, service: str, probe: Probe, **fields) -> CheckResult:
    return CheckResult(check=check, service=service, target=probe.profile.name, **fields)


_PHASE = {
    Category.DNS: "the host name does not resolve",
    Category.CONNECT: "could not connect",
    Category.TLS: "TLS handshake failed",
    Category.TIMEOUT: "no answer within the {timeout:g} s timeout",
}


def unreachable(check: str, service: str, probe: Probe, exchange: Exchange, path: str = "") -> CheckResult:
    category = exchange.category
    phase = _PHASE.get(category, "request failed").format(timeout=probe.profile.timeout_s)
    return result(
        check, service, probe, path=path, url=exchange.url, verdict=Verdict.FAIL, category=category,
        attempts=exchange.attempts,
        message=f"{service} {check} FAILED [{category}]: {exchange.url}: expected an answer, "
        f"{phase}: {exchange.error_text} (after {exchange.attempts} attempt(s))",
    )
