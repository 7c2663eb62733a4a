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


def test_the_package_entry_point_registers_every_plugin_module_in_its_order():
    from importlib.metadata import entry_points
    from pathlib import Path

    import monitor.plugins

    (entry,) = [ep for ep in entry_points(group="pytest11") if ep.value.startswith("monitor")]
    assert (entry.name, entry.value) == ("slurpy_monitor", "monitor.plugins")
    modules = {f"monitor.plugins.{p.stem}" for p in Path(monitor.plugins.__file__).parent.glob("*.py")}
    assert set(monitor.plugins.pytest_plugins) == modules - {"monitor.plugins.__init__", "monitor.plugins.hooks"}
    assert monitor.plugins.pytest_plugins[0] == "monitor.plugins.target"  # the others read its profile


def test_the_start_up_is_frozen_out_of_the_collector_once_per_process(suite):
    """This process froze its start-up when its own session was configured (monitor.plugins.startup);
    a session run inside it freezes nothing more (freezing again would add every object it made), so
    that session's garbage is still collected. Frozen objects whose last reference goes are freed."""
    import gc

    frozen = gc.get_freeze_count()
    assert frozen > 0
    outcome, _ = suite("@__import__('pytest').mark.nondestructive\ndef test_read_only(profile):\n    pass\n")
    outcome.assert_outcomes(passed=1)
    assert gc.get_freeze_count() <= frozen


def test_one_plugin_is_left_out_by_name_and_its_options_keep_their_defaults(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
):
    module = """
import pytest

@pytest.mark.nondestructive
def test_ok(verdict, pytestconfig):
    from monitor import options
    assert options.of(pytestconfig).history_dir is None
"""
    profile = PROFILE.format(sensitive="true", extra="", url="https://127.0.0.1:1")
    run = plugin_suite(pytester, monkeypatch, profile, module)
    history = pytester.path / "history.sqlite"
    run("--results", "r.jsonl").assert_outcomes(passed=1)
    assert history.exists()
    history.unlink()
    run("--results", "r.jsonl", "-p", "no:monitor.plugins.history").assert_outcomes(passed=1)
    assert not history.exists()
    assert len((pytester.path / "r.jsonl").read_text().splitlines()) == 2  # the results plugin still kept both


def test_the_catalogue_is_built_once_per_run(suite, monkeypatch: pytest.MonkeyPatch):
    from monitor.checks import catalogue

    built = []
    real = catalogue.build

    def counted(profile):
        built.append(profile.name)
        return real(profile)

    monkeypatch.setattr(catalogue, "build", counted)
    module = """
import pytest

@pytest.mark.nondestructive
@pytest.mark.check("health")
def test_health(case, verdict):
    assert case.id == "health:backend:/h"

@pytest.mark.nondestructive
@pytest.mark.check("latency")
def test_latency(case, verdict):
    assert case.args.samples > 0
"""
    outcome, _ = suite(module)
    outcome.assert_outcomes(passed=2)
    assert built == ["t"]  # collection, the budget plugin's two passes and both tests share it
