"""A history that cannot be written (locked, read-only, corrupt, an older schema) is said in
words that name the file and what to do, while the run keeps its verdict and its results file;
two writers at once lose nothing; a writer killed mid-run leaves every committed record and no
half of one."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from plugin_suite import plugin_suite

from monitor.history import store as store_module
from monitor.history.store import HistoryStore

pytest_plugins = ["pytester"]

PROFILE = """
sensitive = false
[services.backend]
base_url = "https://127.0.0.1:1"
latency_ms = 500
[[services.backend.health]]
path = "/h"
"""
SUITE = """
import pytest
from monitor.results import CheckResult, Verdict

@pytest.mark.nondestructive
def test_judged(verdict):
    verdict(CheckResult(check="health", service="backend", path="/h", verdict=Verdict.PASS, message="ok"))
"""


@dataclass
class SuiteWithHistory:
    suite: Callable[..., pytest.RunResult]
    history: Path
    results: Path

    def __call__(self) -> tuple[pytest.RunResult, list[dict[str, Any]]]:
        outcome = self.suite("--results", str(self.results), "--history", str(self.history))
        return outcome, [json.loads(line) for line in self.results.read_text().splitlines()]


@pytest.fixture
def run_suite(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> SuiteWithHistory:
    suite = plugin_suite(pytester, monkeypatch, PROFILE, SUITE)
    # the history beside the suite: a path elsewhere would move pytest's rootdir
    return SuiteWithHistory(suite, pytester.path / "h.sqlite", pytester.path / "r.jsonl")


def assert_run_kept_its_verdict_and_said(outcome, records, *words: str) -> None:
    outcome.assert_outcomes(passed=1)
    assert outcome.ret == 0
    assert [r["id"] for r in records] == ["health:backend:/h"], "the results file is written whatever the history"
    notes = outcome.stdout.str().split("slurpy monitor notes", 1)[-1]
    for word in words:
        assert word in notes, notes
    assert "slurpy-monitor history import" in notes and "r.jsonl" in notes


def test_locked_history(run_suite, monkeypatch):
    history = run_suite.history
    HistoryStore(history).count()
    monkeypatch.setattr(store_module, "BUSY_TIMEOUT_S", 0.5)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            (
                "import sqlite3, sys; db = sqlite3.connect(sys.argv[1], isolation_level=None); "
                "db.execute('BEGIN EXCLUSIVE'); print('locked', flush=True); sys.stdin.read()"
            ),
            str(history),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert first_line(holder) == "locked"
        outcome, records = run_suite()
    finally:
        holder.communicate("")
    assert_run_kept_its_verdict_and_said(outcome, records, f"history {history} is locked by another process")


def test_read_only_history(run_suite):
    history = run_suite.history
    HistoryStore(history).count()
    if os.geteuid() == 0:  # root writes through file modes: make it immutable instead
        if subprocess.run(["chattr", "+i", str(history)], capture_output=True).returncode != 0:
            pytest.skip("running as root on a file system without chattr +i: cannot make a file read-only")
    else:
        history.chmod(0o444)
    try:
        outcome, records = run_suite()
    finally:
        if os.geteuid() == 0:
            subprocess.run(["chattr", "-i", str(history)], check=True)
    assert_run_kept_its_verdict_and_said(outcome, records, f"history {history} is read-only", "chmod u+w")


def test_corrupt_history(run_suite):
    history = run_suite.history
    history.write_bytes(b"not a database, whatever it once was\n" * 200)
    outcome, records = run_suite()
    assert_run_kept_its_verdict_and_said(
        outcome, records, f"history {history} is corrupt", f"mv {history}", "slurpy-monitor history rebuild"
    )


def test_history_from_an_older_schema(run_suite):
    history = run_suite.history
    with sqlite3.connect(history) as db:
        db.execute("CREATE TABLE results (run_id TEXT, check_id TEXT, verdict TEXT)")
    outcome, records = run_suite()
    assert_run_kept_its_verdict_and_said(
        outcome, records, f"history {history} has an older schema (version 0", "slurpy-monitor history rebuild"
    )
    with sqlite3.connect(history) as db:
        assert db.execute("SELECT count(*) FROM results").fetchone() == (0,), "an old history is never altered"


def test_a_history_that_works_gets_the_run(run_suite):
    history = run_suite.history
    outcome, records = run_suite()
    outcome.assert_outcomes(passed=1)
    assert "slurpy monitor notes" not in outcome.stdout.str()
    with HistoryStore(history) as store:
        assert [r.id for r in store.results()] == ["health:backend:/h"]
        assert store.runs()[0].run_id == records[0]["run_id"]


WRITER = """
import sys
from pathlib import Path
from monitor.history.sinks import SQLiteSink
from monitor.pipeline import Run, RunRecorder
from monitor.results import CheckResult, Verdict

path, name, count = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
recorder = RunRecorder(Run(target="prod", run_id=name), [SQLiteSink(path)])
for i in range(count):
    recorder.add(CheckResult(check="health", service="backend", path=f"/{i}", verdict=Verdict.PASS, message="x" * 200))
    if i == 0:
        print("writing", flush=True)
recorder.close()
assert not recorder.run.notes, recorder.run.notes
"""


def first_line(process: subprocess.Popen[str]) -> str:
    assert process.stdout is not None  # started with stdout=PIPE
    return process.stdout.readline().strip()


def _writer(path: Path, name: str, count: int) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", WRITER, str(path), name, str(count)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_two_runs_writing_at_once_lose_nothing(tmp_path):
    history = tmp_path / "h.sqlite"
    HistoryStore(history).count()
    writers = [_writer(history, name, 400) for name in ("run-a", "run-b")]
    for writer in writers:
        _, err = writer.communicate(timeout=120)
        assert writer.returncode == 0, err
    with HistoryStore(history) as store:
        kept = store.results()
        assert {r.run_id: sum(k.run_id == r.run_id for k in kept) for r in kept} == {"run-a": 400, "run-b": 400}
        assert all(run.finished for run in store.runs())


def test_a_writer_killed_midway_leaves_its_committed_records_whole(tmp_path):
    history = tmp_path / "h.sqlite"
    writer = _writer(history, "killed", 100_000)
    assert first_line(writer) == "writing"
    committed = 0
    with sqlite3.connect(history) as reader:  # wait until a good part is committed, then kill mid-stream
        while committed < 200:
            assert writer.poll() is None, writer.communicate()[1]
            committed = reader.execute("SELECT count(*) FROM results").fetchone()[0]
            time.sleep(0.01)
    os.kill(writer.pid, signal.SIGKILL)
    writer.wait()
    with sqlite3.connect(history) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    with HistoryStore(history) as store:
        kept = store.results()
        [run] = store.runs()
    assert len(kept) >= committed and run.run_id == "killed" and run.finished is None
    assert [r.path for r in kept] == [f"/{i}" for i in range(len(kept))], "every committed record, in order"
    assert all(r.message == "x" * 200 for r in kept), "no record half-written"
