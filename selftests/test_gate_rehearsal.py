"""The app repository's side of the gate, rehearsed with act (testkit/act_harness.py): the
example workflow examples/app-repository/slurpy-gate.yml, fed deployment_status payloads
(environment "Production" and "Preview"), calls the action at the repository root (action.yml,
as ``your-org/slurpy-monitor@v1``) against the sandbox; the history lives on the data branch of a
bare repository on disk (git's ``insteadOf`` sends the action's fetch and push of
https://github.com/your-org/slurpy-monitor.git there).

Healthy: green. The backend 300 ms slower (under its 500 ms threshold): red, with the baseline
message. A protected preview: red without the bypass header in the profile, green with it (its
secret passed by the workflow's env, as docs/github.md says), and its value in no output (the act
log with the step summary, results, JUnit, Allure results, kept traces, the data branch).

What act does not prove: GitHub's own concurrency (a cancelled, superseded gate), masking, the
real setup-uv/cache/upload-artifact actions (stand-ins), and a runner that starts clean.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from monitor.results import CheckResult, read_jsonl
from slurpy_sandbox import STATE_ENV, Sandbox
from slurpy_sandbox.faults import PROTECTION_SECRET_ENV
from testkit.act_harness import ActRun, Rehearsal

ROOT = Path(__file__).resolve().parent.parent
ACTION = "your-org/slurpy-monitor@v1"
EXAMPLE = ROOT / "examples" / "app-repository" / "slurpy-gate.yml"
TARGETS = {"Production": "production", "Preview": "staging"}
NO_VERSION = {"version": "skip"}  # the sandbox, like Slurpy, reports no version: the gate says it compared none
# Floors a loaded machine's loopback stalls never cross, which the 300 ms fault does (test_gate.py says why).
WIDE_FLOORS = "\n[gate]\np50_floor_ms = 100\np95_floor_ms = 200\n"
HISTORY_TOKEN = "history-token-never-shown-7f3a"
PROTECTED = "frontend-requires-protection-header"

# Minutes (six gate jobs, every suite in each): in `./run tests --full` (CI, nightly), not in `./run tests`.
# Under `-n` the whole module runs on one worker (selftests/conftest.py), so its rehearsal runs once.
pytestmark = pytest.mark.slow

BYPASS_VARIABLE = "VERCEL_AUTOMATION_BYPASS_SECRET"  # what the example workflow maps from secrets


def sandbox_profile(with_header: bool) -> str:
    """targets/sandbox.toml as staging, its bypass header's secret named as a team would (the
    variable Vercel's docs use), or without any: a profile from before the preview was protected.
    (Production is targets/sandbox.toml itself, whose header secret the sandbox hands over.)"""
    text = (ROOT / "targets" / "sandbox.toml").read_text()
    start = text.index("[request]")
    end = text.index("\n[", start + 1)
    text = text[:start] + text[end + 1 :]
    text = text.replace('protection_bypass = "SLURPY_SANDBOX_PROTECTION_BYPASS"\n', "")
    if with_header:
        text = text.replace("[secrets]\n", f'[secrets]\nvercel_bypass = "{BYPASS_VARIABLE}"\n', 1)
        text += (
            '\n[request]\nheaders = { "x-vercel-protection-bypass" = "secret:vercel_bypass" }\n'
            'services = ["frontend"]\n'
        )
    return text


def deployment(sandbox: Sandbox, environment: str, sha: str) -> dict:
    """What Vercel posts: a successful deployment_status, the deployment's URL the frontend's."""
    return {
        "deployment_status": {"state": "success", "environment_url": sandbox.urls["frontend"]},
        # production_environment false: the example then starts no 30-minute watch here
        "deployment": {
            "id": int(sha[:7], 16),
            "sha": sha,
            "ref": "main",
            "environment": environment,
            "production_environment": False,
        },
        "repository": {"full_name": "your-org/slurpy-app", "name": "slurpy-app", "owner": {"login": "your-org"}},
    }


class App:
    """The app repository with the example workflow, and the monitor it uses (this tree)."""

    def __init__(self, root: Path, sandbox: Sandbox):
        self.sandbox = sandbox
        self.rehearsal = Rehearsal(root)
        self.rehearsal.commit(
            {
                ".github/workflows/slurpy-gate.yml": EXAMPLE.read_text(),
                "targets/production.toml": (ROOT / "targets" / "sandbox.toml").read_text() + WIDE_FLOORS,
                "targets/staging.toml": sandbox_profile(with_header=False),
            },
            "the app's gate workflow; production and staging profiles (the sandbox)",
        )
        self.gitconfig = root / "gitconfig"
        self.gitconfig.write_text(
            f'[url "{self.rehearsal.origin.as_uri()}"]\n\tinsteadOf = https://github.com/your-org/slurpy-monitor.git\n'
        )
        self.runs: list[ActRun] = []

    def gate(self, environment: str, sha: str, faults: dict[str, dict] | None = None, bypass: bool = False) -> ActRun:
        self.sandbox.clear()
        for name, params in (faults or {}).items():
            self.sandbox.switch_on(name, **params)
        secrets = {"SLURPY_HISTORY_TOKEN": HISTORY_TOKEN}
        if bypass:
            secrets[BYPASS_VARIABLE] = self.sandbox.state["secrets"][PROTECTION_SECRET_ENV]
        done = self.rehearsal.run(
            "slurpy-gate.yml",
            "deployment_status",
            deployment(self.sandbox, environment, sha),
            env={STATE_ENV: str(self.sandbox.state_file), "GIT_CONFIG_GLOBAL": str(self.gitconfig)},
            secrets=secrets,
            actions={ACTION: self.rehearsal.repo},
            variables={"SLURPY_TARGETS": json.dumps(TARGETS)},
        )
        self.sandbox.clear()
        self.runs.append(done)
        return done

    def seed_history(self, runs: int) -> None:
        """``runs`` more passing latency runs of production on the data branch, as scheduled smoke
        runs would have left them (run here, not through act: only their records matter)."""
        clone = self.rehearsal.clone_data_branch(self.rehearsal.root / "seed")
        for n in range(runs):
            done = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "pytest",
                    "tests/smoke",
                    "-q",
                    "-p",
                    "no:cacheprovider",
                    "-k",
                    "latency",
                    "--target",
                    "production",
                    "--history",
                    "none",
                    "--no-alerts",
                    "--history-dir",
                    str(clone / "history"),
                    "--results",
                    str(self.rehearsal.root / f"seed-{n}.jsonl"),
                ],
                cwd=ROOT,
                capture_output=True,
                text=True,
                env={
                    **os.environ,
                    STATE_ENV: str(self.sandbox.state_file),
                    "SLURPY_TARGETS_DIR": str(self.rehearsal.repo / "targets"),
                },
            )
            assert done.returncode == 0, done.stdout[-2000:]
        git = ["git", "-C", str(clone), "-c", "user.name=seed", "-c", "user.email=seed@localhost"]
        subprocess.run([*git, "add", "-A"], check=True)
        subprocess.run([*git, "commit", "-q", "-m", "scheduled runs before the deploys"], check=True)
        subprocess.run([*git, "push", "-q", "origin", "monitor-data"], check=True)


def records(run: ActRun) -> dict[str, CheckResult]:
    files = sorted(run.artifacts.glob("gate-*/results/*.jsonl"))
    assert files, f"the gate uploaded no records:\n{run.output()[-3000:]}"
    return {r.id: r for f in files for r in read_jsonl(f)}


def not_passing(run: ActRun) -> dict[str, str]:
    return {i: r.verdict.value for i, r in records(run).items() if r.verdict.value not in ("pass", "flaky")}


@pytest.fixture(scope="module")
def app(sandbox, tmp_path_factory):
    app = App(tmp_path_factory.mktemp("app-repository"), sandbox)
    yield app
    app.rehearsal.close()


@pytest.fixture(scope="module")
def production(app):
    """Production deploys: the first with no history yet; then, on 7 passing runs, a healthy one
    and one whose backend answers 300 ms slower."""
    first = app.gate("Production", "1111111aaaa")
    app.seed_history(6)
    healthy = app.gate("Production", "2222222bbbb")
    slow = app.gate("Production", "3333333cccc", {"backend-slow-health": {"delay_ms": 300}})
    return first, healthy, slow


@pytest.fixture(scope="module")
def preview(app, production):
    """Preview deploys of a protected preview (the sandbox demands the bypass header): staging's
    profile without the header, then with it, then with it and a chat journey that breaks (so a
    trace is kept that saw the header)."""
    without = app.gate("Preview", "4444444dddd", {PROTECTED: {}})
    app.rehearsal.commit({"targets/staging.toml": sandbox_profile(with_header=True)}, "staging sends the bypass header")
    with_header = app.gate("Preview", "5555555eeee", {PROTECTED: {}}, bypass=True)
    traced = app.gate("Preview", "6666666ffff", {PROTECTED: {}, "chat-stream-error-frame": {}}, bypass=True)
    return without, with_header, traced


def test_a_healthy_deploy_is_green_and_says_it_has_no_baseline_yet(production):
    first, _, _ = production
    assert first.ok and first.step("your-org/slurpy-monitor@v1").ok, first.output()[-3000:]
    assert not_passing(first) == {
        **NO_VERSION,
        "baseline:backend": "skip",
        "baseline:frontend": "skip",
        "baseline:mcp": "skip",
    }
    assert (
        "no baseline yet: latency:backend on production, 0 passing run(s)" in records(first)["baseline:backend"].message
    )
    assert "Latency against the baseline" in first.log, "the step summary (act logs it) lists the comparisons"


def test_with_history_a_healthy_deploy_is_as_fast_as_before(production, app):
    _, healthy, _ = production
    assert healthy.ok and not_passing(healthy) == NO_VERSION, healthy.output()[-3000:]
    assert (
        "baseline: latency:backend on production, 7 passing run(s) over the last 7 days"
        in records(healthy)["baseline:backend"].message
    )
    versions = {
        json.loads(line).get("deploy_version")
        for f in app.rehearsal.data_branch_files()
        if f.startswith("history/production/")
        for line in app.rehearsal.data_branch(f).splitlines()
    }
    assert {"1111111aaaa", "2222222bbbb", "3333333cccc"} <= versions, "every gate's run went into the history"


def test_a_slower_deploy_is_red_with_the_baseline_message(production):
    _, _, slow = production
    assert not slow.ok and not slow.step("Gate").ok
    assert not_passing(slow) == {**NO_VERSION, "baseline:backend": "fail"}, slow.output()[-3000:]
    message = records(slow)["baseline:backend"].message
    assert (
        message.startswith("backend baseline FAILED [latency]: ") and "slower than before this deploy: p50 3" in message
    )
    assert "baseline: latency:backend on production, 8 passing run(s) over the last 7 days" in message
    assert message in slow.output(), "the message is in the job's log and step summary"


def test_a_protected_preview_is_red_without_the_header_and_green_with_it(preview):
    without, with_header, _ = preview
    assert not without.ok
    assert not_passing(without)["health:frontend:/api/health"] == "fail"
    assert "expected status 200, got 401" in records(without)["health:frontend:/api/health"].message
    assert with_header.ok and {i for i, v in not_passing(with_header).items() if v != "skip"} == set(), (
        with_header.output()[-3000:]
    )
    assert any(i.startswith("journey:") for i in records(with_header)), "the browser got in too"


def test_the_header_value_and_the_history_token_appear_in_no_output(preview, app):
    _, _, traced = preview
    assert {i: v for i, v in not_passing(traced).items() if v != "skip"} == {"journey:frontend:chat": "fail"}, (
        traced.output()[-3000:]
    )
    traces = list(traced.artifacts.rglob("trace*.zip"))
    assert traces, "the failed journey kept its trace"
    value = app.sandbox.state["secrets"][PROTECTION_SECRET_ENV]
    history = "".join(app.rehearsal.data_branch(f) for f in app.rehearsal.data_branch_files())
    for secret in (value, HISTORY_TOKEN):
        assert secret not in history
        for run in app.runs:
            assert secret not in run.log, "act's log (every step's output and the step summary)"
            kept = [p for p in run.artifacts.rglob("*") if p.is_file() and secret.encode() in p.read_bytes()]
            assert kept == [], kept
        for trace in traces:
            with zipfile.ZipFile(trace) as archive:
                assert not any(secret.encode() in archive.read(n) for n in archive.namelist())
