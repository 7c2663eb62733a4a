"""The results history's two figures, on records shaped like real ones (one healthy run of each
suite against the sandbox gives the templates):

1. appending a 50-record run to a 100,000-record SQLite history through the run's sink (open,
   the run row, 50 one-record transactions, finish, close), 30 times: aim <= 50 ms;
2. rebuilding the SQLite history from 30 days of text history at the default schedule (smoke
   every 5 minutes, journeys hourly, security daily), 3 times; with the month's sizes (text,
   gzip-compacted, SQLite), which are the history's growth per month;
3. the data branch's growth: one day of scheduled runs committed one run a commit, as the jobs
   push them, then packed by ``git gc`` (as a git host stores them)."""

from __future__ import annotations

import gzip
import json
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from suite_timer import time_suite  # noqa: E402

from monitor.history import textlog  # noqa: E402
from monitor.history.sinks import SQLiteSink, run_info  # noqa: E402
from monitor.history.store import HistoryStore, rebuild  # noqa: E402
from monitor.pipeline import Run  # noqa: E402
from monitor.results import CheckResult  # noqa: E402

START = datetime(2026, 10, 1, tzinfo=UTC)
SCHEDULE = {
    "smoke": ("*/5 * * * *", timedelta(minutes=5)),
    "journeys": ("7 * * * *", timedelta(hours=1)),
    "security": ("17 3 * * *", timedelta(days=1)),
}


def templates() -> dict[str, list[dict]]:
    shapes = {}
    for suite in SCHEDULE:
        _, runs, _ = time_suite(f"tests/{suite}", 1)
        shapes[suite] = [r.to_dict() for r in runs[0]]
    return shapes


def lines_of_run(suite: str, shape: list[dict], n: int, at: datetime, cron: str) -> list[dict]:
    run = Run(
        target="production",
        run_id=f"{suite}-{n:06d}",
        started=at,
        finished=at + timedelta(seconds=20),
        deploy_version="3f2c1ab",
        runner="github-actions slurpy/monitor run 1234567890/1",
        schedule=cron,
    )
    records = [
        {
            **record,
            "run_id": run.run_id,
            "target": "production",
            "deploy_version": run.deploy_version,
            "runner": run.runner,
            "time": (at + timedelta(seconds=i)).isoformat(timespec="milliseconds"),
        }
        for i, record in enumerate(shape)
    ]
    return [run_info(run).to_line(), *records, run_info(run, finished=True).to_line()]


def write_month(root: Path, shapes: dict[str, list[dict]], days: int = 30) -> int:
    count = 0
    for suite, (cron, every) in SCHEDULE.items():
        at, n = (
            START
            + (
                timedelta(minutes=7)
                if suite == "journeys"
                else timedelta(hours=3, minutes=17)
                if suite == "security"
                else timedelta()
            ),
            0,
        )
        by_day: dict[Path, list[str]] = {}
        while at < START + timedelta(days=days):
            lines = lines_of_run(suite, shapes[suite], n, at, cron)
            by_day.setdefault(textlog.day_file(root, "production", at), []).extend(json.dumps(x) for x in lines)
            count += len(lines) - 2
            at, n = at + every, n + 1
        for path, texts in by_day.items():
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("a") as fh:
                fh.write("\n".join(texts) + "\n")
    return count


def append_benchmark(shapes: dict[str, list[dict]], tmp: Path) -> list[float]:
    history = tmp / "100k.sqlite"
    smoke = shapes["smoke"]
    runs: list[dict] = []
    records: list[dict] = []
    n = 0
    while len(records) < 100_000:
        lines = lines_of_run("smoke", smoke, n, START + timedelta(minutes=5 * n), "*/5 * * * *")
        runs.append(lines[-1])
        records += lines[1:-1]
        n += 1
    with HistoryStore(history) as store:
        store.import_lines(runs + records[:100_000], origin="bench")
        assert store.count() == 100_000
    timings = []
    for k in range(30):
        run = Run(target="production", run_id=f"bench-{k}", deploy_version="3f2c1ab", runner="bench")
        started = time.perf_counter()
        sink = SQLiteSink(history)
        for i in range(50):
            sink.add(run, CheckResult.from_dict({**smoke[i % len(smoke)], "run_id": run.run_id, "path": f"/{i}"}))
        run.finished = run.started
        sink.close(run)
        timings.append((time.perf_counter() - started) * 1000)
        assert not run.notes, run.notes
    return timings


def git_day(shapes: dict[str, list[dict]], tmp: Path) -> int:
    repo = tmp / "data"
    repo.mkdir()

    def git(*args: str) -> None:
        subprocess.run(
            ["git", "-c", "user.name=b", "-c", "user.email=b@example.com", *args],
            cwd=repo,
            check=True,
            capture_output=True,
        )

    git("init", "-q")
    runs = []
    for suite, (cron, every) in SCHEDULE.items():
        at, n = START, 0
        while at < START + timedelta(days=1):
            runs.append((at, suite, n, cron))
            at, n = at + every, n + 1
    for at, suite, n, cron in sorted(runs):
        path = textlog.day_file(repo / "history", "production", at)
        for line in lines_of_run(suite, shapes[suite], n, at, cron):
            textlog.append_line(path, line)
        git("add", "-A")
        git("commit", "-q", "-m", f"{suite} run {n}")
    git("gc", "-q")
    return sum(p.stat().st_size for p in (repo / ".git" / "objects" / "pack").glob("*.pack"))


def main() -> None:
    shapes = templates()
    per_run = {suite: len(shape) for suite, shape in shapes.items()}
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        timings = append_benchmark(shapes, tmp)
        print(
            f"append a 50-record run to a 100,000-record history (sink: open, 50 transactions, close), "
            f"{len(timings)} times: median {statistics.median(timings):.1f} ms, "
            f"p90 {sorted(timings)[int(len(timings) * 0.9)]:.1f} ms, max {max(timings):.1f} ms (aim <= 50 ms)"
        )
        text = tmp / "text"
        records = write_month(text, shapes)
        times = []
        for k in range(3):
            started = time.perf_counter()
            done = rebuild(text, tmp / f"rebuilt{k}.sqlite")
            times.append(time.perf_counter() - started)
        assert done.records == records, (done.records, records)
        text_bytes = sum(p.stat().st_size for p in textlog.history_files(text))
        gz_bytes = sum(len(gzip.compress(p.read_bytes())) for p in textlog.history_files(text))
        db_bytes = (tmp / "rebuilt0.sqlite").stat().st_size
        print(f"records per run: {per_run}; 30 days at the default schedule: {done.runs} runs, {records} records")
        print(
            f"rebuild SQLite from 30 days of text history, 3 times: median {statistics.median(times):.2f} s "
            f"(min {min(times):.2f}, max {max(times):.2f})"
        )
        print(
            f"growth per 30 days: text {text_bytes / 1e6:.1f} MB, gzip-compacted {gz_bytes / 1e6:.1f} MB, "
            f"SQLite {db_bytes / 1e6:.1f} MB"
        )
        packed = git_day(shapes, tmp)
        print(
            f"data branch: one day of scheduled runs, one commit a run, packed by git gc: {packed / 1e6:.2f} MB "
            f"(x30 = {30 * packed / 1e6:.0f} MB a month)"
        )


if __name__ == "__main__":
    main()
