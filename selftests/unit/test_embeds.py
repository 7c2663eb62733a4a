"""Badges, summary.json and the incident feed, written beside the status page from the status
page tests' scripted history: the badges pass shields.io's endpoint schema, the static SVGs are
well-formed and say the same, summary.json carries the SLO module's own figures, and a feed
reader (feedparser) reads one entry per incident with a link to its anchor on the page."""

from __future__ import annotations

import json
from xml.etree import ElementTree as ET

import feedparser
import jsonschema
import pytest
from test_status_page import BACKEND_NOTE, history, page_profile

from monitor.history.observation import drawn
from monitor.profile import StatusPagePolicy
from monitor.report import embeds, notes
from monitor.report.status_page import write
from monitor.slo.read import LATENCY_CHECK
from monitor.slo.report import build
from testkit.provider_schemas import SHIELDS_ENDPOINT
from testkit.scripted_history import NOON, POLICY

SERVICES = ["frontend", "backend", "mcp"]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    rows = history()
    report = build(rows, POLICY, NOON, "production", SERVICES)
    policy = StatusPagePolicy(title="Slurpy status", public_urls=["frontend"], base_url="https://status.example.test/")
    out = tmp_path_factory.mktemp("page")
    note = notes.parse("backend-20260310T1100Z", BACKEND_NOTE)
    write(out, report, drawn(rows, LATENCY_CHECK), policy, page_profile(), {note.id: note})
    return out, report, rows


def test_every_badge_passes_the_shields_endpoint_schema_and_says_the_figure(built):
    out, report, _ = built
    files = sorted(p.relative_to(out).as_posix() for p in (out / "badges").rglob("*.json"))
    assert files == sorted(
        f"badges/{s}/{b}.json"
        for s in SERVICES
        for b in ("status", "uptime-24h", "uptime-7d", "uptime-30d", "response-time")
    )
    for path in (out / "badges").rglob("*.json"):
        jsonschema.validate(json.loads(path.read_text()), SHIELDS_ENDPOINT)
    badge = lambda service, name: json.loads((out / "badges" / service / f"{name}.json").read_text())
    assert badge("mcp", "status") == {
        "schemaVersion": 1,
        "label": "mcp",
        "message": "down",
        "color": "red",
        "cacheSeconds": 300,
    }
    assert (badge("backend", "status")["message"], badge("backend", "status")["color"]) == ("up", "brightgreen")
    # backend over 24 h: 5700 s up of 6900 s known (the SLO tests' figure).
    assert (badge("backend", "uptime-24h")["message"], badge("backend", "uptime-24h")["color"]) == ("82.61 %", "red")
    assert badge("frontend", "uptime-30d")["message"] == "no data"  # never ran: never 100 %
    # The latency samples of the last 24 h: 22 runs of five 100 ms and one of five 900 ms.
    assert (
        badge("backend", "response-time")["message"] == "100 ms"
        and badge("frontend", "response-time")["message"] == "no data"
    )


def test_an_unknown_key_or_an_empty_message_is_what_the_schema_refuses():
    """The schema itself can fail: a badge shields.io would reject is rejected here too."""
    good = embeds.endpoint("uptime", "99.9 %", "green")
    jsonschema.validate(good, SHIELDS_ENDPOINT)
    for bad in (
        {**good, "message": ""},
        {**good, "colour": "green"},
        {**good, "schemaVersion": 2},
        {k: v for k, v in good.items() if k != "label"},
    ):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(bad, SHIELDS_ENDPOINT)


def test_static_svg_badges_are_well_formed_and_say_the_same_as_the_json(built):
    out, _, _ = built
    for path in (out / "badges").rglob("*.svg"):
        data = json.loads(path.with_suffix(".json").read_text())
        root = ET.fromstring(path.read_text())
        said = f"{data['label']}: {data['message']}"
        assert root.get("aria-label") == said and root.findtext("{http://www.w3.org/2000/svg}title") == said
        texts = [t.text for t in root.iter("{http://www.w3.org/2000/svg}text")]
        assert texts == [data["label"], data["label"], data["message"], data["message"]]
        label, message, _ = root.findall("{http://www.w3.org/2000/svg}g")[0]  # the boxes under the gloss
        assert int(root.attrib["width"]) == int(label.attrib["width"]) + int(message.attrib["width"])
    assert embeds.text_width("100.00 %") > embeds.text_width("up") > 0


def test_summary_json_carries_the_slo_modules_figures(built):
    out, report, rows = built
    summary = json.loads((out / "summary.json").read_text())
    assert summary["state"] == "down" and summary["target"] == "production" and summary["runs"] == report.runs
    by_name = {s["name"]: s for s in summary["services"]}
    assert list(by_name) == SERVICES
    for entity in report.services:
        mine = by_name[entity.name]
        assert mine["state"] == entity.state
        assert mine["uptime"] == {w: u.to_dict() for w, u in entity.uptime.items()}
        assert mine["budget"] == (entity.budget.to_dict() if entity.budget else None)
        assert [
            {k: v for k, v in i.items() if k not in ("id", "cause", "title", "updates")} for i in mine["incidents"]
        ] == [i.to_dict(report.now) for i in entity.incidents]
    assert summary["latency"] == report.to_dict()["latency"]
    assert by_name["frontend"]["url"] == "https://your-domain.com" and by_name["backend"]["url"] is None
    assert "corp.example" not in (out / "summary.json").read_text()  # no internal URL from the records
    [outage] = by_name["backend"]["incidents"]
    assert (outage["id"], outage["cause"], outage["title"]) == (
        "backend-20260310T1100Z",
        "answered with an error status; also too slow",
        "API errors after a database failover",
    )
    assert [u["status"] for u in outage["updates"]] == ["Investigating", "Identified", "Resolved"]
    assert summary["maintenance"] == [
        {
            "id": "maintenance-20260312T0200Z",
            "start": "2026-03-12T02:00:00+00:00",
            "end": "2026-03-12T04:00:00+00:00",
            "reason": "Supabase maintenance",
            "services": SERVICES,
        }
    ]  # the past window is on the bars, not ahead


def test_the_feed_is_atom_a_reader_parses_one_entry_per_incident(built):
    out, report, _ = built
    parsed = feedparser.parse((out / "incidents.atom").read_bytes())
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == "atom10" and parsed.feed.title == "Slurpy status: incidents"
    incidents = sorted((i for e in report.services for i in e.incidents), key=lambda i: i.started, reverse=True)
    assert len(incidents) == 3 and incidents[2].runs == 1  # mcp's one-run blip at 10:20 alerts no one: not an entry
    assert len(parsed.entries) == 2
    mcp, backend = parsed.entries
    assert mcp.title == "mcp: could not connect (ongoing)" and "cause: could not connect" in mcp.summary
    assert backend.title == "API errors after a database failover (resolved)"  # people's note names it
    assert "failed for 25 min from 2026-03-10 11:00 UTC to 2026-03-10 11:25 UTC" in backend.summary
    assert "cause: answered with an error status; also too slow" in backend.summary
    assert backend.link == f"https://status.example.test/index.html#{embeds.incident_id(incidents[1])}"
    assert len({e.id for e in parsed.entries}) == 2


def test_peoples_updates_title_the_entry_and_update_it(tmp_path):
    rows = history()
    report = build(rows, POLICY, NOON, "production", SERVICES)
    note = notes.parse("backend-20260310T1100Z", BACKEND_NOTE)
    parsed = feedparser.parse(embeds.feed(report, StatusPagePolicy(), runs=2, notes={note.id: note}))
    backend = parsed.entries[1]
    assert backend.title == "API errors after a database failover (resolved)"
    assert backend.summary.endswith("Resolved: All requests succeed again.")
    assert backend.updated == "2026-03-10T11:30:00+00:00"  # the last update, after the incident ended (11:25:30)


def test_hidden_services_are_left_out_of_every_embed(tmp_path):
    rows = history()
    report = build(rows, POLICY, NOON, "production", SERVICES)
    written = embeds.write(tmp_path, report, drawn(rows, LATENCY_CHECK), StatusPagePolicy(hidden_services=["mcp"]))
    assert not any("mcp" in p.as_posix() for p in written)
    assert (
        "mcp" not in (tmp_path / "summary.json").read_text() and "mcp" not in (tmp_path / "incidents.atom").read_text()
    )
