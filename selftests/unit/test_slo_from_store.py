"""The figures from the history file (the store's per-run check summaries, ``from_history``) are
exactly those of the pure functions over every record (``build``), whose figures test_slo.py
checks by hand: on the scripted histories and on random ones (several suites, skips and errors,
a check with two records in a run, checks that come and go, runs by hand, watch rounds, clock
skew, deploys, every kind of latency measure). And a history file written by the previous
schema version (1 or 2) is read right: migrated when a writer opens it, worked out in memory for
a reader that may not write; ``history rebuild`` gives what the live file holds; a newer one is
refused in words."""

from __future__ import annotations

import random
import re
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from monitor.history import textlog
from monitor.history.observation import Drawn, Observation, drawn, measured, summarise
from monitor.history.store import SCHEMA_VERSION, HistoryError, HistoryStore, rebuild
from monitor.profile import LatencyObjective, SLOPolicy, StatusPagePolicy
from monitor.report.status_page import CHART_DAYS, DAYS, day_bar, render
from monitor.results import CheckResult, Verdict
from monitor.slo.compute import Tally
from monitor.slo.read import LATENCY_CHECK, latency_times, observations
from monitor.slo.report import Report, build, from_history
from monitor.slo.text import lines as uptime_lines
from testkit.scripted_history import EVERY_5, NOON, T0, as_version, history_lines, run, scripted, watch_round

SERVICES = ["backend", "frontend", "mcp"]
POLICY = SLOPolicy(
    latency={
        "api": LatencyObjective(check="latency:backend", p95_ms=500),
        "chat": LatencyObjective(check="journey:frontend:chat", p95_ms=2000, measure="done_ms"),
        "sign-in": LatencyObjective(check="journey:frontend:sign-in", p95_ms=900, measure="step:sign"),
        "tls": LatencyObjective(check="tls:mcp", p95_ms=900, measure="duration_ms"),
    },
    availability_suites=["smoke", "journeys"],
)


def same_figures(path: Path, now: datetime, policy: SLOPolicy = POLICY, read_only: bool = True) -> Report:
    """The report from the file, checked against build() over every record read back, field by
    field (and each entity's timeline); the status page drawn from both is the same page."""
    with HistoryStore(path, read_only=read_only) as store:
        shown, fast = from_history(store, "production", policy, now, SERVICES, days=90, drawn_days=CHART_DAYS)
        rows = observations(store, "production", now - timedelta(days=91), policy.latency)
        # what the page draws, read from the indexes: that of the same span's records
        span = observations(store, "production", now - timedelta(days=CHART_DAYS + 1), policy.latency)
    span_drawn = drawn(span, LATENCY_CHECK)
    assert (sorted(shown.latency), sorted(shown.deploys)) == (sorted(span_drawn.latency), sorted(span_drawn.deploys))
    slow = build(rows, policy, now, "production", SERVICES)
    assert fast.to_dict() == slow.to_dict()
    for mine, theirs in zip(fast.services + fast.checks, slow.services + slow.checks, strict=True):
        assert (mine.name, mine.slots, mine.last_check) == (theirs.name, theirs.slots, theirs.last_check)
        # the running sums worked out without the slots are those of the slots themselves
        summed = Tally(mine.slots)
        assert (mine.tally.sums, mine.tally.known, mine.tally.statuses, mine.tally.starts, mine.tally.ends) == (
            summed.sums,
            summed.known,
            summed.statuses,
            summed.starts,
            summed.ends,
        )
    assert fast.runs_read == slow.runs_read == len({o.run_id for o in rows})
    assert page(fast, shown) == page(slow, drawn(rows, LATENCY_CHECK))
    return fast


def page(report: Report, shown: Drawn) -> str:
    """The status page, its charts' random ids aside (pygal names each chart by a fresh uuid)."""
    return re.sub(
        r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "id", render(report, shown, StatusPagePolicy())
    )


def stored(tmp_path: Path, lines: list[dict[str, Any]]) -> Path:
    path = tmp_path / "history.sqlite"
    with HistoryStore(path) as store:
        store.import_lines(lines, "scripted")
    return path


def test_the_scripted_history(tmp_path):
    report = same_figures(stored(tmp_path, history_lines(scripted())), NOON)
    assert report.services[0].incidents  # the fault, seen the same way


def test_watch_rounds_and_runs_by_hand(tmp_path):
    rows = [o for k in range(40) for o in watch_round(k, "fail" if 10 <= k < 14 else "pass", late_s=0.25 * (k % 3))]
    by_hand = [o._replace(run_id=f"hand-{o.run_id}", schedule="") for o in run(30)]
    path = stored(tmp_path, history_lines(rows + run(2) + run(3, health="fail") + by_hand))
    same_figures(path, T0 + timedelta(hours=3))


def test_a_run_from_a_clock_ahead_of_now_and_one_behind(tmp_path):
    ahead = [o._replace(started=NOON + timedelta(minutes=2), run_id="ahead") for o in run(1)]
    behind = [o._replace(started=o.started - timedelta(minutes=7)) for o in run(5, health="fail")]
    path = stored(tmp_path, history_lines(scripted() + ahead + behind))
    same_figures(path, NOON)


def random_lines(seed: int) -> tuple[list[dict[str, Any]], datetime]:
    """Two days of runs of three suites against three services, with everything that can happen."""
    rng = random.Random(seed)
    lines: list[dict[str, Any]] = []
    start = T0 - timedelta(days=2)
    verdicts = ["pass"] * 12 + ["fail"] * 3 + ["flaky", "warn", "skip", "error"]
    categories = ["connect", "timeout", "http status", "body", None]
    kinds = [("health", "/health"), ("latency", ""), ("tls", ""), ("headers", "/")]
    for n in range(2 * 288):
        if rng.random() < 0.1:
            continue  # GitHub dropped it
        suite = rng.choice(["smoke"] * 6 + ["security", "journeys"])
        started = start + timedelta(minutes=5 * n, seconds=rng.randint(0, 200), milliseconds=rng.randint(0, 999))
        schedule = "" if rng.random() < 0.05 else EVERY_5 if suite != "journeys" else "*/15 * * * *"
        run_id = f"run-{seed}-{n}"
        lines.append(
            {
                "kind": "run",
                "run_id": run_id,
                "target": "production",
                "started": started.isoformat(),
                "schedule": schedule,
            }
        )
        records = []
        for service in SERVICES:
            for kind, path in kinds if suite != "journeys" else [("journey", "chat"), ("journey", "sign-in")]:
                if rng.random() < 0.05:
                    continue  # a check that did not run this time
                check = f"{kind}:{service}:{path}" if path else f"{kind}:{service}"
                for _ in range(2 if rng.random() < 0.03 else 1):  # now and then two records of one check
                    verdict = rng.choice(verdicts)
                    details: dict[str, Any] = {"samples_ms": [round(rng.uniform(50, 900), 1) for _ in range(3)]}
                    if kind == "journey":
                        details = {
                            "done_ms": round(rng.uniform(300, 3000), 1),
                            "steps": [{"step": "sign in", "ms": rng.randint(100, 1500)}, {"step": "open", "ms": 5}],
                        }
                    records.append((check, kind, service, path, verdict, details))
        rng.shuffle(records)
        deploy = f"v{n // 100}" if rng.random() < 0.02 else ""
        for _, kind, service, path, verdict, details in records:
            lines.append(
                {
                    "check": kind,
                    "service": service,
                    "verdict": verdict,
                    "category": rng.choice(categories) if verdict == "fail" else None,
                    "target": "production",
                    "url": f"https://{service}.example/{path}",
                    "path": path,
                    "duration_ms": round(rng.uniform(10, 2000), 1),
                    "attempts": 1,
                    "time": (started + timedelta(seconds=rng.randint(0, 40))).isoformat(timespec="milliseconds"),
                    "details": details,
                    "run_id": run_id,
                    "suite": suite,
                    "deploy_version": deploy,
                    "runner": "random",
                    "message": f"{service} {kind} {verdict}",
                }
            )
    return lines, start + timedelta(days=2, minutes=3)


@pytest.mark.parametrize("seed", range(4))
def test_random_histories(tmp_path, seed):
    lines, now = random_lines(seed)
    path = stored(tmp_path, lines)
    report = same_figures(path, now)
    assert any(e.incidents for e in report.services) and any(r.samples for r in report.latency)
    same_figures(path, now, SLOPolicy(availability_suites=["smoke"], latency={}), read_only=False)


def test_runs_before_the_span_the_figures_look_at_are_counted_not_read(tmp_path):
    """``uptime`` and the status page read 90 days; the figures look at 31 (figures_days): the
    runs before them count in ``runs_read`` and the bar of days only, and the figures are those of
    every record."""
    lines, now = random_lines(3)
    older = [
        {
            **line,
            "run_id": f"{back}d-{line['run_id']}",
            **{
                k: (datetime.fromisoformat(line[k]) - timedelta(days=back)).isoformat()
                for k in ("started", "time")
                if k in line
            },
        }
        for back in (32, 33, 40)
        for line in lines
    ]
    report = same_figures(stored(tmp_path, older + lines), now)
    assert report.runs_read == 4 * report.runs


HOURLY = "0 * * * *"
DAY_NOW = datetime(2026, 10, 31, 12, 30, tzinfo=UTC)
EMPTY_DAYS = {*range(28, 35), 60, 61, 62}  # days back with no run at all (28-34: across the 31-day cut)


def hourly_verdicts(back: int, hour: int) -> dict[str, str] | None:
    """What the run at ``hour`` o'clock ``back`` days before DAY_NOW's day found (check id ->
    verdict), None for no run: health:backend fails the first back % 5 hours of a day, health:frontend at 07:00
    every 11th day, the hour 03:00 of every 3rd day is missed, and health:search (a service that is
    not in the profile) was checked only in runs older than 34 days."""
    if back in EMPTY_DAYS or (hour == 3 and back % 3 == 0):
        return None
    found = {
        "health:backend:/health": "fail" if hour < back % 5 else "pass",
        "health:frontend:/": "fail" if hour == 7 and back % 11 == 0 else "pass",
    }
    if back > 34:
        found["health:search:/"] = "fail" if hour == 10 and back % 2 else "pass"
    return found


def hourly_history() -> list[Observation]:
    """An hourly smoke run over 95 days up to DAY_NOW (as hourly_verdicts says)."""
    today = DAY_NOW.replace(hour=0, minute=0)
    rows = []
    for back in range(95, -1, -1):
        for hour in range(24):
            started = today - timedelta(days=back) + timedelta(hours=hour, seconds=5)
            found = hourly_verdicts(back, hour)
            if started > DAY_NOW or found is None:
                continue
            for check_id, verdict in found.items():
                kind, service, _ = check_id.split(":")
                rows.append(
                    Observation(
                        f"h{back}-{hour}",
                        started,
                        HOURLY,
                        "smoke",
                        check_id,
                        kind,
                        service,
                        Verdict(verdict),
                        "connect" if verdict == "fail" else None,
                        started + timedelta(seconds=1),
                    )
                )
    return rows


def bar_by_hand(check_ids: list[str]) -> list[tuple[str, float | None, float, float]]:
    """What the status page's bar must say of an entity whose verdict in a run is the worst of
    ``check_ids``': each day's hourly slots, each up, down or unknown (no run) for its hour, the
    last one cut at DAY_NOW."""
    cells = []
    today = DAY_NOW.replace(hour=0, minute=0)
    for back in range(DAYS - 1, -1, -1):
        start = today - timedelta(days=back)
        seconds = {"pass": 0.0, "fail": 0.0, None: 0.0}
        for hour in range(24):
            slot_start = start + timedelta(hours=hour)
            if slot_start >= DAY_NOW:
                break
            found = hourly_verdicts(back, hour)
            verdicts = {found[c] for c in check_ids} if found else set()
            status = "fail" if "fail" in verdicts else "pass" if verdicts else None
            seconds[status] += (min(slot_start + timedelta(hours=1), DAY_NOW) - slot_start).total_seconds()
        known = seconds["pass"] + seconds["fail"]
        cells.append((f"{start:%Y-%m-%d}", seconds["pass"] / known if known else None, known, seconds[None]))
    return cells


def test_the_bar_of_days_shows_the_whole_span_and_the_figures_stay_those_of_31_days(tmp_path):
    """``uptime`` and the status page read 90 days: each day of the bar (days 32-90 as much as the
    last 31) is what the day's runs found, and a day with no run says no data; every figure of the
    report is the one the last 31 days give, whether 31 or 90 days were read, and a check or
    service seen only before them is not in the report."""
    path = stored(tmp_path, history_lines(hourly_history()))
    policy = SLOPolicy(latency={}, availability_suites=["smoke"])
    report = same_figures(path, DAY_NOW, policy)
    with HistoryStore(path, read_only=True) as store:
        _, short = from_history(store, "production", policy, DAY_NOW, SERVICES, days=30)
    assert report.to_dict() == short.to_dict()
    assert uptime_lines(report) == uptime_lines(short)
    assert (
        short.runs_read
        < report.runs_read
        == len({o.run_id for o in hourly_history() if o.started >= DAY_NOW - timedelta(days=91)})
    )
    assert [e.name for e in report.services] == SERVICES
    assert "health:search:/" not in [e.name for e in report.checks]
    entities = {e.name: e for e in report.services + report.checks}
    short_entities = {e.name: e for e in short.services + short.checks}
    for name, check_ids in [
        ("backend", ["health:backend:/health"]),
        ("frontend", ["health:frontend:/"]),
        ("health:backend:/health", ["health:backend:/health"]),
    ]:
        bar = day_bar(entities[name], DAY_NOW)
        assert bar == bar_by_hand(check_ids), name
        assert [ratio for _, ratio, _, _ in bar[: DAYS - 31]] != [None] * (DAYS - 31)
        assert [day for day, ratio, _, _ in bar if ratio is None] == [
            f"{DAY_NOW - timedelta(days=back):%Y-%m-%d}" for back in sorted(EMPTY_DAYS, reverse=True)
        ]
        # from 31 days read, the bar knows nothing before them
        older = day_bar(short_entities[name], DAY_NOW)[: DAYS - 32]
        assert {ratio for _, ratio, _, _ in older} == {None}
    # Why the figures keep a timeline of their own: the whole span's would hold the slots missed
    # before the first run of the 31 days (days 28-30 back) as unknown time of the 30-day window.
    backend = entities["backend"]
    whole = backend.tally.window("30d", DAY_NOW - timedelta(days=30), DAY_NOW)
    assert whole.unknown_s > backend.uptime["30d"].unknown_s
    assert (whole.up_s, whole.down_s) == (backend.uptime["30d"].up_s, backend.uptime["30d"].down_s)


def harder(seed: int) -> tuple[list[dict[str, Any]], datetime]:
    """A random history with more of what a scheduler and runners do: runs that carry a second
    suite (one run id, two suites' records, overlapping in time), runners whose clock is minutes
    behind (their run lands in the slot before, the next slot is missed), and a run still in
    progress at ``now`` (some of its records written, its slot still open)."""
    rng = random.Random(100 + seed)
    lines, now = random_lines(seed)
    out: list[dict[str, Any]] = []
    shifted: dict[str, str] = {}
    for line in lines:
        if line.get("kind") == "run" and rng.random() < 0.05:
            behind = datetime.fromisoformat(line["started"]) - timedelta(minutes=rng.choice([3, 7, 12]))
            shifted[line["run_id"]] = behind.isoformat()
            line = {**line, "started": behind.isoformat()}
        out.append(line)
        if line.get("kind") != "run" and line["suite"] == "smoke" and rng.random() < 0.04:
            # the same run also ran a security check of this service
            out.append(
                {**line, "suite": "security", "check": "headers", "path": "/", "verdict": rng.choice(["pass", "fail"])}
            )
    started = now - timedelta(seconds=40)
    out.append(
        {
            "kind": "run",
            "run_id": "in-progress",
            "target": "production",
            "started": started.isoformat(),
            "schedule": EVERY_5,
        }
    )
    for service in SERVICES[:2]:
        out.append(
            {
                "check": "health",
                "service": service,
                "verdict": "fail" if service == "backend" else "pass",
                "category": "connect" if service == "backend" else None,
                "target": "production",
                "url": f"https://{service}.example/health",
                "path": "/health",
                "attempts": 1,
                "time": (started + timedelta(seconds=5)).isoformat(),
                "details": {},
                "run_id": "in-progress",
                "suite": "smoke",
                "message": "in progress",
            }
        )
    assert shifted
    return out, now


@pytest.mark.parametrize("seed", range(3))
def test_random_histories_with_two_suites_in_a_run_clocks_behind_and_a_run_in_progress(tmp_path, seed):
    lines, now = harder(seed)
    path = stored(tmp_path, lines)
    report = same_figures(path, now)
    backend = next(e for e in report.services if e.name == "backend")
    assert backend.state == "down" and backend.incidents[-1].ended is None  # the run in progress found it
    assert any(s.run_ids == [] for s in backend.slots)  # missed slots
    assert any(len(s.run_ids) > 1 for e in report.checks for s in e.slots)  # two runs in one slot
    # a latency check judged on another measure: the chart draws that measure too
    duration = {"api": LatencyObjective(check="latency:backend", p95_ms=500, measure="duration_ms")}
    same_figures(path, now, SLOPolicy(availability_suites=["smoke", "security"], latency=duration))


def test_the_store_keeps_each_runs_checks_as_the_records_say(tmp_path):
    """What the store keeps as the records come in (one at a time, or imported) is what the
    records amount to when read back."""
    lines, now = random_lines(7)
    path = stored(tmp_path, lines)
    with HistoryStore(path, read_only=True) as store:
        since = now - timedelta(days=5)
        kept = store.run_checks("production", since)
        assert kept == summarise(store.observations("production", since))
    added = tmp_path / "added.sqlite"
    with HistoryStore(added) as store:
        for line in lines:
            if line.get("kind") == "run":
                store.import_lines([line], "run line")
        for seq, line in enumerate(line for line in lines if line.get("kind") != "run"):
            store.add(CheckResult.from_record(line), seq)
        assert store.run_checks("production", since) == summarise(store.observations("production", since))


def kept(path: Path) -> dict[str, Any]:
    """What the file holds beyond its records: its version, tables and indexes, each run's checks
    and each record's samples."""
    with sqlite3.connect(path) as db:
        columns = [name for _, name, *_ in db.execute("PRAGMA table_info(results)")]
        return {
            "version": db.execute("PRAGMA user_version").fetchone()[0],
            "names": {name for (name,) in db.execute("SELECT name FROM sqlite_master")},
            "run_checks": db.execute("SELECT * FROM run_checks ORDER BY 1, 2, 3").fetchall()
            if "run_checks" in {n for (n,) in db.execute("SELECT name FROM sqlite_master")}
            else None,
            "samples": db.execute("SELECT run_id, seq, samples FROM results ORDER BY 1, 2").fetchall()
            if "samples" in columns
            else None,
        }


@pytest.mark.parametrize("version", [1, 2])
def test_a_history_of_an_earlier_version_is_read_as_it_is_and_migrated_by_a_writer(tmp_path, version):
    lines, now = random_lines(3)
    lines += odd_samples(now)
    path = stored(tmp_path, lines)
    written = kept(path)
    assert written["version"] == 3 and {"run_checks", "results_by_run_check"} <= written["names"]
    assert {len(s) for _, _, s in written["samples"]} >= {0, 8, 24}
    figures = same_figures(path, now).to_dict()
    as_version(path, version)
    old = kept(path)
    # a reader that may not write works out in memory what it lacks
    assert same_figures(path, now).to_dict() == figures
    assert kept(path) == old, "a reader leaves the file as it is"
    with HistoryStore(path) as store:  # a writer migrates it, once
        store.count()
    assert kept(path) == written
    assert same_figures(path, now).to_dict() == figures


def odd_samples(now: datetime, odd: list[Any] | None = None) -> list[dict[str, Any]]:
    """A run whose latency records hold samples of every shape: none, null, text, a number, numbers
    as text and a boolean (what float() makes of them)."""
    started = now - timedelta(minutes=1)
    if odd is None:
        odd = [{}, {"samples_ms": None}, {"samples_ms": "fast"}, {"samples_ms": 42}, {"samples_ms": ["12.5", True, 3]}]
    return [{"kind": "run", "run_id": "odd", "target": "production", "started": started.isoformat()}] + [
        {
            "check": "latency",
            "service": "backend",
            "verdict": "pass",
            "target": "production",
            "url": "https://backend.example/",
            "path": "",
            "duration_ms": 1.0,
            "attempts": 1,
            "time": started.isoformat(),
            "details": details,
            "run_id": "odd",
            "suite": "security",
            "message": "odd",
        }
        for details in odd
    ]


def test_samples_measured_refuses_are_read_from_the_details_and_refused_as_before(tmp_path):
    lines, now = random_lines(2)
    path = stored(tmp_path, lines[:40] + odd_samples(now, [{"samples_ms": [1, "x"]}]))
    assert [s for run_id, _, s in kept(path)["samples"] if run_id == "odd"] == [None]
    with HistoryStore(path, read_only=True) as store:
        assert store.samples("production", "latency:backend", now - timedelta(days=3)) is None
        with pytest.raises(ValueError, match="could not convert"):
            store.observations("production", now - timedelta(days=3), {"latency": "samples_ms"})


def test_a_latency_objectives_times_are_read_from_the_kept_samples_or_else_the_records(tmp_path):
    lines, now = random_lines(4)
    path = stored(tmp_path, lines + odd_samples(now))
    since = now - timedelta(days=3)
    api = {"api": POLICY.latency["api"]}

    def from_records(store: HistoryStore) -> list[tuple[datetime, tuple[float, ...]]]:
        rows = observations(store, "production", since, api, check_ids=["latency:backend"])
        return sorted((o.started, o.latency_ms) for o in rows if o.latency_ms)

    with HistoryStore(path, read_only=True) as store:
        expected = from_records(store)
        assert len(expected) > 100
        assert sorted(store.samples("production", "latency:backend", since) or []) == expected
        assert sorted(latency_times(store, "production", since, api)["latency:backend"]) == expected
    as_version(path, 2)
    with HistoryStore(path, read_only=True) as store:
        assert store.samples("production", "latency:backend", since) is None  # only in the details
        assert sorted(t for t in latency_times(store, "production", since, api)["latency:backend"] if t[1]) == expected


def test_a_rebuilt_history_keeps_what_the_live_one_does(tmp_path):
    """``history rebuild`` from the text history gives the file the records gave as they came in,
    one at a time: the same run summaries and samples."""
    lines, now = random_lines(5)
    lines += odd_samples(now)
    live = tmp_path / "live.sqlite"
    text = tmp_path / "text"
    with HistoryStore(live) as store:
        seq: dict[str, int] = {}
        for line in lines:
            if line.get("kind") == "run":
                store.import_lines([line], "run line")
                when = datetime.fromisoformat(line["started"])
            else:
                store.add(CheckResult.from_record(line), seq.setdefault(line["run_id"], 0))
                seq[line["run_id"]] += 1
            textlog.append_line(textlog.day_file(text, "production", when), line)
    rebuilt = tmp_path / "rebuilt.sqlite"
    rebuild(text, rebuilt)
    assert kept(rebuilt) == kept(live)


def test_a_history_of_a_newer_version_is_refused_in_words(tmp_path):
    path = stored(tmp_path, random_lines(2)[0][:40])
    with sqlite3.connect(path) as db:
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    for read_only in (False, True):
        with HistoryStore(path, read_only=read_only) as store, pytest.raises(HistoryError) as refused:
            store.count()
        assert str(refused.value) == (
            f"history {path} has schema version {SCHEMA_VERSION + 1}, newer than this slurpy-monitor's "
            f"({SCHEMA_VERSION}): upgrade slurpy-monitor, or point --history at another file"
        )


def test_measures_of_every_kind_are_read_as_the_records_hold_them(tmp_path):
    """A measure that is a number, a list, a journey step or the check's duration; one missing,
    one null, one that is text: the store takes the same times out as measured() over the whole
    record."""
    lines, now = random_lines(1)
    odd = [line for line in lines if line.get("check") == "latency"][:4]
    for line, details in zip(odd, [{}, {"samples_ms": None}, {"samples_ms": "fast"}, {"samples_ms": 42}], strict=True):
        line["details"] = details
    path = stored(tmp_path, lines)
    measures = {"latency": "samples_ms", **{o.check: o.measure for o in POLICY.latency.values()}}
    with HistoryStore(path, read_only=True) as store:
        rows = store.observations("production", now - timedelta(days=5), measures)
        records = store.results()
    by_run: dict[str, list[Observation]] = {}
    for o in rows:
        by_run.setdefault(o.run_id, []).append(o)
    mine = [o for r in records for o in [by_run[r.run_id].pop(0)]]
    assert [(o.run_id, o.check_id) for o in mine] == [(r.run_id, r.id) for r in records]
    expected = [
        measured(r.details, r.duration_ms, measures.get(r.id, "samples_ms"))
        if r.id in measures or r.check in measures
        else ()
        for r in records
    ]
    assert [o.latency_ms for o in mine] == expected
    assert {len(times) for times in expected} >= {0, 1, 3}
