"""`slurpy-monitor` against the sandbox, as a scheduler runs it: each suite writes its records,
the history, JUnit XML, Allure results and the step summary; it gives the same records as
plain pytest; and six scheduled runs with faults switched between them (each fault once, three
deploy versions), one run missed, leave a history whose records, verdicts, versions and gaps are
what happened."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from suite_runner import artifacts_holding, run_suite

from monitor.history import textlog
from monitor.history.schedule import Status
from monitor.history.store import HistoryStore, rebuild
from monitor.results import read_jsonl
from slurpy_sandbox import STATE_ENV
from slurpy_sandbox.apps import PLANTED
from slurpy_sandbox.faults import FAULTS

SLURPY_MONITOR = Path(sys.executable).parent / "slurpy-monitor"


def slurpy_monitor(sandbox, cwd: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    cwd.mkdir(parents=True, exist_ok=True)
    environment = {**os.environ, STATE_ENV: str(sandbox.state_file), "SLURPY_TARGET": "sandbox", **(env or {})}
    for name in (
        "GITHUB_STEP_SUMMARY",
        "SLURPY_HISTORY",
        "SLURPY_HISTORY_DIR",
        "SLURPY_SCHEDULE",
        "SLURPY_DEPLOY_VERSION",
    ):
        if name not in (env or {}):
            environment.pop(name, None)
    return subprocess.run(
        [str(SLURPY_MONITOR), *args],
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=300,
    )


def records(cwd: Path):
    [results] = (cwd / "results").glob("*-sandbox.jsonl")
    return read_jsonl(results)


@pytest.mark.parametrize("suite", ["smoke", "security", "journeys"])
def test_each_suite_writes_records_history_junit_allure_and_the_step_summary(sandbox, tmp_path, suite):
    sandbox.clear()
    summary = tmp_path / "summary.md"
    done = slurpy_monitor(
        sandbox, tmp_path, "run", suite, "--deploy-version", "v7", env={"GITHUB_STEP_SUMMARY": str(summary)}
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr
    made = records(tmp_path)
    assert made and {r.suite for r in made} == {suite} and {r.deploy_version for r in made} == {"v7"}
    with HistoryStore(tmp_path / "results" / "history.sqlite") as store:
        assert [r.to_dict() for r in store.results()] == [r.to_dict() for r in made]
        assert [run.deploy_version for run in store.runs()] == ["v7"]
    # A run given a deploy version is a gate: each latency test records its baseline comparison too.
    tests = [r for r in made if r.check != "baseline"]
    assert suite != "smoke" or len(tests) < len(made)
    cases = list(ET.parse(tmp_path / "results" / "junit.xml").getroot().iter("testcase"))
    assert len(cases) == len(tests)
    labelled = [json.loads(p.read_text()) for p in (tmp_path / "results" / "allure-results").glob("*-result.json")]
    assert len(labelled) == len(tests)
    names = [({label["name"] for label in r["labels"]}, r["status"]) for r in labelled]
    assert all("target" in n and ({"service", "verdict"} <= n or status == "skipped") for n, status in names)
    assert f"**all {len(made)} checks ok**" in summary.read_text()


def test_the_scheduler_and_a_developer_get_the_same_records(sandbox, tmp_path):
    sandbox.clear()
    scheduled = slurpy_monitor(sandbox, tmp_path / "scheduler", "run", "smoke")
    assert scheduled.returncode == 0, scheduled.stdout[-3000:]
    by_hand = run_suite(
        "tests/smoke",
        tmp_path / "developer.jsonl",
        env={STATE_ENV: str(sandbox.state_file), "SLURPY_TARGET": "sandbox"},
    )

    def shape(results):
        return sorted((r.id, r.verdict.value, r.category, r.suite, r.service, r.path) for r in results)

    assert shape(records(tmp_path / "scheduler")) == shape(by_hand.results.values())


def test_a_failed_journey_carries_its_scrubbed_trace_and_screenshot_into_allure(sandbox, tmp_path):
    sandbox.clear()
    sandbox.switch_on("checkout-declines-success-card")
    done = slurpy_monitor(sandbox, tmp_path, "run", "journeys")
    assert done.returncode == 1, done.stdout[-3000:]
    allure = tmp_path / "results" / "allure-results"
    payment = [
        json.loads(p.read_text())
        for p in allure.glob("*-result.json")
        if json.loads(p.read_text())["name"] == "journey:frontend:payment"
    ]  # named by its check id
    [failed] = [r for r in payment if r["status"] == "failed"]
    attached = {a["name"] for a in failed.get("attachments", [])}
    assert "trace.zip" in attached, attached
    assert [s["name"] for s in failed["steps"] if s["status"] == "failed"], "the step that broke is marked"
    secrets = [*PLANTED.values(), *sandbox.state["secrets"].values(), "4242424242424242", "4000000000000002"]
    for secret in secrets:
        assert not artifacts_holding(allure, secret), "an Allure attachment holds a secret"


CRON = "*/5 * * * *"
# slot -> (faults switched on for that run, deploy version); slot 3 is the run GitHub dropped. Each
# fault once, each version on a healthy and a failing run, the dropped run between an up and a down.
PLAN = {
    0: ({}, "v1"),
    1: ({"backend-degraded"}, "v1"),
    2: ({}, "v2"),
    4: ({"mcp-down"}, "v2"),
    5: ({}, "v3"),
    6: ({"frontend-health-5xx"}, "v3"),
}
SLOTS = max(PLAN) + 1
BASE = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
# The sandbox, like Slurpy's contract, reports no version: a run given one says it compared none.
NO_VERSION_SOURCE = {"version": ("skip", None)}


def test_six_scheduled_runs_and_a_missed_one_leave_a_history_that_matches(sandbox, tmp_path):
    history, text = tmp_path / "history.sqlite", tmp_path / "text"
    run_ids = {}
    for slot, (faults, version) in PLAN.items():
        sandbox.clear()
        for fault in faults:
            sandbox.switch_on(fault)
        done = slurpy_monitor(
            sandbox,
            tmp_path / f"run{slot}",
            "run",
            "smoke",
            "--history",
            str(history),
            "--history-dir",
            str(text),
            "--schedule",
            CRON,
            "--deploy-version",
            version,
        )
        assert done.returncode == (1 if faults else 0), done.stdout[-3000:]
        [run_ids[slot]] = {r.run_id for r in records(tmp_path / f"run{slot}")}

    # GitHub's clock, simulated: each run's lines move to its slot (the runs took seconds, not an hour).
    lines = [line for day_file in textlog.history_files(text) for line in textlog.read_file(day_file).lines]
    started = {line["run_id"]: datetime.fromisoformat(line["started"]) for line in lines if line.get("kind") == "run"}
    slot_of = {run_id: slot for slot, run_id in run_ids.items()}
    shifted = tmp_path / "shifted"
    for line in lines:
        moved = BASE + timedelta(minutes=5 * slot_of[line["run_id"]], seconds=20)
        for key in ("started", "finished", "time"):
            if line.get(key):
                when = moved + (datetime.fromisoformat(line[key]) - started[line["run_id"]])
                line[key] = when.isoformat(timespec="milliseconds")
        textlog.append_line(textlog.day_file(shifted, "sandbox", moved), line)
    rebuilt = tmp_path / "rebuilt.sqlite"
    imported = rebuild(shifted, rebuilt)
    assert imported.runs == len(PLAN) and not imported.skipped_lines

    with HistoryStore(history) as live, HistoryStore(rebuilt) as store:
        assert store.count() == live.count()
        for slot, (faults, version) in PLAN.items():
            kept = store.results(run_ids[slot])
            expected = {i: v for fault in faults for i, v in FAULTS[fault].catches.items()} | NO_VERSION_SOURCE
            assert {r.id: (r.verdict.value, r.category) for r in kept if r.verdict.value != "pass"} == expected
            assert {r.deploy_version for r in kept} == {version}
            assert [r.to_dict() for r in live.results(run_ids[slot])] == [
                {**r.to_dict(), "time": live_time}
                for r, live_time in zip(kept, [x.time for x in live.results(run_ids[slot])], strict=False)
            ]
        slots = store.timeline("sandbox", "smoke", now=BASE + timedelta(minutes=5 * SLOTS))
    assert [(int((s.start - BASE).total_seconds() // 300), s.status) for s in slots] == [
        (slot, Status.UNKNOWN if slot not in PLAN else Status.DOWN if PLAN[slot][0] else Status.UP)
        for slot in range(SLOTS)
    ]
    assert [s.run_ids for s in slots if s.status is Status.UNKNOWN] == [[]]
