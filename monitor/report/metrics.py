"""A run's results as Prometheus metrics, with blackbox_exporter's names where they mean the
same (``probe_success``, ``probe_duration_seconds``, ``probe_http_status_code``,
``probe_ssl_earliest_cert_expiry``) and the monitor's own beside them (``slurpy_*``), labelled by
target, service and check id. Written for node_exporter's textfile collector (prometheus_client
writes a temporary file and renames it, so a scrape never reads half a file) and optionally
pushed to a Pushgateway."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from prometheus_client import CollectorRegistry, Gauge, generate_latest, push_to_gateway, write_to_textfile

from monitor.results import CheckResult, Verdict
from monitor.slo.report import Report

_CHECK = ("target", "service", "check")
_SERVICE = ("target", "service")


def registry(results: list[CheckResult], report: Report | None = None) -> CollectorRegistry:
    reg = CollectorRegistry()
    success = Gauge("probe_success", "1 if the check passed (also flaky or warn), 0 if it failed", _CHECK, registry=reg)
    took = Gauge("probe_duration_seconds", "how long the whole check took", _CHECK, registry=reg)
    status = Gauge("probe_http_status_code", "the HTTP status the check's answer had", _CHECK, registry=reg)
    expiry = Gauge(
        "probe_ssl_earliest_cert_expiry", "when the served certificate expires (Unix time)", _CHECK, registry=reg
    )
    verdict = Gauge(
        "slurpy_check_verdict",
        "1 for the verdict the check had in the last run, 0 for the others",
        (*_CHECK, "verdict"),
        registry=reg,
    )
    for r in results:
        labels = (r.target, r.service, r.id)
        if r.verdict in (Verdict.PASS, Verdict.FLAKY, Verdict.WARN, Verdict.FAIL):
            success.labels(*labels).set(1 if r.ok else 0)  # a skip or the monitor's own error judged nothing
        for v in Verdict:
            verdict.labels(*labels, v.value).set(1 if r.verdict is v else 0)
        if r.duration_ms is not None:
            took.labels(*labels).set(r.duration_ms / 1000)
        if isinstance(r.details.get("status"), int):
            status.labels(*labels).set(r.details["status"])
        if r.check == "tls" and r.details.get("not_after"):
            expiry.labels(*labels).set(datetime.fromisoformat(r.details["not_after"]).timestamp())
    if report is not None:
        _slo(reg, report)
    return reg


def _slo(reg: CollectorRegistry, report: Report) -> None:
    uptime = Gauge(
        "slurpy_uptime_ratio",
        "up time / known time over the window (absent: no data)",
        (*_SERVICE, "window"),
        registry=reg,
    )
    unknown = Gauge(
        "slurpy_unknown_seconds",
        "time in the window a scheduled run was due and none ran",
        (*_SERVICE, "window"),
        registry=reg,
    )
    known = Gauge(
        "slurpy_known_seconds",
        "time in the window the runs observed: what the uptime ratio is of",
        (*_SERVICE, "window"),
        registry=reg,
    )
    budget = Gauge(
        "slurpy_error_budget_remaining_ratio",
        "share of the SLO window's error budget left (below 0: overspent)",
        _SERVICE,
        registry=reg,
    )
    objective = Gauge("slurpy_slo_objective_ratio", "the availability objective", ("target",), registry=reg)
    burn = Gauge(
        "slurpy_burn_rate",
        "error rate over the window / the rate the objective allows",
        (*_SERVICE, "window"),
        registry=reg,
    )
    alert = Gauge(
        "slurpy_burn_rate_alert",
        "1 when both windows of the multi-window alert burn at its factor "
        "with enough known time (as of now; alerting also waits for open_after runs)",
        (*_SERVICE, "alert"),
        registry=reg,
    )
    objective.labels(report.target).set(report.objective)
    for e in report.services:
        for window, seen in e.uptime.items():
            unknown.labels(report.target, e.name, window).set(seen.unknown_s)
            known.labels(report.target, e.name, window).set(seen.known_s)
            if seen.ratio is not None:
                uptime.labels(report.target, e.name, window).set(seen.ratio)
        if e.budget is not None:
            budget.labels(report.target, e.name).set(e.budget.left_ratio)
        for window, rate in e.burn.items():
            if rate.burn is not None:
                burn.labels(report.target, e.name, window).set(rate.burn)
        for a in e.alerts:
            alert.labels(report.target, e.name, a.name).set(1 if a.firing else 0)


def generate(reg: CollectorRegistry) -> str:
    return generate_latest(reg).decode()


def write(path: Path, reg: CollectorRegistry) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    write_to_textfile(str(path), reg)


def push(gateway: str, job: str, target: str, reg: CollectorRegistry) -> None:
    push_to_gateway(gateway, job=job, registry=reg, grouping_key={"target": target}, timeout=10)
