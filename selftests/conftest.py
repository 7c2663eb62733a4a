"""Fixtures for the project's own tests: one sandbox for the session, and a runner that points
a child pytest at it with faults switched on."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from suite_runner import SuiteRun, run_suite

from slurpy_sandbox import STATE_ENV, Sandbox


@pytest.fixture(scope="session")
def sandbox() -> Iterator[Sandbox]:
    sandbox = Sandbox.start()
    yield sandbox
    sandbox.stop()


@pytest.fixture(scope="session")
def run_against_sandbox(sandbox: Sandbox, tmp_path_factory: pytest.TempPathFactory) -> Callable[..., SuiteRun]:
    """Run a suite against this session's sandbox with the given faults switched on."""

    def run(suite: str, *args: str, faults: dict[str, dict] | None = None) -> SuiteRun:
        sandbox.clear()  # also resets rate-limit windows and traffic counters: each run starts fresh
        for name, params in (faults or {}).items():
            sandbox.switch_on(name, **params)
        return run_suite(
            suite,
            tmp_path_factory.mktemp("run") / "results.jsonl",
            *args,
            env={STATE_ENV: str(sandbox.state_file), "SLURPY_TARGET": "sandbox"},
        )

    return run


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--one-fault-per-run",
        action="store_true",
        help="fault matrix: a child run per fault, rather than one per group of faults that reach nothing in common",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "slow: minutes each (act rehearsals of the workflows); `./run tests --full` (CI, nightly) "
        "runs them, `./run tests` leaves them out",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The longest work first (their relative order kept): the slow ones, then the fault matrix (its
    journeys groups wait out broken steps' timeouts), then the other tests that start child runs,
    then the unit tests. Under `-n` the workers take the long work while there is other work to
    overlap it, rather than one of them finishing alone with a long test taken last."""

    def rank(item: pytest.Item) -> tuple[bool, bool, bool]:
        module = item.nodeid.split("::", 1)[0]
        return (
            item.get_closest_marker("slow") is None,
            module != "selftests/test_fault_matrix.py",
            module.startswith("selftests/unit/"),
        )

    items.sort(key=rank)


# Modules whose tests read one module-scoped rehearsal (minutes of act jobs): under -n each runs whole
# on one worker, else both workers would rehearse it. xdist_group marks would say so, but xdist 3.8
# reads them no more under pytest 9.2 (pytest-dev/pytest-xdist#1386; monitor/plugins/budget.py
# schedules the suites' budget groups the same way).
WHOLE_MODULES = ("selftests/test_rehearsal.py", "selftests/test_gate_rehearsal.py")


@pytest.hookimpl(tryfirst=True)  # before the suites' budget scheduler, which has no groups here
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    from xdist.scheduler import LoadScopeScheduling

    class WholeRehearsals(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            module = nodeid.split("::", 1)[0]
            return module if module in WHOLE_MODULES else nodeid

    return WholeRehearsals(config, log)
