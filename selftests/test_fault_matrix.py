"""The heart of the project's tests: every check passes on the healthy sandbox and fails on the
fault it exists to catch, while every other check stays green.

Each case runs the real suite (its test modules, in a child pytest) against one shared sandbox
whose faults are switched at run time, and compares the recorded check results with what the
fault registry says must happen.
"""

from __future__ import annotations

from typing import Any

import pytest
from suite_runner import artifacts_holding, run_suite

from slurpy_sandbox import STATE_ENV
from slurpy_sandbox.apps import PLANTED
from slurpy_sandbox.faults import FAULTS

SUITES = {"smoke": "tests/smoke", "security": "tests/security", "journeys": "tests/journeys"}
FAULTS_BY_SUITE = {suite: [f for f in FAULTS.values() if f.suite == suite] for suite in SUITES}


def test_every_fault_is_proven_by_some_suite():
    """Faults of a suite not named here would be silently skipped; load faults are judged by the
    load suite's records, outside pytest, and proven in selftests/test_load.py; gate faults (a
    protected preview) in selftests/test_gate.py."""
    assert {fault.suite for fault in FAULTS.values()} <= {*SUITES, "load", "gate"}


@pytest.fixture(scope="module")
def healthy(run_against_sandbox):
    """Each suite run once against the healthy sandbox."""
    return {suite: run_against_sandbox(path) for suite, path in SUITES.items()}


@pytest.mark.parametrize("suite", SUITES)
def test_healthy_sandbox_passes_every_check(healthy, suite):
    run = healthy[suite]
    assert run.results, f"the {suite} suite recorded no check results:\n{run.output}"
    assert run.not_passing() == {}, run.output
    assert run.returncode == 0, run.output


@pytest.mark.parametrize("suite", SUITES)
def test_every_check_is_exercised_by_a_fault_and_every_fault_by_a_check(healthy, suite):
    checks = set(healthy[suite].results)
    caught = {check_id for fault in FAULTS_BY_SUITE[suite] for check_id in fault.catches}
    assert checks - caught == set(), "checks that no fault proves can fail"
    assert caught - checks == set(), "faults expecting checks that the suite does not run"
    assert all(fault.catches for fault in FAULTS_BY_SUITE[suite]), "a fault that no check catches"


@pytest.mark.parametrize(
    "suite,fault",
    [(s, f) for s, faults in FAULTS_BY_SUITE.items() for f in faults],
    ids=[f.name for faults in FAULTS_BY_SUITE.values() for f in faults],
)
def test_fault_is_caught_by_exactly_its_checks(healthy, run_against_sandbox, sandbox, suite, fault):
    expected_ids = set(healthy[suite].results)
    run = run_against_sandbox(SUITES[suite], faults={fault.name: {}})
    assert set(run.results) == expected_ids, f"the same checks must run under a fault:\n{run.output}"
    assert run.not_passing() == fault.catches, run.output
    failed = [r for r in run.results.values() if r.verdict.value == "fail"]
    for result in failed + [r for r in run.results.values() if r.verdict.value == "warn"]:
        # What a tired on-call person needs on one line: which service, which URL, why.
        assert result.service in result.message and result.url in result.message, result.message
        assert f"[{result.category.value}]" in result.message, result.message
    for check_id in fault.catches:  # e.g. which header escaped the limiter: the fix starts there
        assert all(words in run.results[check_id].message for words in fault.says), run.results[check_id].message
    assert run.returncode == (1 if failed else 0), run.output
    if suite == "journeys":  # journeys create accounts and drive a browser: both must leave no trace
        assert sandbox.test_accounts() == [], "a synthetic account outlived the run"
        assert sandbox.traffic()["untagged"] == 0, "a request went out without the synthetic-traffic tag"
    secrets = [
        *PLANTED.values(),
        *sandbox.state["secrets"].values(),
        *sandbox.issued_tokens(),
        "4242424242424242",
        "4000000000000002",
    ]
    for secret in secrets:  # not even a fake secret (nor a session's token) may reach output, results or kept artifacts
        assert secret not in run.output and secret not in run.results_text
        assert not artifacts_holding(run.artifacts, secret), (
            f"a kept artifact holds a secret: {artifacts_holding(run.artifacts, secret)}"
        )


def test_all_suites_in_parallel_give_the_healthy_verdicts(healthy, run_against_sandbox):
    parallel = run_against_sandbox("tests", "-n", "2")
    assert set(parallel.results) == {i for run in healthy.values() for i in run.results}, parallel.output
    assert parallel.not_passing() == {}, parallel.output


def test_parallel_run_gives_the_same_verdicts(run_against_sandbox):
    fault: dict[str, dict[str, Any]] = {"backend-degraded": {}}
    serial = run_against_sandbox("tests/smoke", faults=fault)
    parallel = run_against_sandbox("tests/smoke", "-n", "2", faults=fault)
    assert parallel.not_passing() == serial.not_passing() == FAULTS["backend-degraded"].catches, parallel.output
    assert set(parallel.results) == set(serial.results)


def test_xdist_workers_share_one_sandbox_started_by_the_controller(tmp_path):
    run = run_suite(
        "tests/smoke",
        tmp_path / "results.jsonl",
        "-n",
        "2",
        "--sandbox-fault",
        "backend-degraded",
        env={STATE_ENV: "", "SLURPY_TARGET": "sandbox"},
    )
    assert run.not_passing() == FAULTS["backend-degraded"].catches, run.output
    backend_urls = {r.url.split("/health")[0] for r in run.results.values() if r.service == "backend"}
    assert len(backend_urls) == 1, f"workers used different sandboxes: {backend_urls}"
