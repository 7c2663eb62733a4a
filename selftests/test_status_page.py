"""The status page in a real Chromium, at 1280 px and on a 390 px phone: it loads with no console
error, tells the scripted history's story at a glance (backend had an incident and recovered,
frontend never ran, mcp is down), shows incidents as people read them (one each, how long, the
cause in words, people's updates, an anchor) and maintenance windows ahead and on the bars,
keeps chart labels readable on a phone (measured from the SVG), has no serious or critical
axe-core violation, and leaks no internal URL. The screenshots are kept in results/artifacts/."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import sync_playwright

from monitor.browser.chromium import NoChromium, launch_args
from monitor.history.observation import Drawn, drawn
from monitor.profile import AlertPolicy, StatusPagePolicy, load_profile
from monitor.report import notes as incident_notes
from monitor.report.status_page import write
from monitor.results import Verdict
from monitor.slo.read import LATENCY_CHECK
from monitor.slo.report import build
from testkit.scripted_history import NOON, POLICY, scripted

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "results" / "artifacts"
WIDTHS = {"desktop": (1280, 900), "phone": (390, 844)}
MIN_LABEL_PX = 11
BACKEND_NOTE = """# API errors after a database failover
services: backend

## Investigating · 2026-03-10 11:05 UTC
We see errors on the API and are looking into it.

## Identified · 2026-03-10 11:12 UTC
The database failed over; connections are being re-established.

## Resolved · 2026-03-10 11:30 UTC
All requests succeed again.
"""
REPORTED_NOTE = """# Some users cannot sign in
services: frontend

## Investigating · 2026-03-10 09:20 UTC
Users report failed sign-ins; the checks see nothing yet.
"""


def history():
    """The scripted day, with a day of healthy runs 9 days earlier, a deploy of backend at 11:25,
    and for the mcp service a one-run blip at 10:20 and a fault that is still on at the end (so
    one card is down with an open incident)."""
    rows = scripted()
    earlier = [
        o._replace(
            run_id=o.run_id + "-old",
            started=o.started - timedelta(days=9),
            time=o.time - timedelta(days=9),
            verdict=Verdict.PASS,
            category=None,
        )
        for o in rows
    ]

    def mcp_down(o) -> bool:  # a one-run blip at 10:20, and down from 11:40 on
        return o.check == "health" and (o.started.hour, o.started.minute // 5) in (
            (10, 4),
            (11, 8),
            (11, 9),
            (11, 10),
            (11, 11),
        )

    mcp = [
        o._replace(
            service="mcp",
            check_id=o.check_id.replace("backend", "mcp"),
            verdict=Verdict.FAIL if mcp_down(o) else Verdict.PASS,
            category="connect" if mcp_down(o) else None,
        )
        for o in rows
    ]
    fixed = [
        o._replace(deploy_version="3f2c1ab") if o.started.hour == 11 and o.started.minute >= 25 else o for o in rows
    ]
    return earlier + fixed + mcp  # a post-deploy gate's runs from 11:25 carry the version it deployed


def page_profile():
    """production.example with a past maintenance window on backend and one ahead for all."""
    profile = load_profile("production.example")
    alerts = AlertPolicy.model_validate(
        {
            "maintenance": [
                {
                    "start": "2026-03-05T02:00:00Z",
                    "end": "2026-03-05T03:00:00Z",
                    "checks": ["*:backend*"],
                    "reason": "database upgrade",
                },
                {"start": "2026-03-12T02:00:00Z", "end": "2026-03-12T04:00:00Z", "reason": "Supabase maintenance"},
            ]
        }
    )
    return profile.model_copy(update={"alerts": alerts})


@pytest.fixture(scope="module")
def page_file(tmp_path_factory) -> Path:
    rows = history()
    report = build(rows, POLICY, NOON, "production", ["frontend", "backend", "mcp"])
    policy = StatusPagePolicy(title="Slurpy status", public_urls=["frontend"])
    folder = tmp_path_factory.mktemp("incidents")
    (folder / "backend-20260310T1100Z.md").write_text(BACKEND_NOTE)
    (folder / "frontend-20260310T0920Z.md").write_text(REPORTED_NOTE)
    notes, problems = incident_notes.read(folder)
    assert problems == []
    return write(tmp_path_factory.mktemp("page"), report, drawn(rows, LATENCY_CHECK), policy, page_profile(), notes)


@pytest.fixture(scope="module")
def chromium():
    with sync_playwright() as p:
        try:
            options = launch_args(p)
        except NoChromium as exc:
            pytest.fail(str(exc), pytrace=False)
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


# Each visible text of the charts: its content and its size on screen (the computed font size
# times the scale the SVG is drawn at).
LABEL_SIZES = """() => [...document.querySelectorAll('.chart svg text')]
  .filter(t => t.getBoundingClientRect().width > 0 && t.textContent.trim())
  .map(t => { const m = t.getScreenCTM();
              return [t.textContent.trim(), parseFloat(getComputedStyle(t).fontSize) * Math.hypot(m.a, m.b)]; })"""


def test_the_page_tells_the_story_of_the_history(chromium, page_file):
    page, problems = open_page(chromium, page_file, *WIDTHS["desktop"])
    assert page.locator("#overall").inner_text() == "A service is down"
    states = {
        s.get_attribute("data-service"): s.get_attribute("data-state") for s in page.locator("section.service").all()
    }
    assert states == {"frontend": "unknown", "backend": "up", "mcp": "down"}
    backend = page.locator('section[data-service="backend"]')
    # 5700 s up of 6900 s known in the last 30 days (the earlier day adds 23 runs all up: 6900 more).
    assert "91.30 %" in backend.inner_text()  # (5700 + 6900) / (6900 + 6900)
    cells = backend.locator(".bar span")
    assert cells.count() == 90
    # Today: 00:00-10:00 nobody ran (the 9-day gap) and the 11:15 slot: 10 h 05 min unknown.
    assert cells.nth(89).get_attribute("title") == "2026-03-10: 82.61 % up of 1 h 55 min observed, 10 h 05 min unknown"
    # 9 days ago: 10:00-12:00 up but for the same dropped 11:15 run; 12:00-24:00 unknown.
    assert cells.nth(80).get_attribute("title") == "2026-03-01: 100.00 % up of 1 h 55 min observed, 12 h 05 min unknown"
    assert cells.nth(0).get_attribute("title").endswith("no data")
    chart = backend.locator(".chart svg:visible")  # one drawn for this width, one for a phone
    assert chart.count() == 1 and "threshold 500 ms" in chart.text_content()
    assert "deploys: 3f2c1ab 10 Mar 11:25" in chart.text_content()
    frontend = page.locator('section[data-service="frontend"]')
    assert "no data" in frontend.inner_text() and "100.00 %" not in frontend.inner_text()
    assert "https://your-domain.com" in frontend.inner_text()  # public_urls names it
    incidents = page.locator("article.incident")
    assert incidents.count() == 3  # mcp (ongoing), backend (with its updates), frontend (reported by people)
    mcp = page.locator("article#mcp-20260310T1140Z")
    assert "ongoing" in mcp.inner_text() and "Cause: could not connect" in mcp.inner_text()
    assert "19 min so far" in mcp.inner_text()
    outage = page.locator("article#backend-20260310T1100Z")  # 11:00:30-11:25:30
    assert outage.locator("h3").inner_text() == "API errors after a database failover"
    assert (
        "25 min" in outage.inner_text() and "Cause: answered with an error status; also too slow" in outage.inner_text()
    )
    assert outage.locator(".updates li b").all_inner_texts() == ["Resolved", "Identified", "Investigating"]
    assert outage.locator("h3 a").get_attribute("href") == "#backend-20260310T1100Z"
    assert "Some users cannot sign in" in page.locator("article#frontend-20260310T0920Z").inner_text()
    assert page.locator("article#mcp-20260310T1020Z").count() == 0  # one failed run alerts no one: not an incident
    assert "Not listed: 1 short failure of fewer than 2 runs in a row" in page.locator("main").inner_text()
    page.screenshot(path=ARTIFACTS / "status-page.png", full_page=True)
    assert problems == []


def test_maintenance_windows_are_shown_ahead_and_on_the_bars(chromium, page_file):
    page, problems = open_page(chromium, page_file, 1280, 900)
    ahead = page.locator("article.window")
    assert ahead.count() == 1 and ahead.get_attribute("id") == "maintenance-20260312T0200Z"
    assert "Supabase maintenance" in ahead.inner_text() and "frontend, backend, mcp" in ahead.inner_text()
    marked = page.locator('section[data-service="backend"] .bar span.maint')
    assert marked.count() == 1 and marked.get_attribute("title").endswith("maintenance 02:00-03:00 UTC")
    assert page.locator('section[data-service="mcp"] .bar span.maint').count() == 0  # the window named backend only
    assert problems == []


def test_the_page_leaks_no_private_url_or_message(page_file):
    text = page_file.read_text()
    assert "corp.example" not in text and "FAILED" not in text and "/health" not in text
    assert "api.your-domain.com" not in text  # backend's URL: not in public_urls
    # Nothing fetched from anywhere (the browser tests also run offline): no src; every link is
    # an anchor on the page or a file written beside it.
    assert not re.search(r"\bsrc\s*=", text) and "@import" not in text
    for link in re.findall(r'href="([^"]*)"', text):
        assert link.startswith("#") or (page_file.parent / link).is_file(), link
    for anchor in re.findall(r'href="#([^"]*)"', text):
        assert f'id="{anchor}"' in text, anchor


@pytest.mark.parametrize("size", WIDTHS, ids=list(WIDTHS))
def test_no_serious_or_critical_accessibility_violation(chromium, page_file, size):
    page, problems = open_page(chromium, page_file, *WIDTHS[size])
    found = Axe().run(page).response["violations"]
    serious = [
        f"{v['id']} ({v['impact']}): {v['help']}: {[n['target'] for n in v['nodes']][:3]}"
        for v in found
        if v["impact"] in ("serious", "critical")
    ]
    assert serious == [], "\n".join(serious)
    assert problems == []


def test_chart_labels_are_readable_on_a_phone(chromium, page_file):
    page, problems = open_page(chromium, page_file, *WIDTHS["phone"])
    sizes = page.evaluate(LABEL_SIZES)
    assert len(sizes) >= 10, sizes  # the y labels, the x labels, the unit and the legend of two charts
    small = [(text, round(px, 1)) for text, px in sizes if px < MIN_LABEL_PX]
    assert small == [], f"chart labels under {MIN_LABEL_PX} px at 390 px: {small}"
    assert page.locator('section[data-service="backend"] .bar span:visible').count() == 30
    assert page.locator('section[data-service="backend"] h3').first.inner_text() == "Uptime, last 30 days"
    page.screenshot(path=ARTIFACTS / "status-page-phone.png", full_page=True)
    assert problems == []


def test_both_measures_can_fail(chromium, page_file):
    """What the two tests above would see on a page that got it wrong: the desktop chart scaled
    down to a phone (as the page once did), and text a reader cannot make out."""
    page, _ = open_page(chromium, page_file, *WIDTHS["phone"])
    page.add_style_tag(content=".chart .wide{display:block!important}.chart .narrow{display:none!important}")
    assert min(px for _, px in page.evaluate(LABEL_SIZES)) < 8
    page.evaluate(
        "document.querySelector('main').insertAdjacentHTML('beforeend', "
        "'<p style=\"color:#ddd;background:#fff\">faint words</p>')"
    )
    found = {v["id"]: v["impact"] for v in Axe().run(page).response["violations"]}
    assert found.get("color-contrast") == "serious", found


def test_the_page_fits_a_phone(chromium, page_file):
    page, problems = open_page(chromium, page_file, *WIDTHS["phone"])
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"the page is {overflow} px wider than a phone"
    assert problems == []


def test_at_desktop_width_the_wide_chart_and_90_days_are_shown(chromium, page_file):
    page, _ = open_page(chromium, page_file, *WIDTHS["desktop"])
    assert page.locator('section[data-service="backend"] .bar span:visible').count() == 90
    assert min(px for _, px in page.evaluate(LABEL_SIZES)) >= MIN_LABEL_PX
    heading = page.locator('section[data-service="backend"] h3').nth(1).inner_text()
    assert heading == "Response time, since 10 Mar 10:00 UTC (1 h 59 min of data)"  # not "last 7 days": it is not


def test_an_empty_history_says_no_data(chromium, tmp_path):
    report = build([], POLICY, NOON, "production", ["frontend", "backend"])
    page, problems = open_page(chromium, write(tmp_path, report, Drawn([], []), StatusPagePolicy()), 1200, 900)
    assert page.locator("#overall").inner_text() == "State unknown: no recent checks"
    assert "100" not in page.locator("main").inner_text().replace("100 days", "")
    assert problems == []


def test_a_page_built_after_an_hour_of_runs_shows_figures_not_grey(tmp_path):
    """Day one: an hour of `watch --every 15s` rounds and a few runs by hand, the backend down for
    a minute. Every figure is there with the time behind it, and today's cell has a colour."""
    from testkit.scripted_history import T0, watch_round

    rows = [o for k in range(240) for o in watch_round(k, "fail" if 100 <= k < 104 else "pass")]
    now = T0 + timedelta(hours=1)
    report = build(rows, POLICY, now, "production", ["backend"])
    text = write(tmp_path, report, drawn(rows, LATENCY_CHECK), StatusPagePolicy()).read_text()
    backend = report.services[0]
    assert backend.uptime["24h"].ratio == pytest.approx(3540 / 3600)  # 4 rounds of 15 s down
    assert text.count("<b>98.33 %</b><span class=meta>of 1 h 00 min observed</span>") == 3  # 24 h, 7 d, 30 d
    assert 'class="budget">no data' not in text
    today = re.findall(r'<span style="background:(#[0-9a-f]+)" title="([^"]+)"', text)[-1]
    assert today == ("#e3b341", "2026-03-10: 98.33 % up of 1 h 00 min observed")
