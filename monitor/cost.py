"""What a run costs the target: the requests it sent, per service and per check kind, summed from
each check's record (``details.requests``: every attempt of every request its probes made, a TLS
handshake counted as one; for a journey, every request its browser pages made)."""

from __future__ import annotations

from dataclasses import dataclass, field

from monitor.results import CheckResult

# A check skipped because the run reached the profile's max_requests_per_run says so with this.
CAPPED = "not run: this run reached max_requests_per_run"


@dataclass
class Cost:
    total: int = 0
    by_service: dict[str, int] = field(default_factory=dict)
    by_kind: dict[str, int] = field(default_factory=dict)


def tally(results: list[CheckResult]) -> Cost:
    cost = Cost()
    for result in results:
        sent = result.details.get("requests")
        if not isinstance(sent, int) or sent <= 0:
            continue
        cost.total += sent
        service = result.service or "(all)"
        cost.by_service[service] = cost.by_service.get(service, 0) + sent
        cost.by_kind[result.check] = cost.by_kind.get(result.check, 0) + sent
    return cost


def line(cost: Cost) -> str:
    """``requests sent: 177 (frontend 94, backend 51, mcp 32); by check: cors 84, headers 12, …``"""

    def each(counts: dict[str, int]) -> str:
        return ", ".join(f"{name} {n}" for name, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))

    if not cost.total:
        return "requests sent: none recorded"
    return f"requests sent: {cost.total} ({each(cost.by_service)}); by check: {each(cost.by_kind)}"


def capped(results: list[CheckResult]) -> list[str]:
    """The checks a cap left unrun, by id."""
    return [result.id for result in results if result.message.startswith(CAPPED)]
