"""What other pages and tools embed or poll, written beside the status page from the same SLO
report: per-service badges (shields.io "endpoint" JSON for live badges, and static SVG for a
README or an offline page), ``summary.json`` (the page's figures as data) and an Atom feed of the
incidents.

Like the page, none of it carries check messages, paths or internal URLs, and hidden services are
left out. Every figure is the SLO module's (:mod:`monitor.slo.report`): nothing is recomputed here
but the response time, which the page's chart also reads from the latency check's samples. What
the page and these files both say is decided here once: which incidents are listed and their ids,
their cause in words, the uptime colour bands, the maintenance windows and the services they cover.
"""

from __future__ import annotations

import json
import os
import re
import statistics
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

from monitor.checks.catalogue import catalogue
from monitor.history.observation import Drawn
from monitor.profile import AlertPolicy, MaintenanceWindow, Profile, StatusPagePolicy
from monitor.report.notes import Note
from monitor.results import CAUSES, Category
from monitor.slo.compute import Incident
from monitor.slo.report import Entity, Report
from monitor.slo.text import duration, percent

BADGE_WINDOWS = ("24h", "7d", "30d")
RESPONSE_TIME_WINDOW = timedelta(hours=24)
FEED_DAYS = 90
# shields.io does not fetch an endpoint more often than every 300 s whatever it is told.
CACHE_SECONDS = 300
STATE_COLOURS = {"up": "brightgreen", "degraded": "yellow", "down": "red", "unknown": "lightgrey"}
# shields.io's named colours, for the static SVGs (badge-maker's palette).
NAMED = {
    "brightgreen": "#4c1",
    "green": "#97ca00",
    "yellowgreen": "#a4a61d",
    "yellow": "#dfb317",
    "orange": "#fe7d37",
    "red": "#e05d44",
    "blue": "#007ec6",
    "lightgrey": "#9f9f9f",
    "grey": "#555",
}
ATOM = "http://www.w3.org/2005/Atom"


def slug(name: str) -> str:
    """A file or anchor name part: lower case letters, digits and dashes."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "service"


def incident_id(incident: Incident) -> str:
    """Stable across rebuilds of the page (the service and the minute it began): the anchor on the
    page, the feed entry's id, and the name of the file people write its updates in
    (``incidents/<id>.md``, :mod:`monitor.report.notes`)."""
    return f"{slug(incident.entity)}-{incident.started:%Y%m%dT%H%MZ}"


def _causes(incident: Incident) -> list[str]:
    """The causes in words, the earliest phase that failed first."""
    known = [Category(c) for c in incident.categories if c in Category.__members__.values()]
    return [CAUSES[c] for c in sorted(known, key=list(Category).index)]


def root_cause(incident: Incident) -> str:
    """The cause in words: the earliest phase that failed first ("could not connect"), then what
    else failed with it."""
    causes = _causes(incident)
    if not causes:
        return "not known"
    return causes[0] + (f"; also {', '.join(causes[1:])}" if causes[1:] else "")


def title(incident: Incident, note: Note | None) -> str:
    """An incident's title: the one people gave it, else the service and its first cause."""
    if note and note.title:
        return note.title
    return f"{incident.entity}: {(_causes(incident) or ['not known'])[0]}"


def uptime_colour(ratio: float | None) -> str:
    """The band of an uptime figure, by shields.io's colour names: >= 99.9 %, >= 99 %, >= 95 %, below."""
    if ratio is None:
        return "lightgrey"
    for floor, colour in ((0.999, "brightgreen"), (0.99, "green"), (0.95, "yellow")):
        if ratio >= floor:
            return colour
    return "red"


def response_time_ms(drawn: Drawn, service: str, now: datetime) -> float | None:
    """The median of the latency check's samples over the last 24 hours (None: none measured)."""
    since = now - RESPONSE_TIME_WINDOW
    samples = [ms for mine, started, times in drawn.latency if mine == service and started >= since for ms in times]
    return statistics.median(samples) if samples else None


def response_time_colour(ms: float | None, threshold_ms: float | None) -> str:
    if ms is None:
        return "lightgrey"
    if threshold_ms is None:
        return "blue"
    for share, colour in ((0.5, "brightgreen"), (1.0, "green"), (2.0, "orange")):
        if ms <= threshold_ms * share:
            return colour
    return "red"


def endpoint(label: str, message: str, colour: str) -> dict[str, Any]:
    """One badge as shields.io's endpoint badge reads it (https://shields.io/badges/endpoint-badge)."""
    return {"schemaVersion": 1, "label": label, "message": message, "color": colour, "cacheSeconds": CACHE_SECONDS}


def badges(entity: Entity, drawn: Drawn, now: datetime, threshold_ms: float | None) -> dict[str, dict[str, Any]]:
    """File stem -> endpoint JSON: the state, uptime per window, and response time."""
    found = {"status": endpoint(entity.name, entity.state, STATE_COLOURS[entity.state])}
    for window in BADGE_WINDOWS:
        ratio = entity.uptime[window].ratio
        found[f"uptime-{window}"] = endpoint(f"uptime {window}", percent(ratio), uptime_colour(ratio))
    ms = response_time_ms(drawn, entity.name, now)
    found["response-time"] = endpoint(
        "response time", "no data" if ms is None else f"{ms:.0f} ms", response_time_colour(ms, threshold_ms)
    )
    return found


# Verdana 11 px advance widths (shields.io draws badges in it), in tenths of a pixel, for the
# characters a badge of this monitor can carry; anything else counts as the widest.
_NARROW = dict.fromkeys("il.,:;'|!", 40) | dict.fromkeys("fjrt()[] -", 50) | dict.fromkeys("Ik", 65)
_WIDE = dict.fromkeys("mw%MW", 105) | dict.fromkeys("ABCDGHKNOPQRSUVXYZ", 80)


def text_width(text: str) -> int:
    """Pixels the text takes in 11 px Verdana, rounded up; ``textLength`` holds the SVG to it
    whatever font the viewer has."""
    return -(-sum(_NARROW.get(c, _WIDE.get(c, 70)) for c in text) // 10)


def svg(badge: dict[str, Any]) -> str:
    """A flat static badge, self-contained (no font or image fetched), readable by a screen reader."""
    label, message = str(badge["label"]), str(badge["message"])
    colour = NAMED.get(badge["color"], badge["color"])
    left = text_width(label) + 10 if label else 0
    right = text_width(message) + 10
    width = left + right
    said = f"{label}: {message}" if label else message

    def text(x: int, words: str) -> str:
        length = text_width(words)
        return (
            f'<text x="{x}" y="15" fill="#010101" fill-opacity=".3" textLength="{length}">{_xml(words)}</text>'
            f'<text x="{x}" y="14" textLength="{length}">{_xml(words)}</text>'
        )

    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="20" role="img" aria-label="{_xml(said)}">'
        f"<title>{_xml(said)}</title>"
        f'<linearGradient id="s" x2="0" y2="100%"><stop offset="0" stop-color="#bbb" stop-opacity=".1"/>'
        f'<stop offset="1" stop-opacity=".1"/></linearGradient>'
        f'<clipPath id="r"><rect width="{width}" height="20" rx="3" fill="#fff"/></clipPath>'
        f'<g clip-path="url(#r)"><rect width="{left}" height="20" fill="#555"/>'
        f'<rect x="{left}" width="{right}" height="20" fill="{_xml(colour)}"/>'
        f'<rect width="{width}" height="20" fill="url(#s)"/></g>'
        f'<g fill="#fff" text-anchor="start" font-family="Verdana,Geneva,DejaVu Sans,sans-serif" font-size="11">'
        + (text(5, label) if label else "")
        + text(left + 5, message)
        + "</g></svg>"
    )


def _xml(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def overall(shown: list[Entity]) -> str:
    states = {e.state for e in shown}
    return next((s for s in ("down", "degraded", "unknown") if s in states), "up") if shown else "unknown"


def shown(report: Report, policy: StatusPagePolicy) -> list[Entity]:
    return [e for e in report.services if e.name not in policy.hidden_services]


def public_incidents(report: Report, entities: list[Entity], days: int, min_runs: int = 1) -> list[Incident]:
    """The incidents of the shown services that were open within ``days``, newest first: those
    of at least ``min_runs`` failed runs (what alerting counts as an incident, ``[alerts]
    open_after``), and any still going on."""
    since = report.now - timedelta(days=days)
    return sorted(
        (
            i
            for e in entities
            for i in e.incidents
            if (i.ended is None or i.ended >= since) and (i.ended is None or i.runs >= min_runs)
        ),
        key=lambda i: i.started,
        reverse=True,
    )


def min_runs(profile: Profile | None) -> int:
    """Failed runs in a row that make an incident, as alerting counts them."""
    return profile.alerts.open_after if profile else AlertPolicy().open_after


@dataclass(frozen=True)
class Window:
    """A maintenance window as the page shows it: the services it covers (by its check patterns)."""

    window: MaintenanceWindow
    services: list[str]

    @property
    def id(self) -> str:
        return f"maintenance-{self.window.start:%Y%m%dT%H%MZ}"


def maintenance(profile: Profile | None, services: list[str]) -> list[Window]:
    if profile is None:
        return []
    ids = [(case.service, case.id) for case in catalogue(profile)]
    found = []
    for window in profile.alerts.maintenance:
        covered = [
            s
            for s in services
            if any(p == "*" or any(fnmatchcase(cid, p) for svc, cid in ids if svc == s) for p in window.checks)
        ]
        if covered:
            found.append(Window(window, covered))
    return sorted(found, key=lambda w: w.window.start)


def summary(
    report: Report,
    drawn: Drawn,
    policy: StatusPagePolicy,
    profile: Profile | None,
    notes: Mapping[str, Note] | None = None,
) -> dict[str, Any]:
    """The page's figures as data: the SLO report's, for the shown services, without the
    per-check breakdown (check ids carry paths) and without burn rates (an alerting matter); and
    what the page says beside them: people's updates on each incident, maintenance ahead."""
    entities = shown(report, policy)
    notes = notes or {}

    def said(ident: str) -> dict[str, Any]:
        note = notes.get(ident)
        return {
            "title": note.title if note else "",
            "updates": [
                {"status": u.status, "at": u.at.isoformat(), "text": u.text} for u in (note.updates if note else [])
            ],
        }

    def service(e: Entity) -> dict[str, Any]:
        spec = profile.services.get(e.name) if profile else None
        return {
            "name": e.name,
            "state": e.state,
            "last_check": e.last_check.isoformat() if e.last_check else None,
            "url": spec.base_url if spec and e.name in policy.public_urls else None,
            "uptime": {w: e.uptime[w].to_dict() for w in e.uptime},
            "budget": e.budget.to_dict() if e.budget else None,
            "response_time_ms": response_time_ms(drawn, e.name, report.now),
            "latency_threshold_ms": spec.latency_ms if spec else None,
            "incidents": [
                {"id": incident_id(i), **i.to_dict(report.now), "cause": root_cause(i), **said(incident_id(i))}
                for i in e.incidents
            ],
        }

    return {
        "target": report.target,
        "generated": report.now.isoformat(),
        "objective": report.objective,
        "window_days": report.window_days,
        "runs": report.runs,
        "state": overall(entities),
        "services": [service(e) for e in entities],
        "latency": [{**vars(r), "met": r.met} for r in report.latency],
        "maintenance": [
            {
                "id": w.id,
                "start": w.window.start.isoformat(),
                "end": w.window.end.isoformat(),
                "reason": w.window.reason,
                "services": w.services,
            }
            for w in maintenance(profile, [e.name for e in entities])
            if w.window.end > report.now
        ],
    }


def feed(
    report: Report,
    policy: StatusPagePolicy,
    days: int = FEED_DAYS,
    runs: int = 1,
    notes: Mapping[str, Note] | None = None,
) -> str:
    """An Atom feed (RFC 4287) of the shown services' incidents (of at least ``runs`` failed runs,
    or going on), one entry per incident, updated when it ends or people post an update (its
    title and latest update are theirs then); links point at the incident's anchor on the page."""
    page = (policy.base_url or "").rstrip("/") + "/" if policy.base_url else ""
    ET.register_namespace("", ATOM)
    root = ET.Element(f"{{{ATOM}}}feed")
    found = public_incidents(report, shown(report, policy), days, runs)

    def add(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
        element = ET.SubElement(parent, f"{{{ATOM}}}{tag}", attrs)
        element.text = text
        return element

    add(root, "title", f"{policy.title}: incidents")
    add(root, "id", f"urn:slurpy-monitor:{slug(report.target)}:incidents")
    notes = notes or {}

    def changed(incident: Incident) -> datetime:
        note = notes.get(incident_id(incident))
        return max([incident.ended or incident.started, *(u.at for u in (note.updates if note else []))])

    updated = max([report.now if i.ended is None else changed(i) for i in found], default=report.now)
    add(root, "updated", updated.isoformat())
    add(root, "link", rel="alternate", type="text/html", href=f"{page}index.html")
    author = add(root, "author")
    add(author, "name", policy.title)
    for incident in found:
        entry = add(root, "entry")
        ident = incident_id(incident)
        state = "ongoing" if incident.ended is None else "resolved"
        note = notes.get(ident)
        add(entry, "title", f"{title(incident, note)} ({state})")
        add(entry, "id", f"urn:slurpy-monitor:{slug(report.target)}:{ident}")
        add(entry, "published", incident.started.isoformat())
        add(entry, "updated", changed(incident).isoformat())
        add(entry, "link", rel="alternate", type="text/html", href=f"{page}index.html#{ident}")
        lasted = duration(incident.duration_s(report.now))
        add(
            entry,
            "summary",
            f"{incident.entity} {'has been failing for' if incident.ended is None else 'failed for'} "
            f"{lasted} from {incident.started:%Y-%m-%d %H:%M} UTC"
            + ("" if incident.ended is None else f" to {incident.ended:%Y-%m-%d %H:%M} UTC")
            + f"; {incident.runs} failed runs; cause: {root_cause(incident)}"
            + (f". {note.updates[-1].status}: {note.updates[-1].text}" if note else ""),
        )
    ET.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def replace_whole(path: Path, text: str) -> None:
    """Written beside, then renamed: a web server never serves half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=path.parent, delete=False, suffix=".tmp") as fh:
        fh.write(text)
    os.chmod(fh.name, 0o644)  # a temporary file is private; these are for a web server
    os.replace(fh.name, path)


def write(
    out: Path,
    report: Report,
    drawn: Drawn,
    policy: StatusPagePolicy,
    profile: Profile | None = None,
    notes: Mapping[str, Note] | None = None,
) -> list[Path]:
    """``out/summary.json``, ``out/incidents.atom`` and ``out/badges/<service>/<badge>.{json,svg}``."""
    written = []
    for entity in shown(report, policy):
        spec = profile.services.get(entity.name) if profile else None
        for stem, badge in badges(entity, drawn, report.now, spec.latency_ms if spec else None).items():
            for suffix, text in ((".json", json.dumps(badge) + "\n"), (".svg", svg(badge) + "\n")):
                path = out / "badges" / slug(entity.name) / f"{stem}{suffix}"
                replace_whole(path, text)
                written.append(path)
    for name, text in (
        ("summary.json", json.dumps(summary(report, drawn, policy, profile, notes), indent=2) + "\n"),
        ("incidents.atom", feed(report, policy, runs=min_runs(profile), notes=notes)),
    ):
        replace_whole(out / name, text)
        written.append(out / name)
    return written
