"""The Prometheus metrics of a run: valid exposition (read back with prometheus_client's own
parser), blackbox_exporter's names, the SLO gauges of the scripted history, the textfile
written whole, and the Pushgateway push."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from prometheus_client.parser import text_string_to_metric_families

from monitor.history.store import HistoryStore
from monitor.pipeline import Run
from monitor.plugins.metrics import MetricsSink
from monitor.profile import load_profile
from monitor.report import metrics
from monitor.results import Category, CheckResult, Verdict, utc_now
from monitor.slo.report import build
from testkit.scripted_history import NOON, POLICY, history_lines, scripted

RESULTS = [
    CheckResult(
        "health",
        "backend",
        Verdict.PASS,
        "ok",
        target="production",
        path="/health",
        duration_ms=250.0,
        details={"status": 200},
    ),
    CheckResult(
        "health",
        "mcp",
        Verdict.FAIL,
        "mcp health FAILED",
        target="production",
        path="/health",
        duration_ms=1500.0,
        category=Category.HTTP_STATUS,
        details={"status": 503},
    ),
    CheckResult(
        "tls",
        "frontend",
        Verdict.WARN,
        "expires soon",
        target="production",
        duration_ms=80.0,
        details={"not_after": "2026-04-01T00:00:00+00:00", "days_left": 20.5},
    ),
    CheckResult("cors", "backend", Verdict.SKIP, "skipped", target="production"),
]


def samples(text: str) -> dict[tuple[str, frozenset], float]:
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def labels(service: str, check: str, **more: str) -> frozenset:
    return frozenset({"target": "production", "service": service, "check": check, **more}.items())


def test_check_results_use_blackbox_exporter_names(tmp_path):
    path = tmp_path / "slurpy.prom"
    metrics.write(path, metrics.registry(RESULTS))
    got = samples(path.read_text())
    assert got[("probe_success", labels("backend", "health:backend:/health"))] == 1
    assert got[("probe_success", labels("mcp", "health:mcp:/health"))] == 0
    assert got[("probe_success", labels("frontend", "tls:frontend"))] == 1  # warn: healthy now
    assert ("probe_success", labels("backend", "cors:backend")) not in got  # a skip judged nothing
    assert got[("probe_duration_seconds", labels("mcp", "health:mcp:/health"))] == 1.5
    assert got[("probe_http_status_code", labels("mcp", "health:mcp:/health"))] == 503
    assert got[("probe_ssl_earliest_cert_expiry", labels("frontend", "tls:frontend"))] == 1775001600
    assert got[("slurpy_check_verdict", labels("mcp", "health:mcp:/health", verdict="fail"))] == 1
    assert got[("slurpy_check_verdict", labels("mcp", "health:mcp:/health", verdict="pass"))] == 0
    assert [p.name for p in tmp_path.iterdir()] == ["slurpy.prom"]  # the temporary file was renamed


def test_slo_gauges_carry_the_scripted_histories_figures():
    report = build(scripted(), POLICY, NOON, "production", ["backend", "frontend"])
    got = samples(metrics.generate(metrics.registry([], report)))
    service = frozenset({"target": "production", "service": "backend"}.items())
    assert got[("slurpy_uptime_ratio", service | {("window", "1h")})] == pytest.approx(2100 / 3300)
    assert got[("slurpy_unknown_seconds", service | {("window", "1h")})] == 300
    assert got[("slurpy_known_seconds", service | {("window", "1h")})] == 3300
    assert got[("slurpy_error_budget_remaining_ratio", service)] == pytest.approx(1392 / 2592)
    assert got[("slurpy_burn_rate", service | {("window", "1h")})] == pytest.approx(1200 / 3300 / 0.001)
    assert got[("slurpy_burn_rate_alert", service | {("alert", "page-fast")})] == 0
    frontend = frozenset({"target": "production", "service": "frontend"}.items())
    assert ("slurpy_uptime_ratio", frontend | {("window", "24h")}) not in got  # never ran: no data, not 1.0


class _Gateway(BaseHTTPRequestHandler):
    received: list[tuple[str, str, bytes]] = []

    def do_PUT(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        _Gateway.received.append((self.command, self.path, body))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


def test_the_sink_writes_the_textfile_with_history_gauges_and_pushes(tmp_path):
    server = HTTPServer(("127.0.0.1", 0), _Gateway)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        now = utc_now()
        shift = now.replace(second=0, microsecond=0, minute=now.minute - now.minute % 5) - NOON
        rows = [o._replace(started=o.started + shift, time=o.time + shift) for o in scripted()]
        history = tmp_path / "history.sqlite"
        with HistoryStore(history) as store:
            store.import_lines(history_lines(rows), "scripted")
        profile = load_profile("production.example")
        profile = profile.model_copy(
            update={
                "metrics": profile.metrics.model_copy(update={"pushgateway": f"http://127.0.0.1:{server.server_port}"})
            }
        )
        run = Run("production", results=RESULTS)
        MetricsSink(profile, tmp_path / "out" / "slurpy.prom", history).close(run)
    finally:
        server.shutdown()
    assert run.notes == []
    got = samples((tmp_path / "out" / "slurpy.prom").read_text())
    backend = frozenset({"target": "production", "service": "backend"}.items())
    assert got[("slurpy_uptime_ratio", backend | {("window", "24h")})] == 5700 / 6900
    [(method, path, body)] = _Gateway.received
    assert (method, path) == ("PUT", "/metrics/job/slurpy_monitor/target/production")
    assert samples(body.decode()) == got


def test_an_unreachable_pushgateway_is_a_note_not_a_failure(tmp_path):
    profile = load_profile("production.example")
    profile = profile.model_copy(
        update={"metrics": profile.metrics.model_copy(update={"pushgateway": "http://127.0.0.1:9"})}
    )
    run = Run("production", results=RESULTS)
    MetricsSink(profile, None, None).close(run)
    assert len(run.notes) == 1 and "not pushed to http://127.0.0.1:9" in run.notes[0]
