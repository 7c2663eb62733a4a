"""The results history: records kept exactly once, the text form and the SQLite file agree,
torn lines are never taken for records, and a missed scheduled run is unknown, never up."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from monitor.history import textlog
from monitor.history.schedule import Cron, ObservedRun, Status, cadence_of, gaps, timeline, validate
from monitor.history.sinks import SQLiteSink, TextHistorySink
from monitor.history.store import HistoryStore, rebuild
from monitor.pipeline import JsonlSink, Run, RunRecorder
from monitor.results import Category, CheckResult, Verdict

T0 = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)


def result(i: int, verdict: Verdict = Verdict.PASS, suite: str = "smoke") -> CheckResult:
    return CheckResult(
        check="health",
        service=f"s{i}",
        path="/h",
        verdict=verdict,
        message=f"m{i}",
        suite=suite,
        category=Category.BODY if verdict is Verdict.FAIL else None,
        duration_ms=float(i),
        details={"elapsed_ms": i},
    )


def record_run(
    tmp: Path,
    n: int,
    *,
    started: datetime = T0,
    schedule: str = "",
    version: str = "v1",
    verdicts: dict[int, Verdict] | None = None,
) -> Run:
    """A run through the real pipeline into a results file, the SQLite history and the text history."""
    run = Run(target="prod", started=started, deploy_version=version, runner="gh", schedule=schedule)
    recorder = RunRecorder(
        run, [JsonlSink(tmp / f"{run.run_id}.jsonl"), SQLiteSink(tmp / "h.sqlite"), TextHistorySink(tmp / "text")]
    )
    for i in range(n):
        recorder.add(result(i, (verdicts or {}).get(i, Verdict.PASS)))
    recorder.close()
    return run


def test_every_record_is_kept_with_its_run_and_stamps(tmp_path):
    run = record_run(tmp_path, 3, verdicts={1: Verdict.FAIL})
    with HistoryStore(tmp_path / "h.sqlite") as store:
        [info] = store.runs()
        kept = store.results(run.run_id)
    assert (info.run_id, info.target, info.deploy_version, info.runner) == (run.run_id, "prod", "v1", "gh")
    assert info.finished is not None and info.started == run.started.isoformat(timespec="milliseconds")
    assert [(r.id, r.verdict, r.category, r.suite, r.deploy_version, r.runner, r.details) for r in kept] == [
        ("health:s0:/h", Verdict.PASS, None, "smoke", "v1", "gh", {"elapsed_ms": 0}),
        ("health:s1:/h", Verdict.FAIL, Category.BODY, "smoke", "v1", "gh", {"elapsed_ms": 1}),
        ("health:s2:/h", Verdict.PASS, None, "smoke", "v1", "gh", {"elapsed_ms": 2}),
    ]


def test_importing_a_runs_results_file_or_text_history_again_adds_nothing(tmp_path):
    run = record_run(tmp_path, 4)
    with HistoryStore(tmp_path / "h.sqlite") as store:
        again = store.import_file(tmp_path / f"{run.run_id}.jsonl")
        assert (again.runs, again.records) == (0, 0)
        text = store.import_file(textlog.day_file(tmp_path / "text", "prod", T0))
        assert (text.runs, text.records) == (0, 0)
        assert store.count() == 4 and len(store.runs()) == 1


def test_a_results_file_alone_makes_its_run(tmp_path):
    run = record_run(tmp_path, 2)
    with HistoryStore(tmp_path / "fresh.sqlite") as store:
        first = store.import_file(tmp_path / f"{run.run_id}.jsonl")
        assert (first.runs, first.records) == (1, 2)
        [info] = store.runs()
    assert (info.run_id, info.target, info.deploy_version) == (run.run_id, "prod", "v1")


def test_rebuild_from_text_history_equals_the_live_history(tmp_path):
    for k in range(3):
        record_run(tmp_path, 5, started=T0 + timedelta(minutes=5 * k), schedule="*/5 * * * *", version=f"v{k}")
    rebuilt = tmp_path / "rebuilt.sqlite"
    done = rebuild(tmp_path / "text", rebuilt)
    assert (done.runs, done.records) == (3, 15)
    with HistoryStore(tmp_path / "h.sqlite") as live, HistoryStore(rebuilt) as copy:
        assert copy.runs() == live.runs()
        assert [r.to_dict() for r in copy.results()] == [r.to_dict() for r in live.results()]


def test_rebuild_replaces_a_history_that_had_a_wal(tmp_path):
    record_run(tmp_path, 2)
    old = tmp_path / "old.sqlite"
    with HistoryStore(old) as store:
        store.import_file(textlog.day_file(tmp_path / "text", "prod", T0))
        store.add(result(9), seq=99)  # leaves -wal and -shm beside it until closed
        rebuild(tmp_path / "text", old)
    with HistoryStore(old) as store:
        assert store.count() == 2


def test_a_torn_last_line_is_skipped_and_the_next_writer_does_not_glue_to_it(tmp_path):
    path = tmp_path / "text" / "prod" / "2026-11-27.jsonl"
    record_run(tmp_path, 2)
    with path.open("ab") as fh:
        fh.write(b'{"kind": "run", "run_id": "torn-by-kill", "tar')
    textlog.append_line(path, result(7).to_dict() | {"run_id": "next"})
    read = textlog.read_file(path)
    assert [line.get("run_id") for line in read.lines][-1] == "next"
    assert len(read.skipped) == 1 and "2026-11-27.jsonl:" in read.skipped[0] and "torn" in read.skipped[0]


def test_compaction_folds_old_days_into_months_that_rebuild_the_same(tmp_path):
    for day in range(3):
        record_run(tmp_path, 2, started=T0 + timedelta(days=day))
    months = textlog.compact(tmp_path / "text", before=date(2026, 11, 29))
    assert [m.name for m in months] == ["2026-11.jsonl.gz"]
    assert sorted(p.name for p in (tmp_path / "text" / "prod").iterdir()) == ["2026-11-29.jsonl", "2026-11.jsonl.gz"]
    assert len(gzip.decompress(months[0].read_bytes()).splitlines()) == 2 * 4
    done = rebuild(tmp_path / "text", tmp_path / "r.sqlite")
    assert (done.runs, done.records) == (3, 6)
    recent = textlog.history_files(tmp_path / "text", since=date(2026, 11, 29))
    assert [p.name for p in recent] == ["2026-11-29.jsonl"], "a recent window reads day files only"


def test_cron_lines_the_workflows_use():
    every5 = Cron.parse("*/5 * * * *")
    assert list(every5.times(T0, T0 + timedelta(minutes=16))) == [T0 + timedelta(minutes=m) for m in (0, 5, 10, 15)]
    assert Cron.parse("7 * * * *").slot_of(T0 + timedelta(minutes=3)) == T0 - timedelta(minutes=53)
    assert Cron.parse("17 3 * * *").next_after(T0) == T0.replace(hour=3, minute=17) + timedelta(days=1)
    for bad, why in [("*/5 * * *", "5 fields"), ("0 0 1 * *", "only the minute and hour"), ("61 * * * *", "outside")]:
        with pytest.raises(ValueError, match=why):
            Cron.parse(bad)


def test_a_missed_or_too_late_run_leaves_its_slot_unknown_never_up():
    # 15 dropped; 20's run started 7 minutes late, inside 25's window: nobody looked during 20-25
    starts = {0: Status.UP, 5: Status.DOWN, 11: Status.UP, 27: Status.UP}
    runs = [ObservedRun(f"r{m}", T0 + timedelta(minutes=m), "*/5 * * * *", s) for m, s in starts.items()]
    slots = timeline(runs, now=T0 + timedelta(minutes=33))
    assert [(int((s.start - T0).total_seconds() // 60), s.status) for s in slots] == [
        (0, Status.UP),
        (5, Status.DOWN),
        (10, Status.UP),
        (15, Status.UNKNOWN),
        (20, Status.UNKNOWN),
        (25, Status.UP),
    ]
    assert [s.start.minute for s in gaps(slots)] == [15, 20]
    assert slots[2].run_ids == ["r11"] and slots[5].run_ids == ["r27"]


def test_with_no_run_since_the_schedule_is_stale_until_now():
    runs = [ObservedRun("r0", T0, "*/5 * * * *", Status.UP)]
    slots = timeline(runs, now=T0 + timedelta(minutes=21))
    assert [s.status for s in slots] == [Status.UP, Status.UNKNOWN, Status.UNKNOWN, Status.UNKNOWN]


def test_a_new_schedule_replaces_the_old_one_from_its_first_run():
    runs = [
        ObservedRun("a", T0, "*/5 * * * *", Status.UP),
        ObservedRun("b", T0 + timedelta(minutes=12), "*/10 * * * *", Status.UP),
    ]
    slots = timeline(runs, now=T0 + timedelta(minutes=20))
    assert [(s.schedule, s.start.minute, s.status) for s in slots] == [
        ("*/5 * * * *", 0, Status.UP),
        ("*/5 * * * *", 5, Status.UNKNOWN),
        ("*/10 * * * *", 10, Status.UP),
    ]


def test_a_cadence_defines_its_slots_from_the_rounds_themselves():
    """The watch mode's rounds every 15 s: a round late by a second still closes the previous
    round's window (no sliver of unknown); two rounds missed are two unknown slots, the last cut
    at the round that came; after the last round only whole missed cadences count."""
    every = "every 15s"
    at = {0: 0.0, 1: 15.9, 2: 30.0, 5: 75.0, 6: 90.0}  # rounds 3 and 4 never came
    runs = [ObservedRun(f"w{k}", T0 + timedelta(seconds=s), every, Status.UP) for k, s in at.items()]
    slots = timeline(runs, now=T0 + timedelta(seconds=130))
    assert [((s.start - T0).total_seconds(), (s.end - T0).total_seconds(), s.run_ids) for s in slots] == [
        (0, 15.9, ["w0"]),
        (15.9, 30, ["w1"]),
        (30, 45, ["w2"]),
        (45, 60, []),
        (60, 75, []),
        (75, 90, ["w5"]),
        (90, 105, ["w6"]),
        (105, 120, []),
    ]  # 120-135 is not over at 130
    assert [(s.start - T0).total_seconds() for s in gaps(slots)] == [45, 60, 105]
    assert cadence_of(every) == timedelta(seconds=15) and cadence_of("*/5 * * * *") is None and cadence_of("") is None
    validate(every)
    for bad in ("every 15", "every 0s", "every soon"):
        with pytest.raises(ValueError, match="a cadence is 'every <seconds>s'"):
            validate(bad)


def test_the_store_reports_scheduled_runs_by_suite(tmp_path):
    cron = "*/5 * * * *"
    record_run(tmp_path, 2, started=T0, schedule=cron)
    record_run(tmp_path, 2, started=T0 + timedelta(minutes=5), schedule=cron, verdicts={0: Verdict.FAIL})
    record_run(tmp_path, 2, started=T0 + timedelta(minutes=15), schedule=cron)
    record_run(tmp_path, 2, started=T0 + timedelta(minutes=16))  # by hand: no schedule, expects nothing
    with HistoryStore(tmp_path / "h.sqlite") as store:
        assert store.suites() == [("prod", "smoke")]
        slots = store.timeline("prod", "smoke", now=T0 + timedelta(minutes=20))
    assert [s.status for s in slots] == [Status.UP, Status.DOWN, Status.UNKNOWN, Status.UP]


def test_text_history_lines_are_runs_and_records_in_order(tmp_path):
    run = record_run(tmp_path, 2)
    lines = [json.loads(x) for x in textlog.day_file(tmp_path / "text", "prod", T0).read_text().splitlines()]
    assert [line.get("kind", line.get("id")) for line in lines] == ["run", "health:s0:/h", "health:s1:/h", "run"]
    assert lines[0]["finished"] is None and lines[-1]["finished"] and lines[-1]["run_id"] == run.run_id
