"""The load suite, proven both ways against the sandbox: every threshold it can judge holds when healthy; the
knee fault breaks p95 of its group only, the failing-fraction fault the failure ratio; a capacity
search finds the knee; two local workers judge as one process does; a sensitive profile is refused
without both opt-ins; a saturated generator is inconclusive; SIGTERM still reports.

Locust runs in child processes (``slurpy-load``): gevent must never be imported into pytest's."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil
import pytest

from monitor.results import read_jsonl
from slurpy_sandbox import STATE_ENV
from slurpy_sandbox.faults import FAULTS

ROOT = Path(__file__).resolve().parent.parent
GROUPS = {"load:api:backend", "load:api:frontend", "load:api:mcp", "load:chat:frontend", "load:pages:frontend"}
# A capacity target with the knee where a capacity search can find it: pollers of the backend alone,
# no pause, so that users and requests in flight are the same number; base_ms of work per request
# keeps them in flight at the server rather than queued in the generator.
KNEE, STEP = 4, 2
KNEE_PROFILE = f"""
sandbox = true
sensitive = false
[load]
users = 2
run_time_s = 10
weights = {{ health = 1 }}
health_interval_s = 0
settle_s = 1
spawn_rate = 50
capacity_start_users = 2
capacity_step_users = {STEP}
capacity_stage_s = 3
max_users = 12
max_duration_s = 60
[services.backend]
base_url = "https://127.0.0.1"
latency_ms = 500
[[services.backend.health]]
path = "/health/healthz"
json_equals = {{ ok = true }}
"""
BOTH_FAULTS = {"backend-latency-knee": {"knee": 0}, "frontend-failing-fraction": {}}
CHAT_TOO_FEW = {"load:chat:frontend": ("error", "monitor")}  # a short run cannot judge one account's chat
SENSITIVE_PROFILE = """
sensitive = true
allow_budget = {allow_budget}
[services.frontend]
base_url = "https://127.0.0.1:9"
latency_ms = 1000
[[services.frontend.health]]
path = "/health"
"""


@dataclass
class LoadRun:
    returncode: int
    output: str
    records: dict
    artifacts: Path

    def not_passing(self) -> dict[str, tuple[str, str | None]]:
        return {
            i: (r.verdict.value, r.category.value if r.category else None)
            for i, r in self.records.items()
            if r.verdict.value != "pass"
        }

    def failing(self) -> dict[str, tuple[str, str | None]]:
        """What broke; every other group passed or had too few requests to judge (and said so)."""
        others = [r for i, r in self.records.items() if r.verdict.value not in ("pass", "fail")]
        assert all(r.category.value == "monitor" and "requests" in r.message for r in others), self.output
        return {i: v for i, v in self.not_passing().items() if v[0] == "fail"}


@pytest.fixture(scope="module")
def load(sandbox, tmp_path_factory):
    """``load(*args, faults=..., targets=...)``: one ``slurpy-load`` run against this session's sandbox."""

    def run(
        *args: str, faults: dict[str, dict] | None = None, targets: Path | None = None, timeout: float = 120
    ) -> LoadRun:
        sandbox.clear()  # fresh rate-limit windows: the chat users' budget is per run
        for name, params in (faults or {}).items():
            sandbox.switch_on(name, **params)
        where = tmp_path_factory.mktemp("load")
        env = {**os.environ, STATE_ENV: str(sandbox.state_file), "SLURPY_TARGET": "sandbox"}
        if targets:
            env["SLURPY_TARGETS_DIR"] = str(targets)
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "monitor.commands.load",
                "--results",
                str(where / "results.jsonl"),
                "--artifacts",
                str(where / "artifacts"),
                *args,
            ],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
        )
        results = where / "results.jsonl"
        records = {r.id: r for r in read_jsonl(results)} if results.exists() else {}
        return LoadRun(proc.returncode, proc.stdout + proc.stderr, records, where / "artifacts")

    return run


@pytest.fixture(scope="module")
def faulty_run(load):
    """Both load faults at once, each breaking its own group (one run proves both, and gives the
    workers' comparison two different failures). The knee at 0: every backend request waits for
    every other one in flight. 8 s: chat turns are 3.75 s apart on the sandbox's limit, and a
    worker's own turns twice that."""
    return load("--run-time", "8", faults=BOTH_FAULTS)


def test_healthy_sandbox_holds_every_threshold_it_has_the_requests_to_judge(load, sandbox):
    """Chat is one account's 16 messages a minute: a short run cannot judge its p95 (20 requests), so
    that group is inconclusive, says why, and the gate is not a pass."""
    run = load("--run-time", "6")
    assert set(run.records) == GROUPS, run.output
    assert run.not_passing() == CHAT_TOO_FEW, run.output
    assert "p95 needs at least 20 requests, the judged window had" in run.records["load:chat:frontend"].message
    assert run.returncode == 3 and "gate: INCONCLUSIVE" in run.output, run.output
    assert (run.artifacts / "locust_stats.csv").exists() and (run.artifacts / "locust.html").exists()
    assert sandbox.traffic()["untagged"] == 0, "a load request went out without the synthetic-traffic tag"


def test_a_healthy_gate_whose_every_group_has_its_minimum_passes(load, tmp_path):
    profile = (ROOT / "targets" / "sandbox.toml").read_text()
    weights = "weights = { visitor = 3, health = 2, chat = 2, plans = 1 }"
    assert weights in profile
    (tmp_path / "sandbox.toml").write_text(profile.replace(weights, "weights = { visitor = 3, health = 2, plans = 1 }"))
    run = load("--run-time", "6", targets=tmp_path)
    assert set(run.records) == GROUPS - {"load:chat:frontend"}, run.output
    assert run.not_passing() == {}, run.output
    assert run.returncode == 0 and "gate: PASS" in run.output, run.output


def test_each_load_fault_breaks_exactly_its_own_group(faulty_run):
    # The knee slows the pollers down too: groups beside it may miss their minimum, and say so.
    assert faulty_run.failing() == {
        **FAULTS["backend-latency-knee"].catches,
        **FAULTS["frontend-failing-fraction"].catches,
    }, faulty_run.output
    assert faulty_run.not_passing()["load:chat:frontend"] == CHAT_TOO_FEW["load:chat:frontend"]
    assert faulty_run.returncode == 1, "a broken threshold is the finding, beside a group too small to judge"


def test_knee_breaks_p95_of_its_group(faulty_run):
    failed = faulty_run.records["load:api:backend"]
    assert "p95" in failed.message and failed.url in failed.message, failed.message


def test_failing_fraction_breaks_the_failure_ratio(faulty_run):
    failed = faulty_run.records["load:pages:frontend"]
    assert "failure ratio" in failed.message and "502" in failed.message, failed.message


def test_two_local_workers_give_the_same_verdicts_as_one_process(load, faulty_run):
    distributed = load("--run-time", "8", "--workers", "2", faults=BOTH_FAULTS)
    assert distributed.failing() == faulty_run.failing(), distributed.output
    assert set(distributed.records) == set(faulty_run.records)
    assert distributed.returncode == faulty_run.returncode


def test_capacity_search_finds_the_knee(load, tmp_path):
    (tmp_path / "knee.toml").write_text(KNEE_PROFILE)
    run = load(
        "--target",
        "knee",
        "--mode",
        "capacity",
        targets=tmp_path,
        faults={"backend-latency-knee": {"knee": KNEE, "ms_per_request": 600, "base_ms": 50}},
    )
    capacity = run.records["load:capacity"]
    # Stages step by STEP users; the last one that held is at the knee or within one step under it.
    assert KNEE - STEP < capacity.details["capacity_users"] <= KNEE, run.output
    assert capacity.details["first_breach"].startswith("api:backend: p95"), run.output
    assert run.returncode == 0, run.output


@pytest.mark.parametrize(
    "allow_budget,flags,missing",
    [
        ("false", [], "allow_budget = true in targets/prod.toml and --spend-budget on the command line"),
        ("true", [], "--spend-budget on the command line"),
        ("false", ["--spend-budget"], "allow_budget = true in targets/prod.toml"),
    ],
)
def test_sensitive_profile_is_refused_without_both_opt_ins(tmp_path, allow_budget, flags, missing):
    (tmp_path / "prod.toml").write_text(SENSITIVE_PROFILE.format(allow_budget=allow_budget))
    env = {**os.environ, "SLURPY_TARGETS_DIR": str(tmp_path), "SLURPY_TARGET": "prod"}
    proc = subprocess.run(
        [sys.executable, "-m", "monitor.commands.load", *flags],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "target prod is sensitive" in proc.stderr and proc.stderr.strip().endswith(f"missing: {missing}")


def test_a_run_over_the_profile_bounds_is_refused_before_it_starts(load):
    run = load("--users", "41")
    assert run.returncode == 2 and not run.records, run.output
    assert "41 users is over the bound of 40 (targets/sandbox.toml [load] max_users" in run.output


def test_a_429_the_scenario_provoked_is_its_own_bug_not_the_target_failing(load, tmp_path):
    """A profile that claims a hundred times the chat limit the sandbox enforces: chat users paced
    on that claim, barely thinking, run into the real limit within a second or two."""
    profile = (ROOT / "targets" / "sandbox.toml").read_text()
    for line, claim in (
        (
            'path = "/api/proxy-chat-stream"\nauth = true\nlimit = 20',
            'path = "/api/proxy-chat-stream"\nauth = true\nlimit = 2000',
        ),
        ("weights = { visitor = 3, health = 2, chat = 2, plans = 1 }", "weights = { chat = 1 }"),
        ("think_time_s = [0.2, 0.5]", "think_time_s = [0, 0.1]"),
    ):
        assert line in profile
        profile = profile.replace(line, claim)
    (tmp_path / "sandbox.toml").write_text(profile)
    run = load("--run-time", "6", "--users", "4", targets=tmp_path)
    generator = run.records["load:generator"]
    assert "the scenario provoked" in generator.message and "rate-limit answer" in generator.message, run.output
    chat = run.records["load:chat:frontend"]
    assert chat.verdict.value == "error" and chat.details["failures"] == 0, "the 429s must stay out of the chat group"
    assert run.returncode == 3, run.output


def test_locust_run_directly_keeps_the_same_budget_gate(tmp_path):
    """Locust's own command (as on other machines) refuses too: the gate lives in the locustfile."""
    (tmp_path / "prod.toml").write_text(SENSITIVE_PROFILE.format(allow_budget="true"))
    env = {**os.environ, "SLURPY_TARGETS_DIR": str(tmp_path), "SLURPY_TARGET": "prod"}
    proc = subprocess.run(
        [sys.executable, "-m", "locust", "-f", "load/locustfile.py", "--headless", "-u", "1"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert proc.stderr.strip().endswith("missing: --spend-budget on the command line"), proc.stderr


def test_a_saturated_generator_is_inconclusive_not_a_pass(load):
    # 3 s: past the generator watcher's first sample (load/locustfile.py, CPU_SAMPLE_S), which is all
    # the verdict needs; the hog burns a core for as long as the run lasts.
    run = load("--run-time", "3", "--locustfile", "selftests/locustfiles/cpu_hog.py")
    assert "generator load INCONCLUSIVE [monitor]: the load generator was saturated" in run.output, run.output
    assert {r.verdict.value for r in run.records.values()} == {"error"}, run.output
    assert run.records["load:generator"].category.value == "monitor"
    assert run.returncode == 3, run.output


def test_a_lost_worker_and_sigterm_give_an_inconclusive_run_that_still_reports(sandbox, tmp_path):
    sandbox.clear()
    env = {**os.environ, STATE_ENV: str(sandbox.state_file), "SLURPY_TARGET": "sandbox"}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "monitor.commands.load",
            "--run-time",
            "60",
            "--workers",
            "2",
            "--results",
            str(tmp_path / "results.jsonl"),
            "--artifacts",
            str(tmp_path / "artifacts"),
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        stdin=subprocess.DEVNULL,
    )
    stats = tmp_path / "artifacts" / "locust_stats.csv"
    deadline = time.monotonic() + 60
    while not (stats.exists() and "pages:frontend" in stats.read_text()) and time.monotonic() < deadline:
        time.sleep(0.2)
    children = psutil.Process(proc.pid).children(recursive=True)
    workers = [c for c in children if "--worker" in c.cmdline()]
    assert len(workers) == 2
    workers[0].kill()  # a worker lost mid-run: the master must notice (after 3 missed heartbeats)
    time.sleep(4.5)
    proc.send_signal(signal.SIGTERM)
    output, _ = proc.communicate(timeout=60)
    assert proc.returncode == 3, output
    assert "stopped after" in output and "workers went missing" in output and "pages:frontend" in output, output
    records = read_jsonl(tmp_path / "results.jsonl")
    assert {r.verdict.value for r in records} == {"error"} and any(r.details.get("requests") for r in records), output
    assert not [c for c in children if c.is_running() and c.status() != psutil.STATUS_ZOMBIE], (
        "a Locust process outlived the run"
    )


def test_load_faults_at_their_defaults_are_invisible_to_single_probes(run_against_sandbox):
    """A knee at 50 requests in flight does not slow one health probe; pages are not what smoke reads."""
    run = run_against_sandbox("tests/smoke", faults={"backend-latency-knee": {}, "frontend-failing-fraction": {}})
    assert run.results and run.not_passing() == {}, run.output


def test_load_users_reach_a_protected_preview_only_with_the_profiles_header(load, sandbox, tmp_path):
    """The load users send [request] headers (targets/sandbox.toml names the bypass header): green
    behind the protection; without the header in the profile its frontend groups fail with 401s.
    The header's value appears nowhere in what the run prints or keeps."""
    protected: dict[str, dict[str, Any]] = {"frontend-requires-protection-header": {}}
    run = load("--run-time", "5", faults=protected)
    assert run.failing() == {}, run.output
    value = sandbox.state["secrets"]["SLURPY_SANDBOX_PROTECTION_BYPASS"]
    kept = [p for p in run.artifacts.rglob("*") if p.is_file() and value.encode() in p.read_bytes()]
    assert value not in run.output and kept == []
    text = (ROOT / "targets" / "sandbox.toml").read_text()
    start = text.index("[request]")
    (tmp_path / "sandbox.toml").write_text(text[:start] + text[text.index("\n[", start + 1) + 1 :])
    refused = load("--run-time", "5", faults=protected, targets=tmp_path)
    assert refused.failing().get("load:pages:frontend") == ("fail", "http status"), refused.output
