"""Post-deploy checks: is the deployment that answers the one just made?"""
from __future__ import annotations

from monitor.analysers.version import judge_version, read_version
from monitor.checks.envelope import check, judged, unreachable
from monitor.probe import Probe
from monitor.profile import VersionSource
from monitor.results import Category, CheckResult


@check
def version(probe: Probe, service: str, url: str, source: VersionSource, expected: str) -> CheckResult:
    exchange = probe.get(url)
    if exchange.response is None:
        return unreachable("version", service, probe, exchange)
    served, where = read_version(source, exchange.response.headers, exchange.response.content)
    return judged("version", service, category=Category.VERSION, problems=judge_version(served, where, expected),
                  url=url, ok_message=f"serves {expected} ({where})",
                  details={"served": served, "expected": expected, "status": exchange.response.status_code})
