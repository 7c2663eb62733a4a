"""The status page's parts that need no browser: a y-axis scaled to the data (the threshold drawn
when the data comes near it, said in words when it is far above), a chart heading true to the
time the data covers, the cause of an incident in words, and people's incident notes (the format,
and a file that does not follow it named, not shown)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from monitor.history.observation import Drawn, Observation, drawn
from monitor.profile import StatusPagePolicy, load_profile
from monitor.report import notes
from monitor.report.embeds import root_cause
from monitor.report.status_page import chart_window, latency_chart, render, y_range
from monitor.results import Verdict
from monitor.slo.compute import Incident
from monitor.slo.read import LATENCY_CHECK
from monitor.slo.report import build
from testkit.scripted_history import NOON, POLICY

T0 = datetime(2026, 3, 10, 10, 0, tzinfo=UTC)


def points(ms: list[float], every=timedelta(minutes=5), start=T0):
    return [(start + every * i, v) for i, v in enumerate(ms)]


def y_labels(svg: str) -> list[float]:
    return [float(v) for v in re.findall(r'<g class="guides"><path[^>]*/><text[^>]*>([\d.]+)</text>', svg)]


def test_fast_data_gets_an_axis_of_its_own_and_a_far_threshold_is_not_drawn():
    fast = points([4.0, 5.0, 6.0, 5.0])
    top, drawn = y_range(fast, 1000)
    assert (round(top, 1), drawn) == (6.9, False)  # 6 ms * 1.15: the data fills the chart
    svg = latency_chart(fast, 1000)
    assert "threshold" not in svg and max(y_labels(svg)) <= 7


def test_the_threshold_is_drawn_when_the_data_comes_near_it():
    top, drawn = y_range(points([100.0, 300.0, 120.0]), 500)
    assert drawn and top == pytest.approx(575)
    assert "threshold 500 ms" in latency_chart(points([100.0, 300.0, 120.0]), 500)
    assert y_range(points([100.0, 900.0]), 500) == (pytest.approx(1035), True)


def test_the_page_says_in_words_where_the_threshold_is_when_it_is_off_the_chart():
    rows = [
        Observation(
            f"r{i}",
            T0 + timedelta(minutes=5 * i),
            "*/5 * * * *",
            "smoke",
            "latency:backend",
            "latency",
            "backend",
            Verdict.PASS,
            None,
            T0 + timedelta(minutes=5 * i),
            (5.0, 5.0, 6.0),
        )
        for i in range(20)
    ]
    report = build(rows, POLICY, NOON, "production", ["backend"])
    page = render(report, drawn(rows, LATENCY_CHECK), StatusPagePolicy(), load_profile("production.example"))
    assert "The threshold, 500 ms, is far above the chart: the slowest run here took 5 ms." in page


def test_the_chart_heading_says_the_time_the_data_covers():
    now = T0 + timedelta(hours=2)
    assert chart_window(points([1.0] * 3), now) == "since 10 Mar 10:00 UTC (2 h 00 min of data)"
    week = points([1.0] * 8, every=timedelta(days=1), start=now - timedelta(days=7))
    assert chart_window(week, now) == "last 7 days"
    assert chart_window(points([1.0] * 3, start=now - timedelta(days=3)), now).startswith("since 07 Mar")


def test_the_cause_is_in_words_the_earliest_phase_first():
    at = T0
    assert (
        root_cause(Incident("backend", at, None, 3, ["latency", "connect"], ["health"]))
        == "could not connect; also too slow"
    )
    assert root_cause(Incident("backend", at, None, 1, [], ["health"])) == "not known"


NOTE = """# API errors
services: backend, mcp

## Investigating · 2026-03-10 11:05 UTC
Looking into it.

Second paragraph.

## Resolved · 2026-03-10 11:30
Fixed.
"""


def test_a_note_reads_as_its_updates_oldest_first(tmp_path):
    note = notes.parse("backend-20260310T1100Z", NOTE)
    assert (note.title, note.services, note.resolved) == ("API errors", ["backend", "mcp"], True)
    assert [(u.status, f"{u.at:%H:%M}") for u in note.updates] == [("Investigating", "11:05"), ("Resolved", "11:30")]
    assert note.updates[0].text == "Looking into it.\n\nSecond paragraph."


@pytest.mark.parametrize(
    ("name", "text", "said"),
    [
        ("backend-20260310T1100Z", "## Fixing · 2026-03-10 11:05 UTC\nx", "expected '## <Investigating | Identified"),
        ("backend-20260310T1100Z", "## Resolved · yesterday\nx", "got '## Resolved · yesterday'"),
        (
            "backend-20260310T1100Z",
            "# Title\nstray words\n## Resolved · 2026-03-10 11:05 UTC\n",
            "before the first update",
        ),
        ("backend-20260310T1100Z", "# Only a title\n", "no update"),
        ("my notes", "## Resolved · 2026-03-10 11:05 UTC\nx", "the name must be an incident id"),
    ],
    ids=["unknown status", "no time", "stray text", "no update", "bad name"],
)
def test_a_note_that_does_not_follow_the_format_is_named_and_left_out(tmp_path, name, text, said):
    (tmp_path / f"{name}.md").write_text(text)
    (tmp_path / "mcp-20260310T1140Z.md").write_text(NOTE)
    found, problems = notes.read(tmp_path)
    assert list(found) == ["mcp-20260310T1140Z"]
    [problem] = problems
    assert said in problem and name in problem


def test_note_text_is_shown_as_text_never_as_html():
    note = notes.parse(
        "frontend-20260310T0920Z",
        "# <script>alert(1)</script>\n## Investigating · 2026-03-10 09:20 UTC\n<img src=x onerror=alert(1)>\n",
    )
    report = build([], POLICY, NOON, "production", ["frontend"])
    page = render(report, Drawn([], []), StatusPagePolicy(), None, {note.id: note})
    assert "<script>alert" not in page and "<img" not in page and "&lt;img src=x onerror=alert(1)&gt;" in page
