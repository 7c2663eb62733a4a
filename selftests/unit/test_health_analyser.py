import json

from monitor.analysers.health import failing_dependencies, judge_health
from monitor.profile import HealthEndpoint
from monitor.results import Category

FRONTEND = HealthEndpoint(path="/api/health", content_type="application/json",
                          json_equals={"ok": True, "slo_status.availability": True},
                          json_required=["timestamp", "sli_checks", "slo_status.latency_ok"])
BACKEND = HealthEndpoint(path="/health/healthz", content_type="application/json",
                         json_equals={"ok": True, "supabase": True, "qdrant": True})
LIVENESS = HealthEndpoint(path="/health", text_equals="ok", headers={"Cache-Control": "no-store"})
JSON = {"content-type": "application/json"}


def body(data) -> bytes:
    return json.dumps(data).encode()


HEALTHY_FRONTEND = {"ok": True, "timestamp": "2026-11-27T00:00:00Z",
                    "sli_checks": {"database": {"ok": True, "latency": 3}},
                    "slo_status": {"availability": True, "latency_ok": True}}


def test_contract_shapes_are_healthy():
    assert judge_health(FRONTEND, 200, JSON, body(HEALTHY_FRONTEND)).ok
    assert judge_health(BACKEND, 200, JSON, body({"ok": True, "supabase": True, "qdrant": True})).ok
    assert judge_health(LIVENESS, 200, {"Cache-Control": "no-store"}, b"ok\n").ok


def test_degraded_backend_answering_200_is_unhealthy_and_names_the_dependency():
    verdict = judge_health(BACKEND, 200, JSON, body({"ok": False, "supabase": True, "qdrant": False}))
    assert not verdict.ok
    assert verdict.category is Category.BODY
    assert "expected ok == true, got false" in verdict.describe()
    assert "expected qdrant == true, got false" in verdict.describe()


def test_503_is_an_http_status_failure_and_reports_the_failing_check():
    data = {**HEALTHY_FRONTEND, "ok": False,
            "sli_checks": {"database": {"ok": False, "latency": 5000, "error": "connection refused"}}}
    verdict = judge_health(FRONTEND, 503, JSON, body(data))
    assert verdict.category is Category.HTTP_STATUS
    assert verdict.problems[0] == "expected status 200, got 503"
    assert "sli_checks.database (connection refused)" in verdict.describe()


def test_old_build_missing_keys_fails_on_the_body():
    verdict = judge_health(FRONTEND, 200, JSON, body({"ok": True}))
    assert verdict.category is Category.BODY
    assert "missing required key(s): timestamp, sli_checks, slo_status.latency_ok" in verdict.describe()


def test_non_json_and_non_object_bodies_fail():
    html = judge_health(BACKEND, 200, {"content-type": "text/html"}, b"<html>502 Bad Gateway</html>")
    assert html.category is Category.BODY
    assert "expected content-type application/json, got text/html" in html.describe()
    assert "expected a JSON body" in html.describe()
    assert not judge_health(BACKEND, 200, JSON, b"[true]").ok


def test_liveness_text_and_header_rules():
    assert "expected body 'ok', got 'starting'" in judge_health(LIVENESS, 200, {"Cache-Control": "no-store"}, b"starting").describe()
    cached = judge_health(LIVENESS, 200, {"Cache-Control": "max-age=60"}, b"ok")
    assert "expected header Cache-Control: no-store, got max-age=60" in cached.describe()


def test_wrong_value_type_is_not_accepted_as_truthy():
    assert not judge_health(BACKEND, 200, JSON, body({"ok": "true", "supabase": 1, "qdrant": True})).ok


def test_failing_dependencies_walks_nested_checks():
    data = {"ok": False, "supabase": True, "qdrant": False, "sli": {"db": {"ok": False}, "x": {"ok": True}}}
    assert failing_dependencies(data) == ["ok", "qdrant", "sli.db"]
