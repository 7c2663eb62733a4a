"""Uptime/SLO and the status page on a big history: 30 days of smoke runs every 5 minutes
against three services (12 checks a run, 2 % of runs dropped, a few incidents): 103,680 records.

1. every service's and check's uptime, budget, burn rates, incidents and latency objectives from
   the file, as `slurpy-monitor uptime` reads it (the store's per-run check summaries, the latency
   objectives' samples from their index, and the records of the latest runs): aim <= 200 ms;
2. the status page from the file (the same, the chart's records, and the page): aim <= 300 ms;
   its weight, raw and gzipped;
3. before, for comparison: build() over every record read back (the pure functions the
   figures are defined by), and whether both give the same figures and the same page;
each timed in 7 repetitions paired with a reference from the same run (SQLite counting every
check's verdicts over the same window in one GROUP BY), printed as min/median/max in ms and as
the ratio to the reference, with the machine's load average (it is shared);
4. migrating a version-2 and a version-1 file of this history (the first writer that opens it);
5. Chromium (headless, offline) opening the page: time to the load event, median of 5."""

from __future__ import annotations

import gzip
import os
import random
import re
import sqlite3
import statistics
import sys
import tempfile
import time
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from monitor.history.observation import Observation, drawn  # noqa: E402
from monitor.history.store import HistoryStore  # noqa: E402
from monitor.profile import load_profile  # noqa: E402
from monitor.report.status_page import CHART_DAYS, render  # noqa: E402
from monitor.results import Verdict  # noqa: E402
from monitor.slo.read import LATENCY_CHECK, observations  # noqa: E402
from monitor.slo.report import build, from_history  # noqa: E402
from testkit.scripted_history import as_version, history_lines  # noqa: E402

NOW = datetime(2026, 10, 31, tzinfo=UTC)
CHECKS = [
    ("health", "frontend", "/"),
    ("health", "frontend", "/api/health"),
    ("health", "backend", "/health"),
    ("health", "mcp", "/health"),
    *[(kind, s, "") for kind in ("latency", "tls") for s in ("frontend", "backend", "mcp")],
    ("health", "backend", "/health/ready"),
    ("health", "mcp", "/stats"),
]


def history() -> list[Observation]:
    rng = random.Random(10)
    rows = []
    start = NOW - timedelta(days=30)
    down_until = {}
    for n in range(30 * 288):
        at = start + timedelta(minutes=5 * n, seconds=rng.randint(5, 200))
        if rng.random() < 0.02:
            continue  # GitHub dropped it
        if rng.random() < 0.003:
            down_until[rng.choice(["frontend", "backend", "mcp"])] = at + timedelta(minutes=rng.randint(5, 60))
        for kind, service, path in CHECKS:
            bad = down_until.get(service, start) > at
            check_id = ":".join(p for p in (kind, service, path) if p)
            samples = tuple(rng.gauss(180, 40) for _ in range(5)) if kind == "latency" else ()
            rows.append(
                Observation(
                    f"r{n}",
                    at,
                    "*/5 * * * *",
                    "smoke",
                    check_id,
                    kind,
                    service,
                    Verdict.FAIL if bad else Verdict.PASS,
                    "connect" if bad else None,
                    at,
                    samples,
                )
            )
    return rows


REPETITIONS = 7
# The reference: the same file, the same window, every check's verdicts counted by SQLite alone
# (one GROUP BY, no Python per record): what reading the history can cost at the least.
REFERENCE = """SELECT check_id, verdict, count(*) FROM records WHERE target = ? AND started >= ?
               GROUP BY check_id, verdict"""


def spread(name: str, took: list[float], reference: list[float] | None = None) -> str:
    text = f"{name}: median {statistics.median(took):.0f} ms (min {min(took):.0f}, max {max(took):.0f})"
    if reference:
        ratios = [a / b for a, b in zip(took, reference, strict=True)]
        text += (
            f"; reference {statistics.median(reference):.0f} ms (min {min(reference):.0f}, max {max(reference):.0f})"
            f", {statistics.median(ratios):.1f}x it (paired, min {min(ratios):.1f}x, max {max(ratios):.1f}x)"
        )
    return text


def without_ids(page: str) -> str:
    """The page without pygal's chart ids (a fresh uuid each time a chart is drawn)."""
    return re.sub(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "id", page)


def ms_since(began: float) -> float:
    return (time.perf_counter() - began) * 1000


def main() -> None:
    profile = load_profile("production.example")
    rows = history()
    since = NOW - timedelta(days=30)
    services = list(profile.services)
    days = max(profile.slo.window_days, 90)  # as `slurpy-monitor uptime` and `status-page` read
    print(f"load average at the start: {' / '.join(f'{x:.1f}' for x in os.getloadavg())} (1 / 5 / 15 min, 2 cores)")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "history.sqlite"
        with HistoryStore(path) as store:
            store.import_lines(history_lines(rows), "bench")
            print(f"history: {store.count():,} records, {len(store.runs()):,} runs, {path.stat().st_size / 1e6:.1f} MB")
        figures: dict[str, list[float]] = {
            "reference": [],
            "figures": [],
            "page": [],
            "from file": [],
            "every record": [],
        }
        page = ""
        same = True
        for _ in range(REPETITIONS):  # each repetition: the reference, then the figures, back to back
            # the reference reads the file on its own connection: SQL the product never writes
            with HistoryStore(path, read_only=True) as store, closing(sqlite3.connect(path)) as reference:
                began = time.perf_counter()
                reference.execute(REFERENCE, ("production", since.isoformat())).fetchall()
                figures["reference"].append(ms_since(began))
                began = time.perf_counter()
                _, report = from_history(store, "production", profile.slo, NOW, services, days)
                figures["figures"].append(ms_since(began))
                began = time.perf_counter()
                on_page, shown = from_history(store, "production", profile.slo, NOW, services, days, CHART_DAYS)
                page = render(shown, on_page, profile.status_page, profile)
                figures["from file"].append(ms_since(began))
                began = time.perf_counter()
                page = render(shown, on_page, profile.status_page, profile)
                figures["page"].append(ms_since(began))
                # before: today's pure functions over every record read back
                began = time.perf_counter()
                read = observations(store, "production", NOW - timedelta(days=days + 1), profile.slo.latency)
                slow = build(read, profile.slo, NOW, "production", services)
                figures["every record"].append(ms_since(began))
                same = same and slow.to_dict() == report.to_dict() == shown.to_dict()
        # the page from every record read back, as the pure functions draw it: the same page
        same_page = without_ids(render(slow, drawn(read, LATENCY_CHECK), profile.status_page, profile)) == without_ids(
            page
        )
        print(
            f"{REPETITIONS} repetitions, each paired with the reference "
            f"(one SQLite GROUP BY of every check's verdicts over the same 30 days):"
        )
        print("  " + spread("reference", figures["reference"]))
        print("  " + spread("uptime/SLO/burn from the file (aim <= 200 ms)", figures["figures"], figures["reference"]))
        print("  " + spread("status page from the file (aim <= 300 ms)", figures["from file"], figures["reference"]))
        print("  " + spread("  of which the page from the computed report", figures["page"]))
        print(
            "  "
            + spread("before: build() over every record read back", figures["every record"], figures["reference"])
            + f"; the same figures: {'yes' if same else 'NO'}, the same page: {'yes' if same_page else 'NO'}"
        )
        print(
            f"  page weight {len(page.encode()) / 1024:.0f} KiB, {len(gzip.compress(page.encode())) / 1024:.0f} KiB "
            "gzipped"
        )
        print(f"load average at the end: {' / '.join(f'{x:.1f}' for x in os.getloadavg())}")
        for version in (2, 1):
            migrated = migration_ms(path, version)
            print(
                f"a version-{version} file of this history migrated by the first writer that opens it: "
                f"{migrated:.0f} ms, once"
            )
        site = Path(tmp) / "index.html"
        site.write_text(page)
        print(f"Chromium: load event after {chromium_ms(site):.0f} ms (median of 5, headless, offline, 1200x900)")


def migration_ms(path: Path, version: int) -> float:
    """The file as an earlier version wrote it, then opened by a writer."""
    as_version(path, version)
    began = time.perf_counter()
    with HistoryStore(path) as store:
        store.count()
    return ms_since(began)


def chromium_ms(page: Path) -> float:
    from playwright.sync_api import sync_playwright

    from monitor.browser.chromium import launch_args

    with sync_playwright() as p:
        browser = p.chromium.launch(**launch_args(p))
        took = []
        for _ in range(5):
            context = browser.new_context(viewport={"width": 1200, "height": 900}, offline=True)
            tab = context.new_page()
            tab.goto(page.as_uri())
            took.append(tab.evaluate("performance.getEntriesByType('navigation')[0].loadEventEnd"))
            context.close()
        browser.close()
    return statistics.median(took)


if __name__ == "__main__":
    main()
