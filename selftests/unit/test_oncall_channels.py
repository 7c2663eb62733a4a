"""PagerDuty (Events API v2) and Opsgenie (Alert API) channels against local receivers that
validate every payload against the provider's documented schema (testkit/provider_schemas.py)
and refuse what the provider would: one incident is exactly one trigger and one resolve with the
incident key as dedup key (PagerDuty), one create and one close by that key as alias (Opsgenie)."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import quote

import pytest
from pydantic import ValidationError
from test_alerts import OPENED, T0, History, crashed, healthy, record

from monitor import redact
from monitor.alerts import dispatch
from monitor.history.store import HistoryStore, RunInfo
from monitor.profile import AlertChannel, Profile
from monitor.results import Category, CheckResult
from testkit.receivers import HttpReceiver

ROUTING_KEY = "R0ut1ngKeyOfThirtyTwoCharacters0"  # PagerDuty's integration keys are 32 characters
GENIE_KEY = "6b1a0c9e-genie-key-for-tests"
KEY = "t|backend|run-01"  # the incident key: target, service, the run its outage began with


@pytest.fixture
def http():
    receiver = HttpReceiver.start()
    yield receiver
    receiver.stop()


def oncall_profile(http: HttpReceiver, monkeypatch, routing_key: str = ROUTING_KEY, **alerts) -> Profile:
    monkeypatch.setenv("T_PD_ROUTING_KEY", routing_key)
    monkeypatch.setenv("T_OPSGENIE_KEY", GENIE_KEY)
    return Profile.model_validate(
        {
            "name": "t",
            "services": {
                "backend": {
                    "base_url": "https://api.example.test",
                    "latency_ms": 500,
                    "health": [{"path": "/health/healthz"}],
                }
            },
            "secrets": {"pd": "T_PD_ROUTING_KEY", "og": "T_OPSGENIE_KEY"},
            "alerts": {
                "channels": [
                    {"name": "pager", "kind": "pagerduty", "token_secret": "pd", "api_url": http.url},
                    {"name": "genie", "kind": "opsgenie", "token_secret": "og", "api_url": http.url},
                ],
                "delivery_backoff_s": 0,
                "burn_rate": False,
                **alerts,
            },
        }
    )


def play(profile: Profile, history: History, verdicts: str) -> list[dispatch.Outcome]:
    names = {"P": "pass", "F": "fail"}
    return [dispatch.evaluate(profile, history.path, history.run(names[v]), "r") for v in verdicts]


def test_one_incident_is_one_trigger_and_one_resolve_with_the_incident_key(http, monkeypatch, tmp_path):
    profile = oncall_profile(http, monkeypatch, remind_every_h=0)
    history = History(tmp_path / "h.sqlite")
    play(profile, history, "PF")
    assert http.got("/v2") == []  # one failed run opens nothing
    [outcome] = play(profile, history, "F")
    assert outcome.failed == [] and len(outcome.sent) == 2
    dispatch.evaluate(profile, history.path, history.run("fail") + timedelta(minutes=1), "r")  # still open: nothing new
    play(profile, history, "PP")
    assert http.refused == []
    events = [r.json for r in http.got("/v2/enqueue")]
    assert [(e["event_action"], e["dedup_key"]) for e in events] == [("trigger", KEY), ("resolve", KEY)]
    trigger = events[0]
    assert trigger["routing_key"] == ROUTING_KEY
    assert trigger["payload"]["summary"] == OPENED
    assert (trigger["payload"]["severity"], trigger["payload"]["source"], trigger["payload"]["component"]) == (
        "critical",
        "api.example.test",
        "backend",
    )
    assert trigger["payload"]["custom_details"]["last error"] == "backend health fail"
    assert http.pagerduty[KEY] == {
        "status": "resolved",
        "events": ["trigger", "resolve"],
        "payload": trigger["payload"],
    }

    calls = http.got("/v2/alerts")
    assert [c.path for c in calls] == ["/v2/alerts", f"/v2/alerts/{quote(KEY, safe='')}/close?identifierType=alias"]
    assert all(c.headers["Authorization"] == f"GenieKey {GENIE_KEY}" for c in calls)
    create = calls[0].json
    assert (create["alias"], create["priority"], create["entity"]) == (KEY, "P1", "backend")
    assert create["message"] == OPENED[:130]
    assert http.opsgenie[KEY]["status"] == "closed" and http.opsgenie[KEY]["count"] == 1


def test_reminders_fold_into_the_open_alert(http, monkeypatch, tmp_path):
    """A reminder re-sends the trigger / create under the same key: PagerDuty deduplicates it into
    the open alert, Opsgenie counts it; neither opens a second alert."""
    profile = oncall_profile(http, monkeypatch, remind_every_h=1)
    history = History(tmp_path / "h.sqlite")
    [*_, outcome] = play(profile, history, "FF")
    dispatch.evaluate(profile, history.path, history.run("fail") + timedelta(minutes=70), "r")
    assert [e.json["event_action"] for e in http.got("/v2/enqueue")] == ["trigger", "trigger"]
    key = "t|backend|run-00"
    assert list(http.pagerduty) == [key] and http.pagerduty[key]["status"] == "triggered"
    assert list(http.opsgenie) == [key] and http.opsgenie[key]["count"] == 2 and http.refused == []


def test_a_warning_has_the_providers_own_severity_words(http, monkeypatch, tmp_path):
    profile = oncall_profile(http, monkeypatch, severity={"health:*": "warning"})
    play(profile, History(tmp_path / "h.sqlite"), "FF")
    assert http.got("/v2/enqueue")[0].json["payload"]["severity"] == "warning"
    assert http.got("/v2/alerts")[0].json["priority"] == "P3" and http.refused == []


def test_what_the_provider_refuses_is_a_failed_delivery_not_retried_in_the_run(http, monkeypatch, tmp_path):
    """The receiver's schema can fail: a routing key that is not PagerDuty's 32 characters is
    refused with 400, said in the run's notes, and tried again next run (after the fix)."""
    profile = oncall_profile(http, monkeypatch, routing_key="too-short", delivery_attempts=3)
    history = History(tmp_path / "h.sqlite")
    [*_, outcome] = play(profile, history, "FF")
    [failed] = outcome.failed
    assert failed.startswith("opened backend -> pager (pagerduty) after 1 attempt(s): HTTP 400")
    assert "routing_key" in http.refused[0] and http.pagerduty == {}
    monkeypatch.setenv("T_PD_ROUTING_KEY", ROUTING_KEY)
    dispatch.evaluate(profile, history.path, history.run("fail"), "r")
    assert http.pagerduty["t|backend|run-00"]["events"] == ["trigger"]


def test_the_keys_stay_secret(http, monkeypatch, tmp_path):
    profile = oncall_profile(http, monkeypatch)
    history = History(tmp_path / "h.sqlite")
    outcomes = play(profile, history, "FFPP")
    said = "\n".join(line for o in outcomes for line in o.lines())
    kept = b"".join(p.read_bytes() for p in tmp_path.rglob("*") if p.is_file())  # the history and alert state
    assert ROUTING_KEY not in said and GENIE_KEY not in said
    assert ROUTING_KEY.encode() not in kept and GENIE_KEY.encode() not in kept
    assert redact.scrub(f"key {ROUTING_KEY} {GENIE_KEY}".encode()) == f"key {redact.MASK} {redact.MASK}".encode()


def test_a_long_incident_key_is_cut_to_the_providers_limit_and_stays_unique():
    from monitor.alerts.channels import bounded

    long = "t|health:backend:/" + "a" * 600 + "|run-01"
    other = long.replace("run-01", "run-02")
    assert len(bounded(long, 255)) == 255 and bounded(long, 255) != bounded(other, 255)
    assert bounded(KEY, 255) == KEY


def test_the_profile_says_what_each_on_call_channel_needs():
    with pytest.raises(ValidationError, match="needs token_secret"):
        AlertChannel(name="p", kind="pagerduty")
    assert AlertChannel(name="p", kind="pagerduty", token_secret="pd").api_url == "https://events.pagerduty.com"
    assert AlertChannel(name="o", kind="opsgenie", token_secret="og").api_url == "https://api.opsgenie.com"
    assert AlertChannel(name="g", kind="github", repo="a/b", token_secret="gh").api_url == "https://api.github.com"
    assert (
        AlertChannel(name="o", kind="opsgenie", token_secret="og", api_url="https://api.eu.opsgenie.com").api_url
        == "https://api.eu.opsgenie.com"
    )


def test_an_outage_that_gets_worse_stays_one_alert_until_it_resolves(http, monkeypatch, tmp_path):
    """The backend crashes (runs 0-4), its headers lose HSTS from run 2, it is healthy from run 5:
    PagerDuty gets trigger, trigger (the "worse" update, folded into the open alert), resolve, all
    under one dedup key; Opsgenie create, create (counted), close by that alias."""
    profile = oncall_profile(http, monkeypatch)
    path = tmp_path / "h.sqlite"
    for n in range(8):
        seen = healthy(n) if n >= 5 else crashed(n)
        if n >= 2:
            seen.append(
                record(
                    n,
                    "headers:backend:/",
                    "fail" if n <= 4 else "pass",
                    "headers" if n <= 4 else None,
                    "no HSTS",
                    ("no HSTS",) if n <= 4 else (),
                )
            )
        started = T0 + timedelta(minutes=5 * n)
        with HistoryStore(path) as store:
            store.begin_run(RunInfo(f"run-{n:02d}", "t", started.isoformat(timespec="milliseconds")))
            for seq, o in enumerate(seen):
                kind, service, check_path = (o.check_id.split(":") + [""])[:3]
                store.add(
                    CheckResult(
                        kind,
                        service,
                        o.verdict,
                        o.message,
                        target="t",
                        url=o.url,
                        path=check_path,
                        category=Category(o.category) if o.category else None,
                        run_id=o.run_id,
                        suite="smoke",
                        details={"problems": list(o.problems)} if o.problems else {},
                    ),
                    seq,
                )
        dispatch.evaluate(profile, path, started + timedelta(seconds=30), "r")
    assert http.refused == []
    events = [r.json for r in http.got("/v2/enqueue")]
    key = "t|backend|run-00"
    assert [(e["event_action"], e["dedup_key"]) for e in events] == [
        ("trigger", key),
        ("trigger", key),
        ("resolve", key),
    ]
    assert events[0]["payload"]["summary"].startswith("[CRITICAL] t: backend unreachable: connection refused")
    assert events[1]["payload"]["summary"].startswith("[CRITICAL] t: backend worse: ")
    assert list(http.pagerduty) == [key] and http.pagerduty[key]["status"] == "resolved"
    assert list(http.opsgenie) == [key] and http.opsgenie[key]["events"] == ["create", "create", "close"]
    assert http.opsgenie[key]["count"] == 2 and http.opsgenie[key]["status"] == "closed"
