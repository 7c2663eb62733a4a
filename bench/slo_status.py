"""Uptime/SLO and the status page on a big history: 30 days of smoke runs every 5 minutes
against three services (12 checks a run, 2 % of runs dropped, a few incidents): 103,680 records.

1. reading the 30 days of records from SQLite (one query) and computing every service's and
   check's uptime, budget, burn rates and incidents: aim <= 200 ms (the two parts timed apart);
2. generating the status page from it: aim <= 2 s; its weight, raw and gzipped;
3. Chromium (headless, offline) opening the page: time to the load event, median of 5."""
from __future__ import annotations

import gzip
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from monitor.history.store import HistoryStore  # noqa: E402
from monitor.profile import load_profile  # noqa: E402
from monitor.report.status_page import render  # noqa: E402
from monitor.slo.compute import Observation  # noqa: E402
from monitor.slo.read import observations  # noqa: E402
from monitor.slo.report import build  # noqa: E402
from selftests.scripted_history import history_lines  # noqa: E402

NOW = datetime(2026, 10, 31, tzinfo=UTC)
CHECKS = [("health", "frontend", "/"), ("health", "frontend", "/api/health"), ("health", "backend", "/health"),
          ("health", "mcp", "/health"), *[(kind, s, "") for kind in ("latency", "tls") for s in ("frontend", "backend", "mcp")],
          ("health", "backend", "/health/ready"), ("health", "mcp", "/stats")]


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
            rows.append(Observation(f"r{n}", at, "*/5 * * * *", "smoke", check_id, kind, service,
                                    "fail" if bad else "pass", "connect" if bad else None, at, samples))
    return rows


def timed(fn, times: int = 5):
    took, value = [], None
    for _ in range(times):
        began = time.perf_counter()
        value = fn()
        took.append((time.perf_counter() - began) * 1000)
    return statistics.median(took), value


def main() -> None:
    profile = load_profile("production.example")
    rows = history()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "history.sqlite"
        with HistoryStore(path) as store:
            store.import_lines(history_lines(rows), "bench")
            print(f"history: {store.count():,} records, {len(store.runs()):,} runs, {path.stat().st_size / 1e6:.1f} MB")
            read_ms, read = timed(lambda: observations(store, "production", NOW - timedelta(days=30), profile.slo.latency))
        compute_ms, report = timed(lambda: build(read, profile.slo, NOW, "production", list(profile.services)))
        print(f"uptime/SLO over 30 days: read {read_ms:.0f} ms + compute {compute_ms:.0f} ms = "
              f"{read_ms + compute_ms:.0f} ms (aim <= 200 ms; median of 5)")
        page_ms, page = timed(lambda: render(report, read, profile.status_page, profile))
        print(f"status page: generated in {page_ms:.0f} ms from the computed report, "
              f"{read_ms + compute_ms + page_ms:.0f} ms from the SQLite file (aim <= 2 s); "
              f"weight {len(page.encode()) / 1024:.0f} KiB, {len(gzip.compress(page.encode())) / 1024:.0f} KiB gzipped")
        site = Path(tmp) / "index.html"
        site.write_text(page)
        print(f"Chromium: load event after {chromium_ms(site):.0f} ms (median of 5, headless, offline, 1200x900)")


def chromium_ms(page: Path) -> float:
    from playwright.sync_api import sync_playwright

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "selftests"))
    from test_status_page import CHROMIUM_ARGS, DEBIAN_CHROMIUM

    with sync_playwright() as p:
        options: dict = {"args": CHROMIUM_ARGS}
        if not Path(p.chromium.executable_path).exists():
            options["executable_path"] = next(path for path in DEBIAN_CHROMIUM if Path(path).exists())
        browser = p.chromium.launch(**options)
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
