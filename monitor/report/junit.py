"""What a JUnit test case says about the check it ran, as ``<property>`` pairs that CI systems
and GitHub test-report actions show: verdict, category, latency and where it ran."""

from __future__ import annotations

from monitor.results import CheckResult


def latency_ms(result: CheckResult) -> float | None:
    """The response time the check measured: the median of a latency sample, else a single
    request's time; ``None`` for checks that measure no response time."""
    for key in ("median_ms", "elapsed_ms"):
        if isinstance(result.details.get(key), (int, float)):
            return float(result.details[key])
    return None


def properties(results: list[CheckResult]) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    for result in results:
        pairs += [
            ("check", result.id),
            ("verdict", result.verdict.value),
            ("category", result.category or ""),
            ("service", result.service),
            ("target", result.target),
            ("run_id", result.run_id),
        ]
        if (latency := latency_ms(result)) is not None:
            pairs.append(("latency_ms", f"{latency:.1f}"))
        if result.duration_ms is not None:
            pairs.append(("duration_ms", f"{result.duration_ms:.1f}"))
        if result.deploy_version:
            pairs.append(("deploy_version", result.deploy_version))
    return pairs
