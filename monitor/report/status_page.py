"""The status page: one self-contained ``index.html`` (styles inline, charts drawn server-side
as SVG by pygal, no script, nothing fetched from anywhere), generated from the SLO report.

What it shows per service: the state now (up, degraded, down, unknown) with the last check
time, 90 days of daily uptime as a bar of cells coloured by the figure (a tooltip and a label
carry it), latency over the last 7 days against the service's threshold, the error budget left,
and open and recent incidents with their durations and categories. What it never shows: check
messages, paths or URLs (a service's base URL only when ``[status_page] public_urls`` names it),
and services ``hidden_services`` lists.
"""
from __future__ import annotations

import html
import os
import statistics
import tempfile
from collections import defaultdict
from datetime import datetime, timedelta
from pathlib import Path

import pygal
from pygal.style import Style

from monitor.profile import Profile, StatusPagePolicy
from monitor.slo.compute import Observation, Tally
from monitor.slo.report import Entity, Report
from monitor.slo.text import duration, percent

DAYS = 90
CHART_DAYS = 7
MAX_POINTS = 200  # a chart with more points than pixels says nothing more and weighs more
RECENT_INCIDENT_DAYS = 30
COLOURS = {"up": "#1a7f37", "degraded": "#b58100", "down": "#cf222e", "unknown": "#6e7781"}

_CSS = """
:root{color-scheme:light;font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1f2328}
body{margin:0 auto;max-width:60rem;padding:1rem;line-height:1.4}
h1{font-size:1.5rem;margin:.2rem 0}h2{font-size:1.15rem;margin:0}h3{font-size:1rem;margin:1.5rem 0 .5rem}
.banner{padding:.8rem 1rem;border-radius:.5rem;color:#fff;font-weight:600;margin:1rem 0}
.service{border:1px solid #d0d7de;border-radius:.5rem;padding:1rem;margin:1rem 0}
.head{display:flex;flex-wrap:wrap;gap:.5rem;align-items:baseline;justify-content:space-between}
.badge{display:inline-block;padding:.1rem .6rem;border-radius:1rem;color:#fff;font-weight:600}
.up{background:#1a7f37}.degraded{background:#b58100}.down{background:#cf222e}.unknown{background:#6e7781}
.meta{color:#59636e;font-size:.9rem}
.figures{display:flex;flex-wrap:wrap;gap:1.5rem;margin:.6rem 0}.figures b{display:block;font-size:1.1rem}
.bar{display:flex;gap:1px;height:2rem;margin:.4rem 0 .1rem}
.bar span{flex:1;border-radius:1px;min-width:1px}
.legend{display:flex;justify-content:space-between;color:#59636e;font-size:.8rem}
.chart svg{width:100%;height:auto}
table{border-collapse:collapse;width:100%;font-size:.9rem}td,th{text-align:left;padding:.3rem;border-bottom:1px solid #d0d7de}
.open{color:#cf222e;font-weight:600}.scroll{overflow-x:auto}
"""


def _cell_colour(ratio: float | None) -> str:
    if ratio is None:
        return "#d0d7de"
    for floor, colour in ((0.999, "#1a7f37"), (0.99, "#7fc97f"), (0.95, "#e3b341"), (0.0, "#cf222e")):
        if ratio >= floor:
            return colour
    return "#cf222e"


def day_bar(entity: Entity, now: datetime) -> list[tuple[str, float | None, float, float]]:
    """(day, uptime or None, known seconds, unknown seconds) for each of the last :data:`DAYS`
    days, oldest first."""
    tally = Tally(entity.slots)
    today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    days = []
    for back in range(DAYS - 1, -1, -1):
        start = today - timedelta(days=back)
        seen = tally.window(f"{start:%Y-%m-%d}", start, min(start + timedelta(days=1), now))
        days.append((f"{start:%Y-%m-%d}", seen.ratio, seen.known_s, seen.unknown_s))
    return days


def latency_points(rows: list[Observation], service: str, now: datetime) -> list[tuple[datetime, float]]:
    """The latency check's median per run over the last :data:`CHART_DAYS` days, as medians of
    equal time buckets when there are more runs than :data:`MAX_POINTS`."""
    since = now - timedelta(days=CHART_DAYS)
    runs = [(o.started, statistics.median(o.latency_ms)) for o in rows
            if o.service == service and o.check == "latency" and o.latency_ms and o.started >= since]
    if len(runs) <= MAX_POINTS:
        return sorted(runs)
    width = (now - since) / MAX_POINTS
    buckets: dict[int, list[float]] = defaultdict(list)
    for started, ms in runs:
        buckets[int((started - since) / width)].append(ms)
    return [(since + width * (b + 0.5), statistics.median(v)) for b, v in sorted(buckets.items())]


def latency_chart(points: list[tuple[datetime, float]], threshold_ms: float | None) -> str:
    short = len(points) > 1 and points[-1][0] - points[0][0] < timedelta(days=2)
    label = "%H:%M" if short else "%d %b"
    style = Style(background="transparent", plot_background="transparent", colors=("#0969da", "#cf222e"),
                  font_family="system-ui, sans-serif", label_font_size=14, major_label_font_size=14,
                  legend_font_size=14)
    chart = pygal.DateTimeLine(js=[], disable_xml_declaration=True, style=style, width=800, height=260,
                               show_dots=False, x_label_rotation=0, legend_at_bottom=True, show_x_guides=False,
                               x_value_formatter=lambda at: at.strftime(label), y_title="ms",
                               range=(0, max([threshold_ms or 0, *(ms for _, ms in points)]) * 1.1 or 1),
                               show_minor_x_labels=False, x_labels_major_count=7, truncate_legend=-1)
    chart.add("median response time per run", points, stroke_style={"width": 2})
    if threshold_ms is not None and points:
        chart.add(f"threshold {threshold_ms:g} ms", [(points[0][0], threshold_ms), (points[-1][0], threshold_ms)],
                  stroke_style={"width": 2, "dasharray": "6, 4"})
    return chart.render(is_unicode=True)


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _when(at: datetime | None) -> str:
    return "never" if at is None else f'<time datetime="{at.isoformat()}">{at:%Y-%m-%d %H:%M} UTC</time>'


def _service(entity: Entity, report: Report, rows: list[Observation], policy: StatusPagePolicy,
             profile: Profile | None) -> str:
    spec = profile.services.get(entity.name) if profile else None
    url = f'<div class="meta">{_e(spec.base_url)}</div>' if spec and entity.name in policy.public_urls else ""
    budget = entity.budget
    budget_text = "no data" if budget is None else \
        f"{percent(budget.left_ratio, 1)} <span class=meta>({duration(max(0.0, budget.left_s))} of {duration(budget.allowed_s)})</span>"
    cells = []
    for day, ratio, known, unknown in day_bar(entity, report.now):
        said = f"{day}: " + ("no data" if ratio is None else f"{percent(ratio)} up of {duration(known)} observed") + \
            (f", {duration(unknown)} unknown" if unknown else "")
        cells.append(f'<span style="background:{_cell_colour(ratio)}" title="{_e(said)}" aria-label="{_e(said)}"></span>')
    points = latency_points(rows, entity.name, report.now)
    chart = latency_chart(points, spec.latency_ms if spec else None) if points else \
        '<p class="meta">no latency measured in the last 7 days</p>'
    figures = "".join(f"<div><span class=meta>uptime {w}</span><b>{percent(entity.uptime[w].ratio)}</b>"
                      + (f"<span class=meta>of {duration(entity.uptime[w].known_s)} observed</span>"
                         if entity.uptime[w].known_s else "") + "</div>"
                      for w in ("24h", "7d", "30d"))
    unknown = entity.uptime["30d"].unknown_s
    return f"""<section class="service" data-service="{_e(entity.name)}" data-state="{entity.state}">
<div class="head"><h2>{_e(entity.name)}</h2><span class="badge {entity.state}">{entity.state}</span></div>
{url}<div class="meta">last checked {_when(entity.last_check)}</div>
<div class="figures">{figures}<div><span class=meta>error budget left ({report.window_days} d)</span><b class="budget">{budget_text}</b></div>
<div><span class=meta>unknown (30 d, no run when one was due)</span><b>{duration(unknown) if unknown else "none"}</b></div></div>
<h3>Uptime, last {DAYS} days</h3><div class="bar" role="img" aria-label="daily uptime of {_e(entity.name)}, last {DAYS} days">{"".join(cells)}</div>
<div class="legend"><span>{DAYS} days ago</span><span>today</span></div>
<h3>Response time, last {CHART_DAYS} days</h3><div class="chart">{chart}</div>
</section>"""


def _incidents(report: Report, shown: list[Entity]) -> str:
    since = report.now - timedelta(days=RECENT_INCIDENT_DAYS)
    found = sorted((i for e in shown for i in e.incidents if i.ended is None or i.ended >= since),
                   key=lambda i: i.started, reverse=True)
    if not found:
        return f"<p>No incidents in the last {RECENT_INCIDENT_DAYS} days.</p>"
    rows = "".join(
        f"<tr class=\"{'open' if i.ended is None else ''}\"><td>{_e(i.entity)}</td><td>{_when(i.started)}</td>"
        f"<td>{'ongoing' if i.ended is None else _when(i.ended)}</td><td>{duration(i.duration_s(report.now))}</td>"
        f"<td>{_e(', '.join(i.categories) or '-')}</td><td>{_e(', '.join(i.checks))}</td></tr>" for i in found)
    return ("<div class=scroll><table><thead><tr><th>service</th><th>from</th><th>to</th><th>lasted</th><th>why</th><th>checks</th>"
            f"</tr></thead><tbody>{rows}</tbody></table></div>")


def render(report: Report, rows: list[Observation], policy: StatusPagePolicy, profile: Profile | None = None) -> str:
    shown = [e for e in report.services if e.name not in policy.hidden_services]
    rows = [o for o in rows if o.service not in policy.hidden_services]
    states = {e.state for e in shown}
    overall = next((s for s in ("down", "degraded", "unknown") if s in states), "up") if shown else "unknown"
    headline = {"up": "All services are up", "degraded": "Some services are degraded", "down": "A service is down",
                "unknown": "State unknown: no recent checks"}[overall]
    latency = "".join(f"<tr><td>{_e(r.name)}</td><td>{'no data' if r.p95_ms is None else f'{r.p95_ms:.0f} ms'}</td>"
                      f"<td>{r.objective_ms:.0f} ms</td><td>{ {True: 'met', False: 'missed', None: '-'}[r.met]}</td></tr>"
                      for r in report.latency)
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>{_e(policy.title)}</title><style>{_CSS}</style></head>
<body><header><h1>{_e(policy.title)}</h1><div class="meta">generated {_when(report.now)} from {report.runs} runs;
availability objective {percent(report.objective, 1)} over {report.window_days} days</div></header>
<div class="banner {overall}" id="overall">{headline}</div>
<main>{"".join(_service(e, report, rows, policy, profile) for e in shown) or "<p>No data: no service has been checked yet.</p>"}
<h3>Incidents</h3>{_incidents(report, shown)}
<h3>Latency objectives ({report.window_days} days, 95th percentile)</h3>
<div class=scroll><table><thead><tr><th>objective</th><th>p95</th><th>target</th><th></th></tr></thead><tbody>{latency}</tbody></table></div>
</main><footer class="meta"><p>Uptime counts only time a check observed (a scheduled run its slot, a run by hand
the minutes after it); "unknown" is time a scheduled check was due and did not run, never counted as up.</p></footer></body></html>
"""


def write(out: Path, report: Report, rows: list[Observation], policy: StatusPagePolicy,
          profile: Profile | None = None) -> Path:
    """``out/index.html``, replaced whole (written beside it, then renamed) so a web server never
    serves half a page."""
    out.mkdir(parents=True, exist_ok=True)
    page = out / "index.html"
    with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=out, delete=False, suffix=".tmp") as fh:
        fh.write(render(report, rows, policy, profile))
    os.chmod(fh.name, 0o644)  # a temporary file is private; the page is for a web server
    os.replace(fh.name, page)
    return page
