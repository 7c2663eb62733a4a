"""The heart of the project's tests: every check passes on the healthy sandbox and fails on the
fault it exists to catch, while every other check stays green.

Each case runs the real suite (its test modules, in a child pytest) against one shared sandbox
whose faults are switched at run time, and compares the recorded check results with what the
fault registry says must happen.

Faults that cannot disturb each other's checks share a child run (``fault_groups``): a fault that
takes a whole service away (down, another certificate) reaches every check of that service, a smoke
fault every smoke check of its service (they all read its health routes), any other fault the checks
it catches, and those of a rule-based check on the same route (its limiter, its sign-in gate). In a
group no two faults reach the same thing, so each check has at most one fault that may change it:
the run must give exactly the union of the members' expectations, each check the verdict, category
and words of the fault that claims it, every unclaimed check a pass. ``--one-fault-per-run`` runs
every fault alone instead (the longer proof, for when the grouping itself is in doubt).
"""

from __future__ import annotations

import fcntl
import pickle
from collections.abc import Callable, Iterable
from pathlib import Path

import pytest
from suite_runner import SuiteRun, artifacts_holding, run_suite

from slurpy_sandbox import STATE_ENV
from slurpy_sandbox.apps import PLANTED
from slurpy_sandbox.faults import FAULTS, Fault

SUITES = {"smoke": "tests/smoke", "security": "tests/security", "journeys": "tests/journeys"}
FAULTS_BY_SUITE = {suite: [f for f in FAULTS.values() if f.suite == suite] for suite in SUITES}
WHOLE_SERVICE = ""  # a reach that covers everything a service answers
ROUTE_METHODS = ("GET ", "POST ", "PUT ", "PATCH ", "DELETE ")


def reach(fault: Fault) -> set[tuple[str, str]]:
    """What a fault may disturb, as (service, part): the part is a check id, a route that several
    rule-based checks probe (``POST /api/journal``), or the whole service."""
    if fault.down or fault.cert:
        return {(fault.service, WHOLE_SERVICE)}
    if fault.suite == "smoke":
        return {(fault.service, WHOLE_SERVICE)} | {
            (check_id.split(":")[1], WHOLE_SERVICE) for check_id in fault.catches
        }
    parts = set()
    for check_id in fault.catches:
        _, service, *rest = check_id.split(":", 2)
        route = rest[0] if rest and rest[0].startswith(ROUTE_METHODS) else None
        parts.add((service, route or check_id))
    return parts


def reaches_meet(a: set[tuple[str, str]], b: set[tuple[str, str]]) -> bool:
    return any((s, p) == (t, q) or (s == t and WHOLE_SERVICE in (p, q)) for s, p in a for t, q in b)


def fault_groups(faults: Iterable[Fault]) -> list[tuple[Fault, ...]]:
    """The faults in as few child runs as first fit gives, no two in a run whose reaches meet."""
    groups: list[list[Fault]] = []
    for fault in faults:
        for group in groups:
            if not any(reaches_meet(reach(fault), reach(other)) for other in group):
                group.append(fault)
                break
        else:
            groups.append([fault])
    return [tuple(group) for group in groups]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "faults" in metafunc.fixturenames:
        alone = metafunc.config.getoption("one_fault_per_run")
        cases = [
            (suite, group)
            for suite, faults in FAULTS_BY_SUITE.items()
            for group in ([(f,) for f in faults] if alone else fault_groups(faults))
        ]
        metafunc.parametrize("suite,faults", cases, ids=["+".join(f.name for f in group) for _, group in cases])


def test_every_fault_is_proven_by_some_suite():
    """Faults of a suite not named here would be silently skipped; load faults are judged by the
    load suite's records, outside pytest, and proven in selftests/test_load.py; gate faults (a
    protected preview) in selftests/test_gate.py."""
    assert {fault.suite for fault in FAULTS.values()} <= {*SUITES, "load", "gate"}


@pytest.mark.parametrize("suite", SUITES)
def test_each_fault_is_in_one_group_whose_faults_reach_nothing_in_common(suite):
    groups = fault_groups(FAULTS_BY_SUITE[suite])
    assert sorted(f.name for group in groups for f in group) == sorted(f.name for f in FAULTS_BY_SUITE[suite])
    for group in groups:
        for i, fault in enumerate(group):
            for other in group[i + 1 :]:
                assert not reaches_meet(reach(fault), reach(other)), (fault.name, other.name)
                assert not set(fault.catches) & set(other.catches), (fault.name, other.name)


def test_the_reach_keeps_apart_what_shares_a_service_or_a_route():
    """What the grouping relies on, on faults whose effects are known to meet."""
    pairs_that_meet = [
        ("frontend-down", "frontend-health-5xx"),  # a service gone takes every check of it along
        ("frontend-cert-expired", "frontend-missing-csp"),  # so does a certificate no client accepts
        ("backend-degraded", "backend-slow-health"),  # one health route, read by health and latency
        ("frontend-rate-limit-off", "frontend-csrf-not-checked"),  # the same write routes
        ("frontend-missing-csp", "frontend-weak-hsts"),  # the same checks
    ]
    for a, b in pairs_that_meet:
        assert reaches_meet(reach(FAULTS[a]), reach(FAULTS[b])), (a, b)
    assert not reaches_meet(reach(FAULTS["frontend-missing-csp"]), reach(FAULTS["backend-docs-public"]))
    assert not reaches_meet(reach(FAULTS["signup-button-hidden"]), reach(FAULTS["chat-stream-empty"]))


class Healthy:
    """Each suite run against the healthy sandbox once for the whole session, when a test first asks
    for it. Under xdist the first worker to ask runs it and the others read its run from the shared
    temporary folder (each worker has its own sandbox, but a healthy run's checks and verdicts do
    not depend on which one answered): four workers would otherwise run the three suites four times."""

    def __init__(self, run: Callable[..., SuiteRun], shared: Path | None):
        self._run, self._shared = run, shared
        self._runs: dict[str, SuiteRun] = {}

    def __getitem__(self, suite: str) -> SuiteRun:
        if suite not in self._runs:
            self._runs[suite] = self._once(suite)
        return self._runs[suite]

    def values(self) -> Iterable[SuiteRun]:
        return (self[suite] for suite in SUITES)

    def _once(self, suite: str) -> SuiteRun:
        if self._shared is None:
            return self._run(SUITES[suite])
        kept = self._shared / f"healthy-{suite}.pickle"
        with (self._shared / f"healthy-{suite}.lock").open("w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # the others wait for the one that runs it
            if kept.exists():
                return pickle.loads(kept.read_bytes())
            run = self._run(SUITES[suite])
            kept.write_bytes(pickle.dumps(run))
            return run


@pytest.fixture(scope="session")
def healthy(run_against_sandbox, tmp_path_factory, worker_id):
    """Each suite run once against the healthy sandbox (see :class:`Healthy`)."""
    return Healthy(run_against_sandbox, None if worker_id == "master" else tmp_path_factory.getbasetemp().parent)


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


def expectations(faults: tuple[Fault, ...]) -> dict[str, tuple[str, str]]:
    """The union of the faults' expectations (their caught checks never overlap in a group)."""
    return {check_id: expected for fault in faults for check_id, expected in fault.catches.items()}


def differences(run: SuiteRun, faults: tuple[Fault, ...]) -> str:
    """Each check whose outcome is not the expected one, with the fault that claims it."""
    claimed = {check_id: fault.name for fault in faults for check_id in fault.catches}
    expected, got = expectations(faults), run.not_passing()
    lines = [
        f"{check_id}: expected {expected.get(check_id, 'pass')} ({claimed.get(check_id, 'no fault')}), "
        f"got {got.get(check_id, 'pass')}"
        for check_id in sorted(set(expected) | set(got))
        if expected.get(check_id) != got.get(check_id)
    ]
    return "\n".join(lines) + "\n" + run.output


def test_faults_are_caught_by_exactly_their_checks(healthy, run_against_sandbox, sandbox, suite, faults):
    expected_ids = set(healthy[suite].results)
    run = run_against_sandbox(SUITES[suite], faults={fault.name: {} for fault in faults})
    assert set(run.results) == expected_ids, f"the same checks must run under a fault:\n{run.output}"
    assert run.not_passing() == expectations(faults), differences(run, faults)
    failed = [r for r in run.results.values() if r.verdict.value == "fail"]
    for result in failed + [r for r in run.results.values() if r.verdict.value == "warn"]:
        # What a tired on-call person needs on one line: which service, which URL, why.
        assert result.service in result.message and result.url in result.message, result.message
        assert f"[{result.category.value}]" in result.message, result.message
    for fault in faults:
        for check_id in fault.catches:  # e.g. which header escaped the limiter: the fix starts there
            message = run.results[check_id].message
            assert all(words in message for words in fault.says), f"{fault.name}: {message}"
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


def test_xdist_workers_share_one_sandbox_started_by_the_controller_and_give_the_serial_verdicts(healthy, tmp_path):
    """Two workers, the sandbox the run starts itself: the verdicts the serial matrix proves for the
    fault, on the same checks, all from one sandbox."""
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
    assert set(run.results) == set(healthy["smoke"].results)
    backend_urls = {r.url.split("/health")[0] for r in run.results.values() if r.service == "backend"}
    assert len(backend_urls) == 1, f"workers used different sandboxes: {backend_urls}"
