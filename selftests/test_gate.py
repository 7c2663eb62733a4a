"""The post-deploy gate against a deployment that does not answer: one probe per service, the
phase that failed as the category, and no check run after it (instead of every check waiting
out its own timeout); against a healthy one the gate runs every check as usual."""
from __future__ import annotations

import socket

import pytest
from suite_runner import run_suite

from slurpy_sandbox import STATE_ENV


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def silent_url():
    """Accepts connections (the kernel's backlog) and never says a word."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        yield f"https://127.0.0.1:{sock.getsockname()[1]}"


def gate(sandbox, tmp_path, *args: str):
    sandbox.clear()
    return run_suite("tests/smoke", tmp_path / "r.jsonl", "tests/security", "--stop-if-unreachable", *args,
                     env={STATE_ENV: str(sandbox.state_file), "SLURPY_TARGET": "sandbox"})


@pytest.mark.parametrize("workers", [(), ("-n", "2")], ids=["serial", "xdist"])
def test_gate_against_a_url_that_refuses_stops_at_once_with_connect(sandbox, tmp_path, workers):
    dead = f"https://127.0.0.1:{free_port()}"
    run = gate(sandbox, tmp_path, "--url", f"frontend={dead}", "--url", f"backend={dead}", *workers)
    assert run.returncode == 1, run.output
    assert run.not_passing() == {"reachable:frontend": ("fail", "connect"), "reachable:backend": ("fail", "connect")}
    assert set(run.results) == {"reachable:frontend", "reachable:backend"}, "no check runs after the pre-flight"
    message = run.results["reachable:backend"].message
    assert message.startswith(f"backend reachable FAILED [connect]: {dead}/health/healthz: expected an answer, "
                              "could not connect") and message.endswith("(pre-flight: no check ran)")
    assert "Traceback" not in run.output


def test_gate_against_a_url_that_never_answers_costs_one_timeout_not_one_per_check(sandbox, tmp_path, silent_url):
    run = gate(sandbox, tmp_path, "--url", f"mcp={silent_url}")
    assert run.not_passing() == {"reachable:mcp": ("fail", "timeout")}
    assert set(run.results) == {"reachable:mcp"}, run.output
    assert run.results["reachable:mcp"].attempts == 1, "a timeout has spent its budget: no retry"


def test_gate_against_a_healthy_deployment_runs_every_check(sandbox, tmp_path):
    run = gate(sandbox, tmp_path, "--deploy-version", "v42")
    # The sandbox, like Slurpy's contract, reports no version: the gate says it compared none.
    assert run.returncode == 0 and run.not_passing() == {
        "version": ("skip", None)}, run.output
    assert not any(i.startswith("reachable:") for i in run.results)
    assert {r.deploy_version for r in run.results.values()} == {"v42"}
    assert {r.suite for r in run.results.values()} == {"smoke", "security"}
