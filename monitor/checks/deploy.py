"""Post-deploy checks: is the deployment that answers the one just made?"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from monitor.analysers.baseline import BaselineRun, judge_baseline
from monitor.analysers.version import judge_version, read_version
from monitor.checks.envelope import judged, message, unreachable
from monitor.checks.registry import check
from monitor.probe import Probe
from monitor.profile import GatePolicy, VersionSource
from monitor.results import Category, CheckResult, Verdict


@dataclass(frozen=True)
class VersionArgs:
    service: str
    url: str
    source: VersionSource


@check(
    "version",
    VersionArgs,
    nothing_to_probe="no service in this profile says where it reports its version (services.<name>.version)",
    inputs=("probe", "expected"),  # expected: the version just deployed (--deploy-version)
)
def version(probe: Probe, service: str, url: str, source: VersionSource, expected: str) -> CheckResult:
    exchange = probe.get(url)
    if exchange.response is None:
        return unreachable("version", service, probe, exchange)
    served, where = read_version(source, exchange.response.headers, exchange.response.content)
    return judged(
        "version",
        service,
        category=Category.VERSION,
        problems=judge_version(served, where, expected),
        url=url,
        ok_message=f"serves {expected} ({where})",
        details={"served": served, "expected": expected, "status": exchange.response.status_code},
    )


def baseline(
    latency: CheckResult, target: str, history: Sequence[BaselineRun], policy: GatePolicy, now: datetime
) -> CheckResult:
    """``baseline:<service>``: the gate's latency samples (``latency``, this run's passing latency
    record) against the same check's passing history on the target (see
    :func:`monitor.analysers.baseline.judge_baseline`). No probe: the samples are the latency check's."""
    samples = latency.details.get("samples_ms") or []
    judged_ = judge_baseline(latency.id, target, samples, history, policy, now)
    said = message("baseline", latency.service, judged_.verdict, judged_.category, latency.url, judged_.message)
    if judged_.verdict is Verdict.SKIP:
        said = f"{latency.service} baseline NOT COMPARED: {latency.url}: {judged_.message}"
    return CheckResult(
        check="baseline",
        service=latency.service,
        url=latency.url,
        verdict=judged_.verdict,
        category=judged_.category,
        details={"compared": latency.id, **judged_.figures},
        message=said,
    )
