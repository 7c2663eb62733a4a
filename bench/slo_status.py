"""Uptime/SLO and the status page on a big history: 30 days of smoke runs every 5 minutes
against three services (12 checks a run, 2 % of runs dropped, a few incidents): 103,680 records.

1. reading the 30 days of records from SQLite (one query) and computing every service's and
   check's uptime, budget, burn rates and incidents: aim <= 200 ms (the two parts timed apart);
2. generating the status page from the file: aim <= 300 ms; its weight, raw and gzipped;
each timed in 7 repetitions paired with a reference from the same run (SQLite counting every
check's verdicts over the same window in one GROUP BY), printed as min/median/max;
3. Chromium (headless, offline) opening the page: time to the load event, median of 5."""

from __future__ import annotations

import gzip
import random
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
from monitor.history.observation import Observation  # noqa: E402
from monitor.history.store import HistoryStore  # noqa: E402
from monitor.profile import load_profile  # noqa: E402
from monitor.report.status_page import render  # noqa: E402
from monitor.results import Verdict  # noqa: E402
from monitor.slo.read import observations  # noqa: E402
from monitor.slo.report import build  # noqa: E402
from testkit.scripted_history import history_lines  # noqa: E402

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


def ms_since(began: float) -> float:
    return (time.perf_counter() - began) * 1000


def main() -> None:
    profile = load_profile("production.example")
    rows = history()
    since = NOW - timedelta(days=30)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "history.sqlite"
        with HistoryStore(path) as store:
            store.import_lines(history_lines(rows), "bench")
            print(f"history: {store.count():,} records, {len(store.runs()):,} runs, {path.stat().st_size / 1e6:.1f} MB")
        figures: dict[str, list[float]] = {
            "reference": [],
            "read": [],
            "compute": [],
            "figures": [],
            "page": [],
            "from file": [],
        }
        page = ""
        for _ in range(REPETITIONS):  # each repetition: the reference, then the figures, back to back
            # the reference reads the file on its own connection: SQL the product never writes
            with HistoryStore(path, read_only=True) as store, closing(sqlite3.connect(path)) as reference:
                began = time.perf_counter()
                reference.execute(REFERENCE, ("production", since.isoformat())).fetchall()
                figures["reference"].append(ms_since(began))
                began = time.perf_counter()
                read = observations(store, "production", since, profile.slo.latency)
                figures["read"].append(ms_since(began))
            began = time.perf_counter()
            report = build(read, profile.slo, NOW, "production", list(profile.services))
            figures["compute"].append(ms_since(began))
            began = time.perf_counter()
            page = render(report, read, profile.status_page, profile)
            figures["page"].append(ms_since(began))
            figures["figures"].append(figures["read"][-1] + figures["compute"][-1])
            figures["from file"].append(figures["figures"][-1] + figures["page"][-1])
        print(
            f"{REPETITIONS} repetitions, each paired with the reference "
            f"(one SQLite GROUP BY of every check's verdicts over the same 30 days):"
        )
        print("  " + spread("reference", figures["reference"]))
        print("  " + spread("read (records -> observations)", figures["read"], figures["reference"]))
        print("  " + spread("compute (uptime, budget, burn, incidents, latency)", figures["compute"]))
        print("  " + spread("uptime/SLO/burn from the file (aim <= 200 ms)", figures["figures"], figures["reference"]))
        print("  " + spread("status page from the computed report", figures["page"]))
        print("  " + spread("status page from the file (aim <= 300 ms)", figures["from file"], figures["reference"]))
        print(
            f"  page weight {len(page.encode()) / 1024:.0f} KiB, {len(gzip.compress(page.encode())) / 1024:.0f} KiB "
            "gzipped"
        )
        site = Path(tmp) / "index.html"
        site.write_text(page)
        print(f"Chromium: load event after {chromium_ms(site):.0f} ms (median of 5, headless, offline, 1200x900)")


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
