"""The history under attack (issue 18): a reader that never gives up on a line it cannot use
(item 4), a read-only history that is still readable (item 6), and a full disk that loses nothing
silently (item 5). Real files throughout; a read-only or full file system is a real tmpfs mount
when the tests run as root, else the test skips saying why."""

from __future__ import annotations

import contextlib
import gzip
import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from suite_runner import run_suite

from monitor.history import textlog
from monitor.history.sinks import SQLiteSink, TextHistorySink
from monitor.history.store import HistoryStore, RunInfo, rebuild
from monitor.pipeline import JsonlSink, Run, RunRecorder
from monitor.results import Category, CheckResult, Verdict
from slurpy_sandbox import STATE_ENV

ROOT = Path(__file__).resolve().parent.parent
SLURPY_MONITOR = [sys.executable, "-m", "monitor.commands.monitor"]
T0 = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)


@contextlib.contextmanager
def tmpfs(where: Path, size: str) -> Iterator[Path]:
    if os.geteuid() != 0:
        pytest.skip(
            "needs root to mount a small tmpfs (a real full or read-only file system); run the self-tests as root"
        )
    where.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)], capture_output=True, text=True
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({mounted.stderr.strip()}): a container without CAP_SYS_ADMIN")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=True)


def record_run(folder: Path, n: int, target: str = "prod", started: datetime = T0) -> Run:
    run = Run(target=target, started=started, schedule="*/5 * * * *", runner="gh")
    recorder = RunRecorder(
        run,
        [JsonlSink(folder / f"{run.run_id}.jsonl"), SQLiteSink(folder / "h.sqlite"), TextHistorySink(folder / "text")],
    )
    for i in range(n):
        recorder.add(
            CheckResult(
                check="health", service=f"s{i}", path="/h", verdict=Verdict.PASS, message=f"m{i}", suite="smoke"
            )
        )
    recorder.close()
    return run


# item 4: the reader never gives up

NEWER = {
    "verdict": "degraded",
    "check": "health",
    "service": "s9",
    "message": "m",
    "time": "2026-11-27T10:00:05+00:00",
    "run_id": "RUN",
    "suite": "smoke",
    "target": "prod",
    "evidence": {"from": "a newer monitor"},
}
UNUSABLE: dict[str, tuple[dict[str, Any], str]] = {
    "unknown verdict": (NEWER, "unknown verdict 'degraded' (written by a newer monitor?)"),
    "unknown category": ({**NEWER, "verdict": "fail", "category": "quantum"}, "unknown category 'quantum'"),
    "null verdict": ({**NEWER, "verdict": None}, "field 'verdict' is null"),
    "missing message": (
        {k: v for k, v in NEWER.items() if k != "message"} | {"verdict": "pass"},
        "field 'message' is missing",
    ),
    "wrong type": ({**NEWER, "verdict": "pass", "attempts": "three"}, "field 'attempts' is str"),
    "bad time": ({**NEWER, "verdict": "pass", "time": "yesterday"}, "field 'time' is not an ISO 8601 time"),
    "run line without start": (
        {"kind": "run", "run_id": "X", "target": "prod", "started": None},
        "run line: field 'started' is null",
    ),
    "time without its offset": (
        {**NEWER, "verdict": "pass", "time": "2026-11-27T10:00:05"},
        "field 'time' has no UTC offset",
    ),
    "run start without its offset": (
        {"kind": "run", "run_id": "Y", "target": "prod", "started": "2026-11-27T10:00:00"},
        "run line: field 'started' has no UTC offset",
    ),
}


def test_a_run_line_in_another_zone_is_kept_in_utc_and_this_monitors_own_unchanged():
    """Windows compare run starts as text: 10:00+02:00 is 08:00 UTC, and must sort as such."""
    east = RunInfo.from_line({"run_id": "E", "target": "prod", "started": "2026-11-27T10:00:00+02:00"})
    assert east.started == "2026-11-27T08:00:00+00:00"
    own = "2026-11-27T10:00:00.123+00:00"
    assert RunInfo.from_line({"run_id": "O", "target": "prod", "started": own, "finished": own}).started == own


@pytest.fixture
def spoiled(tmp_path):
    """A day of text history from a real run, with every kind of unusable line among its lines."""
    run = record_run(tmp_path, 3)
    day = textlog.day_file(tmp_path / "text", "prod", T0)
    lines = day.read_bytes().splitlines()
    bad = [
        json.dumps(
            {**data, "run_id": run.run_id} if "run_id" in data and data.get("kind") != "run" else data, sort_keys=True
        ).encode()
        for data, _ in UNUSABLE.values()
    ]
    torn = b'{"check": "health", "verdict": "pa'
    usable_newer = json.dumps({**NEWER, "verdict": "pass", "run_id": run.run_id, "service": "s3", "url": None}).encode()
    day.write_bytes(b"\n".join(lines[:2] + bad + [torn] + lines[2:] + [usable_newer]) + b"\n")
    return run, day, bad, torn, usable_newer


def test_every_unusable_line_is_set_aside_with_file_and_line_and_the_rest_imported(spoiled, tmp_path):
    run, day, bad, torn, usable_newer = spoiled
    with HistoryStore(tmp_path / "fresh.sqlite") as store:
        done = store.import_file(day)
        kept = store.results(run.run_id)
    # 3 records of the run and the newer monitor's usable one (its unknown field left out, its null a default)
    assert done.records == 4 and done.runs == 1
    assert sorted(r.service for r in kept) == ["s0", "s1", "s2", "s3"]
    reasons = [s.reason for s in done.set_aside]
    assert [s.line for s in done.set_aside] == list(range(3, 3 + len(UNUSABLE) + 1))
    assert all(s.file == str(day) for s in done.set_aside)
    for (_, says), reason in zip(UNUSABLE.values(), reasons, strict=False):
        assert says in reason
    assert "torn" in reasons[-1]


def test_a_newer_monitors_lines_round_trip(spoiled, tmp_path):
    """Set aside is not thrown away: the SQLite history keeps each line byte for byte, the text
    history is never rewritten (compaction copies bytes), so a newer monitor rebuilding from it, or
    reading the set-aside table, gets every value back."""
    run, day, bad, torn, usable_newer = spoiled
    before = day.read_bytes()
    done = rebuild(tmp_path / "text", tmp_path / "rebuilt.sqlite")
    assert done.records == 4 and len(done.set_aside) == len(UNUSABLE) + 1
    with sqlite3.connect(tmp_path / "rebuilt.sqlite") as db:
        kept = [row[0] for row in db.execute("SELECT raw FROM set_aside ORDER BY line")]
    assert kept == [*bad, torn]
    assert day.read_bytes() == before
    [month] = textlog.compact(tmp_path / "text", date(2026, 12, 31))
    assert gzip.decompress(month.read_bytes()) == before
    again = rebuild(tmp_path / "text", tmp_path / "from-month.sqlite")
    assert (again.records, [s.reason for s in again.set_aside]) == (done.records, [s.reason for s in done.set_aside])


def test_import_and_rebuild_say_what_they_set_aside_and_succeed(spoiled, tmp_path):
    run, day, *_ = spoiled
    for args in (
        ["history", "import", str(day), "--history", str(tmp_path / "a.sqlite")],
        ["history", "rebuild", "--from", str(tmp_path / "text"), "--to", str(tmp_path / "b.sqlite")],
    ):
        proc = subprocess.run([*SLURPY_MONITOR, *args], capture_output=True, text=True, timeout=60, cwd=tmp_path)
        assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stdout + proc.stderr
        assert f"set aside {len(UNUSABLE) + 1} line(s)" in proc.stdout
        assert f"{day}:3: unknown verdict 'degraded'" in proc.stdout
        assert "4 records" in proc.stdout


def test_a_compacted_month_cut_off_part_way_gives_what_it_held(tmp_path):
    record_run(tmp_path, 50)
    [month] = textlog.compact(tmp_path / "text", date(2026, 12, 31))
    whole = month.read_bytes()
    month.write_bytes(whole[: len(whole) * 2 // 3])
    with HistoryStore(tmp_path / "cut.sqlite") as store:
        done = store.import_file(month)
    assert 0 < done.records < 50
    assert any("compressed file cut off" in s.reason for s in done.set_aside)


# item 6: a read-only history is readable


def test_uptime_and_status_page_read_a_history_on_a_read_only_mount(tmp_path):
    with tmpfs(tmp_path / "ro", "4m") as mount:
        record_run(mount, 3, target="sandbox", started=datetime.now(UTC))
        history = mount / "h.sqlite"
        # A history whose -shm is gone (copied from a data branch, a crashed writer): SQLite cannot
        # set up its locks on a read-only mount; and the -wal a crash left is not read (stated).
        for leftover in (Path(f"{history}-shm"), Path(f"{history}-wal")):
            leftover.unlink(missing_ok=True)
        subprocess.run(["mount", "-o", "remount,ro", str(mount)], check=True)
        uptime = subprocess.run(
            [*SLURPY_MONITOR, "uptime", "--target", "sandbox", "--history", str(history), "--json"],
            capture_output=True,
            text=True,
            timeout=60,
            cwd=tmp_path,
        )
        page = subprocess.run(
            [
                *SLURPY_MONITOR,
                "status-page",
                "--target",
                "sandbox",
                "--history",
                str(history),
                "--out",
                str(tmp_path / "page"),
            ],
            capture_output=True,
            text=True,
            timeout=60,
            cwd=tmp_path,
        )
        gaps = subprocess.run(
            [*SLURPY_MONITOR, "history", "gaps", "--target", "sandbox", "--history", str(history)],
            capture_output=True,
            text=True,
            timeout=60,
            cwd=tmp_path,
        )
    assert uptime.returncode == 0, uptime.stderr
    assert json.loads(uptime.stdout)["target"] == "sandbox"
    assert page.returncode == 0 and (tmp_path / "page" / "index.html").is_file(), page.stderr
    assert gaps.returncode == 0 and "sandbox smoke: " in gaps.stdout and "1 up" in gaps.stdout, (
        gaps.stdout + gaps.stderr
    )


def test_reading_a_history_that_does_not_exist_creates_nothing(tmp_path):
    proc = subprocess.run(
        [*SLURPY_MONITOR, "uptime", "--target", "sandbox", "--history", str(tmp_path / "none.sqlite")],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    assert not (tmp_path / "none.sqlite").exists()


# item 5: nothing silently lost on a full disk


def smoke(sandbox, folder: Path, history_dir: Path, results: Path):
    return run_suite(
        "tests/smoke",
        results,
        "--history-dir",
        str(history_dir),
        "--history",
        str(folder / "h.sqlite"),
        env={STATE_ENV: str(sandbox.state_file), "SLURPY_TARGET": "sandbox"},
    )


def text_records(history_dir: Path, run_id: str) -> list[str]:
    return [
        data["id"]
        for path in textlog.history_files(history_dir)
        for data in textlog.read_file(path).lines
        if data.get("run_id") == run_id and data.get("kind") != textlog.RUN
    ]


def test_a_full_disk_loses_no_record_silently_and_the_next_run_appends_them(sandbox, tmp_path):
    sandbox.clear()
    results_dir = tmp_path / "results"
    results_dir.mkdir()
    with tmpfs(tmp_path / "full", "64k") as disk:
        history_dir = disk / "history"
        # Leave one page (4 KiB) free: room for a few records of the run, not for all of them.
        filler = disk / "filler"
        with contextlib.suppress(OSError), filler.open("wb") as fh:
            while True:
                fh.write(b"\0" * 4096)
                fh.flush()
        filler.write_bytes(filler.read_bytes()[:-4096])
        first = smoke(sandbox, tmp_path, history_dir, results_dir / "first.jsonl")

        records = list(first.results.values())
        [run_id] = {r.run_id for r in records}
        lost_record = first.results["history:text"]
        kept = text_records(history_dir, run_id)
        # The verdict and the results file are whole; the text history kept some; the run says the
        # monitor failed, names what was lost, and leaves a marker for the next run.
        assert first.returncode == 1, first.output[-3000:]
        assert all(r.ok for r in records if r.id != "history:text"), first.not_passing()
        assert (lost_record.verdict, lost_record.category) == (Verdict.ERROR, Category.MONITOR)
        assert "text history INCONCLUSIVE [monitor]: it could not take" in lost_record.message
        assert 0 < len(kept) < len(records) - 1
        missing = [r.id for r in records if r.id not in kept and r.id != "history:text"]
        assert f"could not take {len(records) - 1 - len(kept)} of {len(records) - 1} records" in first.output
        assert all(check_id in first.output for check_id in missing[:10]) and "No space left on device" in first.output
        assert "the next run with that results folder appends them" in first.output
        assert list(results_dir.glob(f"*{textlog.PENDING_SUFFIX}"))

        filler.unlink()  # space again
        second = smoke(sandbox, tmp_path, history_dir, results_dir / "second.jsonl")
        assert second.returncode == 0, second.output[-3000:]
        assert "text history: appended" in second.output
        assert text_records(history_dir, run_id) == [r.id for r in records]  # every record, once, in order
        assert not list(results_dir.glob(f"*{textlog.PENDING_SUFFIX}*"))

        third = smoke(sandbox, tmp_path, history_dir, results_dir / "third.jsonl")
        assert third.returncode == 0 and "text history: appended" not in third.output
        assert text_records(history_dir, run_id) == [r.id for r in records]  # idempotent by run id
        rebuilt = rebuild(history_dir, tmp_path / "rebuilt.sqlite")
        assert not rebuilt.set_aside or all("torn" in s.reason for s in rebuilt.set_aside)
        with HistoryStore(tmp_path / "rebuilt.sqlite") as store:
            assert [r.id for r in store.results(run_id)] == [r.id for r in records]


def test_a_results_file_on_a_full_disk_is_said_and_fails_the_run(sandbox, tmp_path):
    sandbox.clear()
    with tmpfs(tmp_path / "full", "16k") as disk:
        (disk / "results.jsonl").touch()
        with contextlib.suppress(OSError), (disk / "filler").open("wb") as fh:
            while True:
                fh.write(b"\0" * 4096)
                fh.flush()
        run = subprocess.run(  # its output kept off the full disk
            [
                sys.executable,
                "-m",
                "pytest",
                "tests/smoke",
                "-q",
                "-p",
                "no:cacheprovider",
                "--results",
                str(disk / "results.jsonl"),
                "--history",
                str(tmp_path / "h.sqlite"),
                "--output",
                str(tmp_path / "a"),
            ],
            cwd=ROOT,
            env={**os.environ, STATE_ENV: str(sandbox.state_file), "SLURPY_TARGET": "sandbox"},
            capture_output=True,
            text=True,
            timeout=300,
        )
    output = run.stdout + run.stderr
    assert run.returncode == 1 and "INTERNALERROR" not in output, output[-3000:]
    assert "results file INCONCLUSIVE [monitor]:" in output and "No space left on device" in output
    with HistoryStore(tmp_path / "h.sqlite") as store:
        assert {r.id for r in store.results()} >= {"health:backend:/health/healthz", "tls:mcp"}  # the history has them
