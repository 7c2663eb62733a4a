"""The sandbox's fault switches: each one breaks one observable behaviour the way real
deployments break, and names the checks that must catch it.

The fault matrix (selftests) reads this registry: on each fault, exactly the checks listed in
``catches`` must report the listed verdict and category, and every other check must pass.
Check ids are ``CheckResult.id`` values for the sandbox profile (the contract's paths).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

SERVICES = ("frontend", "backend", "mcp")
HEALTH_IDS = {
    "frontend": ("health:frontend:/api/health", "health:frontend:/health"),
    "backend": ("health:backend:/health/healthz",),
    "mcp": ("health:mcp:/healthz",),
}
# What the sandbox profile's latency thresholds are; a slow fault exceeds them by this margin.
LATENCY_THRESHOLD_MS = {"frontend": 1000, "backend": 500, "mcp": 500}
SLOW_MARGIN_MS = 300


@dataclass(frozen=True)
class Fault:
    name: str
    service: str
    suite: str
    description: str
    catches: dict[str, tuple[str, str]]  # check id -> (verdict, category)
    params: dict[str, Any] = field(default_factory=dict)
    down: bool = False  # the service stops listening (connection refused)
    cert: str | None = None  # which certificate the service presents instead of the valid one


def _fail(category: str, *ids: str) -> dict[str, tuple[str, str]]:
    return {check_id: ("fail", category) for check_id in ids}


def _smoke_faults() -> list[Fault]:
    faults: list[Fault] = []
    for service in SERVICES:
        faults.append(Fault(
            f"{service}-down", service, "smoke",
            f"{service} stops listening: connections are refused, as when the process crashed",
            _fail("connect", *HEALTH_IDS[service], f"latency:{service}", f"tls:{service}"),
            down=True,
        ))
        faults.append(Fault(
            f"{service}-slow-health", service, "smoke",
            f"{service} health answers correctly but only after delay_ms (threshold + {SLOW_MARGIN_MS} ms by default)",
            _fail("latency", f"latency:{service}"),
            params={"delay_ms": LATENCY_THRESHOLD_MS[service] + SLOW_MARGIN_MS},
        ))
    faults += [
        Fault("frontend-health-5xx", "frontend", "smoke",
              "frontend /api/health answers 503 with ok:false: its database check fails",
              _fail("http status", "health:frontend:/api/health")),
        Fault("frontend-health-missing-keys", "frontend", "smoke",
              "frontend /api/health answers 200 {\"ok\": true} only, like an old build: no sli_checks, slo_status, timestamp",
              _fail("body", "health:frontend:/api/health")),
        Fault("backend-degraded", "backend", "smoke",
              "backend /health/healthz answers 200 but ok:false with qdrant:false (the status code lies)",
              _fail("body", "health:backend:/health/healthz")),
        Fault("backend-health-hang", "backend", "smoke",
              "backend /health/healthz accepts the request and never answers (hang_s), past the request timeout",
              _fail("timeout", "health:backend:/health/healthz", "latency:backend"),
              params={"hang_s": 60}),
        Fault("mcp-wrong-body", "mcp", "smoke",
              "mcp /healthz answers 200 {\"status\": \"starting\"}",
              _fail("body", "health:mcp:/healthz")),
        Fault("mcp-health-not-json", "mcp", "smoke",
              "mcp /healthz answers 200 with an HTML error page from a proxy instead of JSON",
              _fail("body", "health:mcp:/healthz")),
        Fault("frontend-cert-expiring", "frontend", "smoke",
              "frontend presents a certificate that expires in 20 days (inside the 30-day warn band)",
              {"tls:frontend": ("warn", "certificate")}, cert="expiring"),
        Fault("frontend-cert-fail-window", "frontend", "smoke",
              "frontend presents a certificate that expires in 3 days (inside the 7-day fail band)",
              _fail("certificate", "tls:frontend"), cert="fail-window"),
        Fault("frontend-cert-expired", "frontend", "smoke",
              "frontend presents a certificate that expired yesterday: browsers refuse the site",
              _fail("tls", *HEALTH_IDS["frontend"], "latency:frontend", "tls:frontend"), cert="expired"),
        Fault("frontend-cert-wrong-host", "frontend", "smoke",
              "frontend presents a valid certificate for another host name (slurpy.invalid)",
              _fail("tls", *HEALTH_IDS["frontend"], "latency:frontend", "tls:frontend"), cert="wrong-host"),
    ]
    return faults


FAULTS: dict[str, Fault] = {fault.name: fault for fault in _smoke_faults()}


class UnknownFault(KeyError):
    def __str__(self) -> str:
        return f"unknown fault {self.args[0]!r}; known faults: {', '.join(sorted(FAULTS))}"


class FaultState:
    """Which faults are on, with their parameters. Lives in the sandbox process only."""

    def __init__(self) -> None:
        self.active: dict[str, dict[str, Any]] = {}

    def switch_on(self, name: str, params: dict[str, Any] | None = None) -> None:
        if name not in FAULTS:
            raise UnknownFault(name)
        self.active[name] = {**FAULTS[name].params, **(params or {})}

    def switch_off(self, name: str) -> None:
        if name not in FAULTS:
            raise UnknownFault(name)
        self.active.pop(name, None)

    def clear(self) -> None:
        self.active.clear()

    def is_on(self, name: str) -> bool:
        return name in self.active

    def param(self, name: str, key: str) -> Any:
        return self.active[name][key]

    def is_down(self, service: str) -> bool:
        return any(FAULTS[n].down and FAULTS[n].service == service for n in self.active)

    def certificate(self, service: str) -> str:
        for name in self.active:
            fault = FAULTS[name]
            if fault.cert and fault.service == service:
                return fault.cert
        return "valid"


def parse_fault_option(option: str) -> tuple[str, dict[str, Any]]:
    """``backend-slow-health:delay_ms=300`` -> ``("backend-slow-health", {"delay_ms": 300})``."""
    name, _, rest = option.partition(":")
    params: dict[str, Any] = {}
    for pair in filter(None, rest.split(",")):
        key, _, value = pair.partition("=")
        try:
            params[key] = int(value)
        except ValueError:
            try:
                params[key] = float(value)
            except ValueError:
                params[key] = value
    if name not in FAULTS:
        raise UnknownFault(name)
    return name, params
