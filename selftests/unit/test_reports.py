"""Reports people read, from the run's records: the GitHub step summary (counts, every check
that did not pass with its message, the slowest), JUnit properties, Allure labels; and a secret
missing in CI fails the run naming the variable, in the step summary too."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest
from plugin_suite import plugin_suite

from monitor.pipeline import Run
from monitor.report import allure, junit, step_summary
from monitor.results import Category, CheckResult, Verdict

pytest_plugins = ["pytester"]

PROFILE = """
sensitive = false
[secrets]
monitor_password = "SLURPY_T_MONITOR_PASSWORD"
[services.backend]
base_url = "https://127.0.0.1:1"
latency_ms = 500
[[services.backend.health]]
path = "/h"
"""
SUITE = """
import pytest
from monitor.results import Category, CheckResult, Verdict

@pytest.mark.nondestructive
def test_healthy(verdict):
    verdict(CheckResult(check="health", service="backend", path="/h", verdict=Verdict.PASS, message="backend ok",
                        details={"elapsed_ms": 42.0}))

@pytest.mark.nondestructive
def test_degraded(verdict):
    verdict(CheckResult(check="health", service="mcp", path="/healthz", verdict=Verdict.FAIL, category=Category.BODY,
                        message="mcp health FAILED [body]: https://m/healthz: expected status == ok, got `down`"))

@pytest.mark.nondestructive
def test_signed_in(read_secret, verdict):
    read_secret("monitor_password")
"""


def make_run(results: list[CheckResult], **kw) -> Run:
    run = Run(target="production", run_id="r1", deploy_version="abc123", runner="github-actions 42/1", **kw)
    run.results = results
    return run


def test_step_summary_counts_then_every_check_not_passing_then_the_slowest():
    run = make_run(
        [
            CheckResult("health", "backend", Verdict.PASS, "ok", path="/h", duration_ms=12),
            CheckResult(
                "tls",
                "frontend",
                Verdict.WARN,
                "frontend tls WARNING [certificate]: expires in 20 days",
                category=Category.CERTIFICATE,
                duration_ms=30,
            ),
            CheckResult(
                "headers",
                "frontend",
                Verdict.FAIL,
                "frontend headers FAILED [headers]: a | b `x`",
                path="/",
                category=Category.HEADERS,
                duration_ms=900,
            ),
            CheckResult("cors", "mcp", Verdict.SKIP, "target is sensitive"),
        ],
        notes=["history h.sqlite is locked"],
    )
    text = step_summary.markdown(run)
    assert text.startswith("### Slurpy monitor: **1 of 4 checks failed**")
    assert "target `production` · run `r1` · deploy version `abc123` · runner `github-actions 42/1`" in text
    assert "| 1 | 0 | 1 | 1 | 1 | 0 |" in text
    assert "- `history h.sqlite is locked`" in text
    failing = text.index("❌ **fail** `headers:frontend:/`: `frontend headers FAILED [headers]: a | b 'x'`")
    assert failing < text.index("⚠️ **warn** `tls:frontend`") < text.index("1 skipped") < text.index("Slowest")
    assert text.index("| `headers:frontend:/` | fail | 900 |") < text.index("| `tls:frontend` | warn | 30 |")


def test_junit_properties_and_allure_labels_carry_category_and_latency():
    check = CheckResult(
        "latency",
        "backend",
        Verdict.FAIL,
        "slow",
        category=Category.LATENCY,
        target="production",
        run_id="r1",
        suite="smoke",
        duration_ms=1600.0,
        details={"median_ms": 520.0},
    )
    assert dict(junit.properties([check])) == {
        "check": "latency:backend",
        "verdict": "fail",
        "category": "latency",
        "service": "backend",
        "target": "production",
        "run_id": "r1",
        "latency_ms": "520.0",
        "duration_ms": "1600.0",
    }
    assert dict(allure.labels([check])) == {
        "target": "production",
        "service": "backend",
        "verdict": "fail",
        "epic": "production",
        "feature": "smoke",
        "story": "latency",
        "category": "latency",
    }


def test_journey_steps_for_allure_name_the_step_that_broke():
    journey = CheckResult(
        "journey",
        "frontend",
        Verdict.FAIL,
        "frontend chat journey FAILED [journey]: u: at step 'send a message': timeout",
        path="chat",
        details={"steps": [{"step": "sign in", "ms": 300}, {"step": "send a message", "ms": 5000}]},
    )
    assert allure.steps(journey) == [("sign in", 300.0, True), ("send a message", 5000.0, False)]


@pytest.fixture
def suite(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("SLURPY_T_MONITOR_PASSWORD", raising=False)
    run = plugin_suite(pytester, monkeypatch, PROFILE, SUITE)
    return lambda *args: run("--results", "r.jsonl", *args)


def test_in_ci_a_missing_secret_fails_the_run_naming_the_variable_in_the_step_summary(suite, pytester, monkeypatch):
    summary = pytester.path / "summary.md"
    monkeypatch.setenv("CI", "true")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    outcome = suite()
    outcome.assert_outcomes(passed=1, failed=2)
    text = summary.read_text()
    assert "**2 of 3 checks failed**" in text
    assert (
        "🛑 **error** `test_signed_in`: `secret 'monitor_password' missing: set environment variable "
        "SLURPY_T_MONITOR_PASSWORD`"
    ) in text
    assert (
        "❌ **fail** `health:mcp:/healthz`: `mcp health FAILED [body]: https://m/healthz: expected status == ok, "
        "got 'down'`" in text
    )


def test_without_github_no_step_summary_is_written(suite, pytester, monkeypatch):
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    suite().assert_outcomes(passed=1, failed=1, skipped=1)
    assert not list(pytester.path.glob("*.md"))


def test_junit_xml_has_each_checks_properties_and_no_internal_bookkeeping(suite, pytester, monkeypatch):
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    suite("--junitxml", "junit.xml")
    cases = {
        case.get("name"): {p.get("name"): p.get("value") for p in case.iter("property")}
        for case in ET.parse(pytester.path / "junit.xml").getroot().iter("testcase")
    }
    run_id = json.loads((pytester.path / "r.jsonl").read_text().splitlines()[0])["run_id"]
    assert cases["test_healthy"] == {
        "check": "health:backend:/h",
        "verdict": "pass",
        "category": "",
        "service": "backend",
        "target": "t",
        "run_id": run_id,
        "latency_ms": "42.0",
    }
    assert cases["test_degraded"]["category"] == "body"
    assert cases["test_signed_in"] == {}, "a skipped check has no record of its own to describe"


def test_allure_results_label_every_check(suite, pytester, monkeypatch):
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    suite("--alluredir", "allure")
    labels = {}
    for path in (pytester.path / "allure").glob("*-result.json"):
        data = json.loads(path.read_text())
        labels[data["name"]] = {label["name"]: label.get("value") for label in data["labels"]}
    assert {
        k: labels["health:mcp:/healthz"][k] for k in ("target", "service", "category", "verdict", "feature", "story")
    } == {
        "target": "t",
        "service": "mcp",
        "category": "body",
        "verdict": "fail",
        "feature": "health",
        "story": "health",
    }


def test_allure_reads_like_the_monitor_check_ids_suites_by_target_service_kind_no_fixture_steps(pytester, monkeypatch):
    """A test is named by its check id, also when it was skipped before recording anything; the
    suites tree is target > service > check kind instead of the test file; verdict and category
    are tags; pytest's fixture set-up (allure-pytest's container files) is left out."""
    module = (
        SUITE
        + """
@pytest.mark.nondestructive
@pytest.mark.check("tls")
def test_tls(case):
    pytest.skip("not today")
"""
    )
    run = plugin_suite(pytester, monkeypatch, PROFILE, module)
    run("--alluredir", "allure")
    results = {}
    for path in (pytester.path / "allure").glob("*-result.json"):
        data = json.loads(path.read_text())
        results[data["name"]] = data
    assert set(results) == {"health:backend:/h", "health:mcp:/healthz", "tls:backend", "test_signed_in"}
    degraded = results["health:mcp:/healthz"]
    suites = [(label["name"], label["value"]) for label in degraded["labels"] if label["name"] in allure.FILE_LABELS]
    assert suites == [("parentSuite", "t"), ("suite", "mcp"), ("subSuite", "health")]
    assert {"verdict:fail", "category:body"} <= {
        label["value"] for label in degraded["labels"] if label["name"] == "tag"
    }
    skipped = [
        (label["name"], label["value"])
        for label in results["tls:backend"]["labels"]
        if label["name"] in allure.FILE_LABELS
    ]
    assert skipped == [("parentSuite", "t"), ("suite", "backend"), ("subSuite", "tls")]
    assert not list((pytester.path / "allure").glob("*-container.json"))
