import json

import pytest
from pydantic import ValidationError

from monitor.analysers.health import judge_dependencies, judge_health
from monitor.profile import HealthEndpoint
from monitor.results import Category

FRONTEND = HealthEndpoint(
    path="/api/health",
    content_type="application/json",
    json_equals={"ok": True, "slo_status.availability": True},
    json_required=["timestamp", "slo_status.latency_ok"],
    dependencies=["sli_checks.database", "sli_checks.qdrant"],
)
BACKEND = HealthEndpoint(
    path="/health/healthz",
    content_type="application/json",
    json_equals={"ok": True},
    dependencies=["supabase", "qdrant"],
)
MCP_STATS = HealthEndpoint(
    path="/stats", content_type="application/json", json_required=["qdrant"], json_absent=["error"]
)
LIVENESS = HealthEndpoint(path="/health", text_equals="ok", headers={"Cache-Control": "no-store"})
JSON = {"content-type": "application/json"}


def body(data) -> bytes:
    return json.dumps(data).encode()


def frontend(**changes):
    """The contract's healthy /api/health, including the feature flag that is off."""
    data = {
        "ok": True,
        "timestamp": "2026-11-27T00:00:00.000Z",
        "emotionCalib": {"loaded": False, "labels": 0},
        "sli_checks": {
            "database": {"ok": True, "latency": 3},
            "qdrant": {"ok": True, "latency": 6},
            "openai": {"ok": True, "latency": 48},
        },
        "slo_status": {"availability": True, "latency_ok": True},
    }
    return {**data, **changes}


def test_contract_shapes_are_healthy():
    assert judge_health(FRONTEND, 200, JSON, body(frontend())).ok
    assert judge_health(BACKEND, 200, JSON, body({"ok": True, "supabase": True, "qdrant": True})).ok
    assert judge_health(MCP_STATS, 200, JSON, body({"qdrant": {"collections": 1, "points": 1024}})).ok
    cache = {"Cache-Control": "no-store, no-cache, must-revalidate, proxy-revalidate"}
    assert judge_health(LIVENESS, 200, cache, b"ok\n").ok


def test_empty_sli_checks_with_ok_true_fails_the_body_saying_nothing_was_checked():
    verdict = judge_health(FRONTEND, 200, JSON, body(frontend(sli_checks={})))
    assert verdict.category is Category.BODY
    assert verdict.describe() == (
        "no dependency was checked: sli_checks is empty (expected sli_checks.database, sli_checks.qdrant)"
    )


def test_a_dependency_the_deployment_did_not_check_is_named_with_what_it_did_check():
    checks = {"database": {"ok": True, "latency": 3}, "openai": {"ok": True, "latency": 40}}
    verdict = judge_health(FRONTEND, 200, JSON, body(frontend(sli_checks=checks)))
    assert verdict.describe() == "dependency sli_checks.qdrant was not checked: sli_checks has only database, openai"


def test_503_is_an_http_status_failure_listing_only_the_profiles_dependencies():
    data = frontend(
        ok=False,
        sli_checks={
            "database": {"ok": False, "latency": 5000, "error": "connection refused"},
            "qdrant": {"ok": True, "latency": 6},
        },
        slo_status={"availability": False, "latency_ok": True},
    )
    verdict = judge_health(FRONTEND, 503, JSON, body(data))
    assert verdict.category is Category.HTTP_STATUS
    assert verdict.problems == [
        "expected status 200, got 503",
        "failing dependencies: sli_checks.database (connection refused)",
        "expected ok == true, got false",
        "expected slo_status.availability == true, got false",
    ]
    assert "emotionCalib" not in verdict.describe()  # a feature flag that is off is not a dependency


def test_a_failing_check_the_profile_does_not_call_a_dependency_is_not_listed():
    checks = {"database": {"ok": True}, "qdrant": {"ok": True}, "openai": {"ok": False, "error": "quota"}}
    verdict = judge_health(FRONTEND, 503, JSON, body(frontend(ok=False, sli_checks=checks)))
    assert "failing dependencies" not in verdict.describe()
    assert "openai" not in verdict.describe()


def test_degraded_backend_answering_200_is_unhealthy_and_names_the_dependency():
    verdict = judge_health(BACKEND, 200, JSON, body({"ok": False, "supabase": True, "qdrant": False}))
    assert verdict.category is Category.BODY
    assert verdict.describe() == "failing dependencies: qdrant; expected ok == true, got false"


def test_a_dependency_must_be_true_or_hold_ok_true_not_merely_truthy():
    verdict = judge_health(BACKEND, 200, JSON, body({"ok": True, "supabase": 1, "qdrant": {"latency": 3}}))
    assert verdict.problems == [
        'dependency supabase: expected true or an object with "ok", got 1',
        'dependency qdrant: expected true or an object with "ok", got {"latency": 3}',
    ]
    assert not judge_health(BACKEND, 200, JSON, body({"ok": True, "supabase": True, "qdrant": {"ok": "true"}})).ok


def test_mcp_stats_error_form_fails_and_quotes_the_error():
    broken = {"service": "slurpy-mcp", "error": "Qdrant unreachable: [Errno 111] Connection refused"}
    verdict = judge_health(MCP_STATS, 200, JSON, body(broken))
    assert verdict.category is Category.BODY
    assert verdict.problems == [
        'expected no error, got error = "Qdrant unreachable: [Errno 111] Connection refused"',
        "missing required key(s): qdrant",
    ]


def test_old_build_missing_keys_fails_on_the_body():
    verdict = judge_health(FRONTEND, 200, JSON, body({"ok": True}))
    assert verdict.category is Category.BODY
    assert verdict.problems == [
        "no dependency was checked: sli_checks is missing (expected sli_checks.database, sli_checks.qdrant)",
        "missing required key(s): timestamp, slo_status.latency_ok",
        "expected slo_status.availability == true, key is missing",
    ]


@pytest.mark.parametrize(
    "data,problems",
    [
        ({"sli_checks": {"database": {"ok": True}, "qdrant": True}}, []),
        ({"sli_checks": {}}, ["no dependency was checked: sli_checks is empty"]),
        ({"ok": True}, ["dependency sli_checks was not checked: the body has only ok"]),
        (
            {"sli_checks": {"database": {"ok": True}, "qdrant": {"ok": False, "error": "timeout"}, "openai": False}},
            ["failing dependencies: sli_checks.qdrant (timeout), sli_checks.openai"],
        ),
    ],
)
def test_a_group_of_dependencies_must_be_non_empty_and_all_up(data, problems):
    assert judge_dependencies(data, ["sli_checks"]) == problems


def test_an_empty_body_checked_no_top_level_dependency():
    assert judge_dependencies({}, ["supabase", "qdrant"]) == [
        "no dependency was checked: the body is empty (expected supabase, qdrant)"
    ]


def test_non_json_and_non_object_bodies_fail():
    html = judge_health(BACKEND, 200, {"content-type": "text/html"}, b"<html>502 Bad Gateway</html>")
    assert html.category is Category.BODY
    assert "expected content-type application/json, got text/html" in html.describe()
    assert "expected a JSON body" in html.describe()
    assert not judge_health(BACKEND, 200, JSON, b"[true]").ok


def test_liveness_text_and_header_rules():
    assert (
        "expected body 'ok', got 'starting'"
        in judge_health(LIVENESS, 200, {"Cache-Control": "no-store"}, b"starting").describe()
    )
    cached = judge_health(LIVENESS, 200, {"Cache-Control": "max-age=60"}, b"ok")
    assert "expected header Cache-Control: no-store, got max-age=60" in cached.describe()


def test_wrong_value_type_is_not_accepted_as_truthy():
    assert not judge_health(BACKEND, 200, JSON, body({"ok": "true", "supabase": True, "qdrant": True})).ok


def test_a_text_body_cannot_also_have_json_rules():
    with pytest.raises(ValidationError, match="either text"):
        HealthEndpoint(path="/health", text_equals="ok", dependencies=["database"])
