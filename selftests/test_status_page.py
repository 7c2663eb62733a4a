"""The status page in a real Chromium: it loads with no console error, tells the scripted
history's story at a glance (backend had an incident and recovered, frontend never ran), leaks
no internal URL, and fits a phone. The screenshots are kept in results/artifacts/."""
from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from monitor.profile import StatusPagePolicy, load_profile
from monitor.report.status_page import write
from monitor.slo.report import build
from selftests.unit.test_slo import NOON, POLICY, scripted

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "results" / "artifacts"
DEBIAN_CHROMIUM = ("/usr/lib/chromium/chromium-headless-shell", "/usr/lib/chromium/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]


def history():
    """The scripted day, with a day of healthy runs 9 days earlier and a fault that is still on
    at the end for the mcp service (so one card is down with an open incident)."""
    rows = scripted()
    earlier = [o._replace(run_id=o.run_id + "-old", started=o.started - timedelta(days=9),
                          time=o.time - timedelta(days=9), verdict="pass", category=None) for o in rows]
    mcp = [o._replace(service="mcp", check_id=o.check_id.replace("backend", "mcp"),
                      verdict="fail" if o.check == "health" and o.started.hour == 11 and o.started.minute >= 40
                      else "pass", category="connect" if o.check == "health" and o.started.hour == 11
                      and o.started.minute >= 40 else None) for o in rows]
    return earlier + rows + mcp


@pytest.fixture(scope="module")
def page_file(tmp_path_factory) -> Path:
    profile = load_profile("production.example")
    rows = history()
    report = build(rows, POLICY, NOON, "production", ["frontend", "backend", "mcp"])
    policy = StatusPagePolicy(title="Slurpy status", public_urls=["frontend"])
    return write(tmp_path_factory.mktemp("page"), report, rows, policy, profile)


@pytest.fixture(scope="module")
def chromium():
    with sync_playwright() as p:
        options = {"args": CHROMIUM_ARGS}
        if not Path(p.chromium.executable_path).exists():
            found = next((path for path in DEBIAN_CHROMIUM if Path(path).exists()), None)
            if found is None:
                pytest.fail("no Chromium: `apt-get install chromium-headless-shell` or `playwright install chromium`")
            options["executable_path"] = found
        browser = p.chromium.launch(**options)
        yield browser
        browser.close()


def open_page(chromium, page_file: Path, width: int, height: int):
    context = chromium.new_context(viewport={"width": width, "height": height}, offline=True)
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(f"{m.type}: {m.text}") if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("requestfailed", lambda r: problems.append(f"request failed: {r.url}"))
    page.goto(page_file.as_uri())
    return page, problems


def test_the_page_tells_the_story_of_the_history(chromium, page_file):
    page, problems = open_page(chromium, page_file, 1200, 900)
    assert page.locator("#overall").inner_text() == "A service is down"
    states = {s.get_attribute("data-service"): s.get_attribute("data-state") for s in page.locator("section.service").all()}
    assert states == {"frontend": "unknown", "backend": "up", "mcp": "down"}
    backend = page.locator('section[data-service="backend"]')
    # 5700 s up of 6900 s known in the last 30 days (the earlier day adds 23 runs all up: 6900 more).
    assert "91.30 %" in backend.inner_text()  # (5700 + 6900) / (6900 + 6900)
    cells = backend.locator(".bar span")
    assert cells.count() == 90
    # Today: 00:00-10:00 nobody ran (the 9-day gap) and the 11:15 slot: 10 h 05 min unknown.
    assert cells.nth(89).get_attribute("title") == "2026-03-10: 82.61 % up of 1 h 55 min observed, 10 h 05 min unknown"
    # 9 days ago: 10:00-12:00 up but for the same dropped 11:15 run; 12:00-24:00 unknown.
    assert cells.nth(80).get_attribute("title") == \
        "2026-03-01: 100.00 % up of 1 h 55 min observed, 12 h 05 min unknown"
    assert cells.nth(0).get_attribute("title").endswith("no data")
    assert backend.locator("svg").count() == 1 and "threshold 500 ms" in backend.locator("svg").text_content()
    frontend = page.locator('section[data-service="frontend"]')
    assert "no data" in frontend.inner_text() and "100.00 %" not in frontend.inner_text()
    assert "https://your-domain.com" in frontend.inner_text()  # public_urls names it
    incidents = page.locator("table").first.inner_text()
    assert "ongoing" in incidents and "connect" in incidents  # mcp, still open
    assert "25 min" in incidents and "http status, latency" in incidents  # backend, 11:00:30-11:25:30
    page.screenshot(path=ARTIFACTS / "status-page.png", full_page=True)
    assert problems == []


def test_the_page_leaks_no_private_url_or_message(page_file):
    text = page_file.read_text()
    assert "corp.example" not in text and "FAILED" not in text and "/health" not in text
    assert "api.your-domain.com" not in text  # backend's URL: not in public_urls
    # Nothing fetched from anywhere (the browser tests also run offline); pygal's only script is
    # its inline config.
    assert not re.search(r'(?:src|href)\s*=', text) and "@import" not in text


def test_the_page_fits_a_phone(chromium, page_file):
    page, problems = open_page(chromium, page_file, 390, 844)
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"the page is {overflow} px wider than a phone"
    page.screenshot(path=ARTIFACTS / "status-page-phone.png", full_page=True)
    assert problems == []


def test_an_empty_history_says_no_data(chromium, tmp_path):
    report = build([], POLICY, NOON, "production", ["frontend", "backend"])
    page, problems = open_page(chromium, write(tmp_path, report, [], StatusPagePolicy()), 1200, 900)
    assert page.locator("#overall").inner_text() == "State unknown: no recent checks"
    assert "100" not in page.locator("main").inner_text().replace("100 days", "")
    assert problems == []


def test_a_page_built_after_an_hour_of_runs_shows_figures_not_grey(tmp_path):
    """Day one: an hour of `watch --every 15s` rounds and a few runs by hand, the backend down for
    a minute. Every figure is there with the time behind it, and today's cell has a colour."""
    from selftests.unit.test_slo import T0, watch_round

    rows = [o for k in range(240) for o in watch_round(k, "fail" if 100 <= k < 104 else "pass")]
    now = T0 + timedelta(hours=1)
    report = build(rows, POLICY, now, "production", ["backend"])
    text = write(tmp_path, report, rows, StatusPagePolicy()).read_text()
    backend = report.services[0]
    assert backend.uptime["24h"].ratio == pytest.approx(3540 / 3600)  # 4 rounds of 15 s down
    assert text.count("<b>98.33 %</b><span class=meta>of 1 h 00 min observed</span>") == 3  # 24 h, 7 d, 30 d
    assert 'class="budget">no data' not in text
    today = re.findall(r'<span style="background:(#[0-9a-f]+)" title="([^"]+)"', text)[-1]
    assert today == ("#e3b341", "2026-03-10: 98.33 % up of 1 h 00 min observed")
