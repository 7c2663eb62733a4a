"""The pytest plugins, proven with pytester on throwaway suites and profiles: outcomes and the
records they leave, not substrings of a child's output."""

from __future__ import annotations

import json

import pytest
from plugin_suite import plugin_suite

pytest_plugins = ["pytester"]

PROFILE = """
sensitive = {sensitive}
{extra}
[services.backend]
base_url = "{url}"
latency_ms = 500
[[services.backend.health]]
path = "/h"
"""


@pytest.fixture
def suite(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch):
    """Write a profile ``t`` and a test module, then run them with the monitor's plugins only."""

    def run(
        module: str,
        *,
        sensitive: bool = True,
        extra: str = "",
        url: str = "https://127.0.0.1:1",
        conftest: str = "",
        args: tuple[str, ...] = (),
    ):
        profile = PROFILE.format(sensitive=str(sensitive).lower(), extra=extra, url=url)
        results = pytester.path / "r.jsonl"
        outcome = plugin_suite(pytester, monkeypatch, profile, module, conftest)("--results", str(results), *args)
        records = [json.loads(line) for line in results.read_text().splitlines()] if results.exists() else []
        return outcome, records

    return run


SAFETY_SUITE = """
import pytest

@pytest.mark.nondestructive
def test_read_only(profile, verdict):
    assert profile.sensitive

def test_signs_up(profile, verdict):
    assert profile.allow_destructive

@pytest.mark.budget
@pytest.mark.nondestructive
def test_spends_rate_limit(profile, verdict):
    assert profile.allow_budget
"""


def test_sensitive_target_skips_destructive_and_budget_tests_and_says_why(suite):
    outcome, records = suite(SAFETY_SUITE)
    outcome.assert_outcomes(passed=1, skipped=2)
    reasons = {r["check"]: r["message"] for r in records if r["verdict"] == "skip"}
    assert reasons == {
        "test_signs_up": "target t is sensitive and this test is destructive (not marked nondestructive); "
        "set allow_destructive = true in targets/t.toml to run it",
        "test_spends_rate_limit": "target t is sensitive and this test spends its rate-limit/money budget; "
        "set allow_budget = true in targets/t.toml to run it",
    }


def test_sensitive_target_runs_them_when_the_profile_opts_in(suite):
    outcome, _ = suite(SAFETY_SUITE, extra="allow_destructive = true\nallow_budget = true")
    outcome.assert_outcomes(passed=3)


def test_a_check_with_nothing_to_probe_says_so_in_words(suite):
    module = """
import pytest

@pytest.mark.nondestructive
@pytest.mark.check("tls")
def test_certificate(case, verdict):
    raise AssertionError("must not run")
"""
    outcome, records = suite(module, url="http://127.0.0.1:1")
    outcome.assert_outcomes(skipped=1)
    assert [(r["id"], r["message"]) for r in records] == [("tls", "nothing to probe: no https service in this profile")]
    assert "NOTSET" not in outcome.stdout.str()


def test_parameters_come_from_the_catalogue_with_readable_ids(suite):
    module = """
import pytest

@pytest.mark.nondestructive
@pytest.mark.check("health")
def test_health(case):
    assert case.id == "health:backend:/h" and case.args.url.endswith("/h")
"""
    outcome, _ = suite(module, args=("-v",))
    outcome.assert_outcomes(passed=1)
    outcome.stdout.fnmatch_lines(["*test_health?backend/h? PASSED*"])


def test_a_sink_is_added_by_hook_without_touching_the_plugin(suite, pytester: pytest.Pytester):
    conftest = """
from monitor.results import CheckResult, Verdict

SEEN = []

class ListSink:
    def add(self, run, result):
        SEEN.append(("add", result.id, result.verdict.value, result.target, bool(result.run_id)))
    def close(self, run):
        SEEN.append(("close", len(run.results)))

def pytest_slurpy_sinks(config, run):
    return [ListSink()]

def pytest_unconfigure(config):
    import json, pathlib
    pathlib.Path("seen.json").write_text(json.dumps(SEEN))
"""
    module = """
import pytest
from monitor.results import CheckResult, Verdict

@pytest.mark.nondestructive
def test_judged(verdict):
    verdict(CheckResult(check="health", service="backend", path="/h", verdict=Verdict.PASS, message="ok"))
"""
    outcome, records = suite(module, conftest=conftest)
    outcome.assert_outcomes(passed=1)
    seen = json.loads((pytester.path / "seen.json").read_text())
    assert seen == [["add", "health:backend:/h", "pass", "t", True], ["close", 1]]
    assert [r["id"] for r in records] == ["health:backend:/h"]


def test_failed_check_fails_the_test_with_its_message_and_is_recorded(suite):
    module = """
import pytest
from monitor.results import Category, CheckResult, Verdict

@pytest.mark.nondestructive
def test_judged(verdict):
    verdict(CheckResult(check="health", service="backend", path="/h", verdict=Verdict.FAIL,
                        category=Category.BODY, message="backend health FAILED [body]: u: expected ok"))

@pytest.mark.nondestructive
def test_monitor_broke(verdict):
    raise RuntimeError("boom")

@pytest.mark.nondestructive
def test_not_a_check():
    pass
"""
    outcome, records = suite(module)
    outcome.assert_outcomes(failed=2, passed=1)
    by_check = {r["check"]: r for r in records}
    assert set(by_check) == {"health", "test_monitor_broke"}, "only tests that judge the target leave records"
    assert by_check["health"]["verdict"] == "fail" and by_check["health"]["duration_ms"] is not None
    assert (by_check["test_monitor_broke"]["verdict"], by_check["test_monitor_broke"]["category"]) == (
        "error",
        "monitor",
    )


def test_unknown_target_lists_the_ones_that_exist(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch):
    targets = pytester.mkdir("targets")
    (targets / "staging.toml").write_text(PROFILE.format(sensitive="true", extra="", url="https://x.example"))
    monkeypatch.setenv("SLURPY_TARGETS_DIR", str(targets))
    outcome = pytester.runpytest("--target", "prod", "-p", "no:playwright")
    assert outcome.ret == pytest.ExitCode.USAGE_ERROR
    outcome.stderr.fnmatch_lines(["*unknown target 'prod'*Targets that exist: staging*"])
