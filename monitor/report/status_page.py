"""The status page: one self-contained ``index.html`` (styles inline, charts drawn server-side
as SVG by pygal, no script, nothing fetched from anywhere), generated from the SLO report.

What it shows per service: the state now (up, degraded, down, unknown) with the last check
time, daily uptime as a bar of cells coloured by the figure (90 days; the last 30 on a phone),
maintenance windows on the bar, response time with the y-axis scaled to the data (the threshold
drawn when it is in range, said in words when it is far above) under a heading that says the
time the data covers, the error budget left; then the incidents, one row each, with how long
they lasted, the cause in words and what people wrote about them (:mod:`monitor.report.notes`),
and the maintenance windows ahead. Every incident and window has its own anchor. What it never
shows: check messages, paths or URLs (a service's base URL only when ``[status_page]
public_urls`` names it), and services ``hidden_services`` lists.

Charts are drawn twice, for a wide screen and for a phone, and CSS shows one: an SVG scaled down
to a phone's width shrinks its labels with it (14 px became 4 px), so the phone's chart is drawn
at about the size it is shown.
"""

from __future__ import annotations

import html
import statistics
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path

import pygal
from pygal.style import Style

from monitor.history.observation import Drawn
from monitor.profile import Profile, StatusPagePolicy
from monitor.report import embeds
from monitor.report.notes import Note
from monitor.slo.report import Entity, Report
from monitor.slo.text import duration, percent

DAYS = 90
PHONE_DAYS = 30
CHART_DAYS = 7
MAX_POINTS = 200  # a chart with more points than pixels says nothing more and weighs more
RECENT_INCIDENT_DAYS = 30
# The threshold is drawn when the data reaches at least this share of it; further below, a line
# at the top would squash the data into a flat line on the axis, so it is said in words instead.
THRESHOLD_IN_RANGE = 0.5
COLOURS = {"up": "#1a7f37", "degraded": "#9a6700", "down": "#cf222e", "unknown": "#57606a"}
PHONE = 700  # px: below this width the phone's chart and the 30-day bar are shown

_CSS = """
:root{color-scheme:light;font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1f2328}
body{margin:0 auto;max-width:60rem;padding:1rem;line-height:1.4}
h1{font-size:1.5rem;margin:.2rem 0}h2{font-size:1.15rem;margin:0}h3{font-size:1rem;margin:1.5rem 0 .5rem}
a{color:#0550ae}
.banner{padding:.8rem 1rem;border-radius:.5rem;color:#fff;font-weight:600;margin:1rem 0}
.service{border:1px solid #d0d7de;border-radius:.5rem;padding:1rem;margin:1rem 0}
.head{display:flex;flex-wrap:wrap;gap:.5rem;align-items:baseline;justify-content:space-between}
.badge{display:inline-block;padding:.1rem .6rem;border-radius:1rem;color:#fff;font-weight:600}
.up{background:#1a7f37}.degraded{background:#9a6700}.down{background:#cf222e}.unknown{background:#57606a}
.meta{color:#57606a;font-size:.9rem}
.figures{display:flex;flex-wrap:wrap;gap:1.5rem;margin:.6rem 0}.figures b{display:block;font-size:1.1rem}
.bar{display:flex;gap:2px;height:2.2rem;margin:.4rem 0 .1rem}
.bar span{flex:1;border-radius:2px;min-width:3px}
.bar span.maint{box-shadow:inset 0 -.5rem 0 #0969da}
.legend{display:flex;justify-content:space-between;color:#57606a;font-size:.85rem}
.chart svg{width:100%;height:auto;display:block}
.chart .narrow{display:none}
table{border-collapse:collapse;width:100%;font-size:.9rem}
td,th{text-align:left;padding:.3rem;border-bottom:1px solid #d0d7de;vertical-align:top}
.open{color:#cf222e;font-weight:600}.scroll{overflow-x:auto}
.incident,.window{border-left:4px solid #d0d7de;padding:.2rem 0 .2rem .8rem;margin:1rem 0}
.incident.ongoing{border-color:#cf222e}.window{border-color:#0969da}
.incident h3,.window h3{margin:0;font-size:1rem}h2.section{font-size:1.1rem;margin:1.5rem 0 .5rem}
.incident p,.window p{margin:.2rem 0}
.updates{list-style:none;padding:0;margin:.4rem 0}.updates li{margin:.3rem 0}.updates b{margin-right:.4rem}
.short{display:none}
@media (max-width:PHONE_MAXpx){
 .chart .wide{display:none}.chart .narrow{display:block}
 .bar span:nth-child(-n+HIDDEN_DAYS){display:none}
 .long{display:none}.short{display:inline}
}
""".replace("PHONE_MAX", str(PHONE - 1)).replace("HIDDEN_DAYS", str(DAYS - PHONE_DAYS))


# The page's shade of each uptime band of :func:`monitor.report.embeds.uptime_colour` (the badges').
_CELL = {"brightgreen": "#1a7f37", "green": "#7fc97f", "yellow": "#e3b341", "red": "#cf222e", "lightgrey": "#d0d7de"}


def _cell_colour(ratio: float | None) -> str:
    return _CELL[embeds.uptime_colour(ratio)]


def day_bar(entity: Entity, now: datetime) -> list[tuple[str, float | None, float, float]]:
    """(day, uptime or None, known seconds, unknown seconds) for each of the last :data:`DAYS`
    days, oldest first."""
    tally = entity.tally
    today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    days = []
    for back in range(DAYS - 1, -1, -1):
        start = today - timedelta(days=back)
        seen = tally.window(f"{start:%Y-%m-%d}", start, min(start + timedelta(days=1), now))
        days.append((f"{start:%Y-%m-%d}", seen.ratio, seen.known_s, seen.unknown_s))
    return days


def latency_points(drawn: Drawn, service: str, now: datetime) -> list[tuple[datetime, float]]:
    """The latency check's median per run over the last :data:`CHART_DAYS` days, as medians of
    equal time buckets when there are more runs than :data:`MAX_POINTS`."""
    since = now - timedelta(days=CHART_DAYS)
    runs = [
        (started, statistics.median(times))
        for mine, started, times in drawn.latency
        if mine == service and started >= since
    ]
    if len(runs) <= MAX_POINTS:
        return sorted(runs)
    width = (now - since) / MAX_POINTS
    buckets: dict[int, list[float]] = defaultdict(list)
    for started, ms in runs:
        buckets[int((started - since) / width)].append(ms)
    return [(since + width * (b + 0.5), statistics.median(v)) for b, v in sorted(buckets.items())]


def deploys(drawn: Drawn, now: datetime) -> list[tuple[datetime, str]]:
    """(when, version) of each deploy in the chart's window: the first run a post-deploy gate
    made of that version (its records carry the version), oldest first."""
    since = now - timedelta(days=CHART_DAYS)
    first: dict[str, datetime] = {}
    for _, started, version in drawn.deploys:
        if started >= since:
            first[version] = min(started, first.get(version, started))
    return sorted((at, version) for version, at in first.items())


def chart_window(points: list[tuple[datetime, float]], now: datetime) -> str:
    """What the chart covers, as true as the data: "last 7 days" only when it reaches that far back."""
    first = points[0][0]
    if now - first >= timedelta(days=CHART_DAYS) - timedelta(hours=12):
        return f"last {CHART_DAYS} days"
    return f"since {first:%d %b %H:%M} UTC ({duration((now - first).total_seconds())} of data)"


def y_range(points: list[tuple[datetime, float]], threshold_ms: float | None) -> tuple[float, bool]:
    """(top of the y-axis, whether the threshold is drawn): scaled to the data, the threshold
    included only when the data comes near it."""
    highest = max(ms for _, ms in points)
    shown = threshold_ms is not None and highest >= threshold_ms * THRESHOLD_IN_RANGE
    top = max(highest, threshold_ms if shown and threshold_ms else 0) * 1.15
    return (top or 1.0), shown


def latency_chart(
    points: list[tuple[datetime, float]],
    threshold_ms: float | None,
    deployed: Sequence[tuple[datetime, str]] = (),
    narrow: bool = False,
) -> str:
    top, with_threshold = y_range(points, threshold_ms)
    short = len(points) > 1 and points[-1][0] - points[0][0] < timedelta(days=2)
    label = "%H:%M" if short else "%d %b"
    size = 13 if narrow else 14  # narrow: drawn 340 wide, shown ~320-420 px wide: labels stay >= 12 px
    style = Style(
        background="transparent",
        plot_background="transparent",
        colors=("#0969da", "#cf222e", "#8250df"),
        font_family="system-ui, sans-serif",
        label_font_size=size,
        major_label_font_size=size,
        legend_font_size=size,
        title_font_size=size,
        value_font_size=size,
        value_label_font_size=size,
        tooltip_font_size=size,
        no_data_font_size=size,
    )
    chart = pygal.DateTimeLine(
        js=[],
        disable_xml_declaration=True,
        style=style,
        width=340 if narrow else 800,
        height=250 if narrow else 260,
        show_dots=False,
        x_label_rotation=0,
        legend_at_bottom=True,
        show_x_guides=False,
        x_value_formatter=lambda at: at.strftime(label),
        y_title="ms",
        range=(0, top),
        show_minor_x_labels=False,
        x_labels_major_count=3 if narrow else 7,
        truncate_legend=-1,
        truncate_label=-1,
        legend_box_size=size,
        margin=8 if narrow else 20,
        legend_at_bottom_columns=1 if narrow else 2,
    )
    chart.add("median response time per run", points, stroke_style={"width": 2})
    if with_threshold and threshold_ms is not None:
        chart.add(
            f"threshold {threshold_ms:g} ms",
            [(points[0][0], threshold_ms), (points[-1][0], threshold_ms)],
            stroke_style={"width": 2, "dasharray": "6, 4"},
        )
    shown = [(at, version) for at, version in deployed if points and points[0][0] <= at <= points[-1][0]]
    if shown:  # one dotted vertical line per deploy, kept apart by a gap (None); the legend names the latest
        lines: list[tuple[datetime, float | None]] = [p for at, _ in shown for p in ((at, 0), (at, top), (at, None))]
        latest = ", ".join(f"{version[:12]} {at:%d %b %H:%M}" for at, version in shown[-3:])
        more = f"{len(shown) - 3} more, " if len(shown) > 3 else ""
        chart.add(f"deploys: {more}{latest}", lines, stroke_style={"width": 2, "dasharray": "2, 3"})
    return chart.render(is_unicode=True)


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _when(at: datetime | None) -> str:
    return "never" if at is None else f'<time datetime="{at.isoformat()}">{at:%Y-%m-%d %H:%M} UTC</time>'


def _chart_block(entity: Entity, drawn: Drawn, now: datetime, threshold_ms: float | None) -> str:
    points = latency_points(drawn, entity.name, now)
    if not points:
        return f'<h3>Response time</h3><p class="meta">no response time measured in the last {CHART_DAYS} days</p>'
    _, threshold_drawn = y_range(points, threshold_ms)
    deployed = deploys(drawn, now)
    slowest = max(ms for _, ms in points)
    said = (
        ""
        if threshold_ms is None or threshold_drawn
        else (
            f'<p class="meta">The threshold, {threshold_ms:g} ms, is far above the chart: '
            f"the slowest run here took {slowest:.0f} ms.</p>"
        )
    )
    name = _e(entity.name)
    return (
        f"<h3>Response time, {_e(chart_window(points, now))}</h3>{said}"
        f'<div class="chart" role="img" aria-label="median response time of {name} per run, '
        f'{_e(chart_window(points, now))}: from {min(ms for _, ms in points):.0f} to {slowest:.0f} ms">'
        f'<div class="wide" aria-hidden="true">{latency_chart(points, threshold_ms, deployed)}</div>'
        '<div class="narrow" '
        f'aria-hidden="true">{latency_chart(points, threshold_ms, deployed, narrow=True)}</div></div>'
    )


def _service(
    entity: Entity,
    report: Report,
    drawn: Drawn,
    policy: StatusPagePolicy,
    profile: Profile | None,
    windows: list[embeds.Window],
) -> str:
    spec = profile.services.get(entity.name) if profile else None
    url = f'<div class="meta">{_e(spec.base_url)}</div>' if spec and entity.name in policy.public_urls else ""
    budget = entity.budget
    budget_text = (
        "no data"
        if budget is None
        else f"{percent(budget.left_ratio, 1)} "
        f"<span class=meta>({duration(max(0.0, budget.left_s))} of {duration(budget.allowed_s)})</span>"
    )
    mine = [w for w in windows if entity.name in w.services]
    cells = []
    days = day_bar(entity, report.now)
    for day, ratio, known, unknown in days:
        start = datetime.fromisoformat(day).replace(tzinfo=report.now.tzinfo)
        during = [w for w in mine if w.window.start < start + timedelta(days=1) and w.window.end > start]
        said = (
            f"{day}: "
            + ("no data" if ratio is None else f"{percent(ratio)} up of {duration(known)} observed")
            + (f", {duration(unknown)} unknown" if unknown else "")
            + "".join(f", maintenance {w.window.start:%H:%M}-{w.window.end:%H:%M} UTC" for w in during)
        )
        cells.append(
            f'<span{" class=maint" if during else ""} style="background:{_cell_colour(ratio)}" title="{_e(said)}">'
            "</span>"
        )
    key = "<span>blue edge: maintenance</span>" if any(" class=maint" in c for c in cells) else ""
    figures = "".join(
        f"<div><span class=meta>uptime {w}</span><b>{percent(entity.uptime[w].ratio)}</b>"
        + (
            f"<span class=meta>of {duration(entity.uptime[w].known_s)} observed</span>"
            if entity.uptime[w].known_s
            else ""
        )
        + "</div>"
        for w in ("24h", "7d", "30d")
    )
    unknown = entity.uptime["30d"].unknown_s
    return f"""<section class="service" data-service="{_e(entity.name)}" data-state="{entity.state}">
<div class="head"><h2>{_e(entity.name)}</h2><span class="badge {entity.state}">{entity.state}</span></div>
{url}<div class="meta">last checked {_when(entity.last_check)}</div>
<div class="figures">{figures}
<div><span class=meta>error budget left ({report.window_days} d)</span><b class="budget">{budget_text}</b></div>
<div><span class=meta>unknown (30 d, no run when one was due)</span>
<b>{duration(unknown) if unknown else "none"}</b></div></div>
<h3>Uptime, last <span class="long">{DAYS}</span><span class="short">{PHONE_DAYS}</span> days</h3>
<div class="bar" role="img"
aria-label="daily uptime of {_e(entity.name)}: today {_e(percent(days[-1][1]))}; each day's figure in its tooltip">
{"".join(cells)}</div>
<div class="legend">
<span><span class="long">{DAYS}</span><span class="short">{PHONE_DAYS}</span> days ago</span>{key}
<span>today</span></div>
{_chart_block(entity, drawn, report.now, spec.latency_ms if spec else None)}
</section>"""


def _updates(note: Note | None) -> str:
    if note is None or not note.updates:
        return ""
    items = "".join(
        f"<li><b>{_e(u.status)}</b>{_when(u.at)}"
        + "".join(f"<p>{_e(p.strip())}</p>" for p in u.text.split("\n\n") if p.strip())
        + "</li>"
        for u in reversed(note.updates)
    )
    return f'<ul class="updates" aria-label="updates">{items}</ul>'


def _incidents(report: Report, shown: list[Entity], notes: dict[str, Note], runs: int) -> str:
    found = embeds.public_incidents(report, shown, RECENT_INCIDENT_DAYS, runs)
    blips = len(embeds.public_incidents(report, shown, RECENT_INCIDENT_DAYS)) - len(found)
    names = {e.name for e in shown}
    rows = []
    for incident in found:
        ident = embeds.incident_id(incident)
        note = notes.get(ident)
        ongoing = incident.ended is None
        lasted = duration(incident.duration_s(report.now))
        when = (
            f"since {_when(incident.started)}, {lasted} so far"
            if ongoing
            else f"{_when(incident.started)} to {_when(incident.ended)}, {lasted}"
        )
        rows.append(
            (
                incident.started,
                f'<article class="incident{" ongoing" if ongoing else ""}" id="{ident}">'
                f'<h3><a href="#{ident}">{_e(embeds.title(incident, note))}</a>'
                f"{' <span class=open>ongoing</span>' if ongoing else ''}</h3>"
                f'<p class="meta">{_e(incident.entity)} · {when} · {incident.runs} failed '
                f"run{'s' if incident.runs != 1 else ''}</p><p>Cause: {_e(embeds.root_cause(incident))}</p>"
                f"{_updates(note)}</article>",
            )
        )
    since = report.now - timedelta(days=RECENT_INCIDENT_DAYS)
    matched = {embeds.incident_id(i) for e in shown for i in e.incidents}
    for ident, note in notes.items():  # what people reported that no check caught
        if ident in matched or note.updates[-1].at < since or (note.services and not set(note.services) & names):
            continue
        first, last = note.updates[0].at, note.updates[-1].at
        when = f"{_when(first)} to {_when(last)}" if note.resolved else f"since {_when(first)}"
        rows.append(
            (
                first,
                f'<article class="incident{"" if note.resolved else " ongoing"}" id="{_e(ident)}">'
                f'<h3><a href="#{_e(ident)}">{_e(note.title or ident)}</a></h3>'
                f'<p class="meta">{_e(", ".join(note.services) or "reported")} · {when}</p>{_updates(note)}</article>',
            )
        )
    short = (
        (
            f'<p class="meta">Not listed: {blips} short failure{"s" if blips != 1 else ""} of fewer than {runs} runs '
            "in "
            "a row, which alert no one; the uptime figures count them.</p>"
        )
        if blips
        else ""
    )
    if not rows:
        return f"<p>No incidents in the last {RECENT_INCIDENT_DAYS} days.</p>{short}"
    return "".join(html for _, html in sorted(rows, key=lambda r: r[0], reverse=True)) + short


def _maintenance(windows: list[embeds.Window], now: datetime) -> str:
    ahead = [w for w in windows if w.window.end > now]
    if not ahead:
        return ""
    items = "".join(
        f'<article class="window" id="{w.id}"><h3><a href="#{w.id}">{_e(w.window.reason or "Maintenance")}</a>'
        f"{' <span class=meta>(in progress)</span>' if w.window.start <= now else ''}</h3>"
        f'<p class="meta">{_when(w.window.start)} to {_when(w.window.end)} · {_e(", ".join(w.services))}</p></article>'
        for w in ahead
    )
    return f"<h2 class=section>Scheduled maintenance</h2>{items}"


def render(
    report: Report,
    drawn: Drawn,
    policy: StatusPagePolicy,
    profile: Profile | None = None,
    notes: dict[str, Note] | None = None,
) -> str:
    """``drawn``: the latency checks' times and the deploy versions of the last :data:`CHART_DAYS`
    days at least (``from_history(..., drawn_days=CHART_DAYS)``)."""
    shown = embeds.shown(report, policy)
    drawn = drawn.without(policy.hidden_services)
    overall = embeds.overall(shown)
    windows = embeds.maintenance(profile, [e.name for e in shown])
    headline = {
        "up": "All services are up",
        "degraded": "Some services are degraded",
        "down": "A service is down",
        "unknown": "State unknown: no recent checks",
    }[overall]
    latency = "".join(
        f"<tr><td>{_e(r.name)}</td><td>{'no data' if r.p95_ms is None else f'{r.p95_ms:.0f} ms'}</td>"
        f"<td>{r.objective_ms:.0f} ms</td><td>{ {True: 'met', False: 'missed', None: '-'}[r.met] }</td></tr>"
        for r in report.latency
    )
    badges = " · ".join(f'<a href="badges/{embeds.slug(e.name)}/status.json">{_e(e.name)}</a>' for e in shown)
    services = "".join(_service(e, report, drawn, policy, profile, windows) for e in shown)
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>{_e(policy.title)}</title>
<link rel="alternate" type="application/atom+xml" title="Incidents" href="incidents.atom">
<style>{_CSS}</style></head>
<body><header><h1>{_e(policy.title)}</h1><div class="meta">generated {_when(report.now)} from {report.runs} runs;
availability objective {percent(report.objective, 1)} over {report.window_days} days</div></header>
<main><div class="banner {overall}" id="overall">{headline}</div>{_maintenance(windows, report.now)}
{services or "<p>No data: no service has been checked yet.</p>"}
<h2 class=section id="incidents">Incidents</h2>{_incidents(report, shown, notes or {}, embeds.min_runs(profile))}
<h2 class=section>Latency objectives ({report.window_days} days, 95th percentile)</h2>
<div class=scroll><table>
<thead><tr><th>objective</th><th>p95</th><th>target</th><th>result</th></tr></thead><tbody>{latency}</tbody></table></div>
</main><footer class="meta"><p>Uptime counts only time a check observed (a scheduled run its slot, a run by hand
the minutes after it); "unknown" is time a scheduled check was due and did not run, never counted as up.</p>
<p>Follow: <a href="incidents.atom">incidents feed (Atom)</a> · <a href="summary.json">summary.json</a> ·
badges: {badges or "none"}</p></footer></body></html>
"""


def write(
    out: Path,
    report: Report,
    drawn: Drawn,
    policy: StatusPagePolicy,
    profile: Profile | None = None,
    notes: dict[str, Note] | None = None,
) -> Path:
    """``out/index.html``, replaced whole (written beside it, then renamed) so a web server never
    serves half a page, and beside it what others embed and poll (:mod:`monitor.report.embeds`)."""
    page = out / "index.html"
    embeds.replace_whole(page, render(report, drawn, policy, profile, notes))
    embeds.write(out, report, drawn, policy, profile, notes)
    return page
