"""The end-of-run step: read the history, derive every incident, add the messages they call for,
and deliver what is outstanding (this run's and earlier runs' undelivered ones), then ping the
heartbeat. Never raises for a receiver's or the history's sake: whatever went wrong is in the
returned :class:`Outcome`, for the run summary, and the run's verdict is not touched."""
from __future__ import annotations

import json
import math
import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from fnmatch import fnmatchcase
from functools import partial
from pathlib import Path

from monitor.alerts import channels, policy
from monitor.alerts.state import AlertState, Delivery
from monitor.history.store import HistoryError
from monitor.profile import SEVERITIES, AlertChannel, AlertPolicy, Profile
from monitor.results import CheckResult, Verdict
from monitor.secrets import MissingSecret, Secrets
from monitor.slo.compute import BurnAlert, BurnRate
from monitor.slo.text import duration

RESOLVED_SEQ = 1_000_000


@dataclass
class Outcome:
    """What this evaluation did, one line each, for the run summary."""

    sent: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    suppressed: list[str] = field(default_factory=list)
    open_incidents: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        return ([f"open: {line}" for line in self.open_incidents] + [f"sent: {line}" for line in self.sent]
                + [f"NOT DELIVERED: {line}" for line in self.failed]
                + [f"maintenance: {line}" for line in self.suppressed])


def run_url(env: Mapping[str, str] = os.environ) -> str:
    """A link to this run: ``$SLURPY_RUN_URL``, or the GitHub Actions run when inside one."""
    if env.get("SLURPY_RUN_URL"):
        return env["SLURPY_RUN_URL"]
    if env.get("GITHUB_RUN_ID") and env.get("GITHUB_REPOSITORY"):
        return f"{env.get('GITHUB_SERVER_URL', 'https://github.com')}/{env['GITHUB_REPOSITORY']}/actions/runs/{env['GITHUB_RUN_ID']}"
    return ""


def in_maintenance(alerts: AlertPolicy, checks: Sequence[str], now: datetime) -> str | None:
    """Why alerts about these checks are suppressed now: a window covering every one of them."""
    for window in alerts.maintenance:
        if window.start <= now < window.end and all(any(fnmatchcase(c, p) for p in window.checks) for c in checks):
            return window.reason or f"until {window.end.isoformat()}"
    return None


def _observation(row: Sequence) -> policy.Observation:
    run_id, started, check_id, verdict, message, url, service, at, category, problems = row
    listed = json.loads(problems) if problems else []
    return policy.Observation(run_id, datetime.fromisoformat(started), check_id, Verdict(verdict), message, url, service,
                              at, category, tuple(str(p) for p in listed) if isinstance(listed, list) else ())


def derive(alerts: AlertPolicy, state: AlertState, target: str, now: datetime,
           current: Sequence[CheckResult] = (), burn: Sequence[policy.Incident] = ()) -> list[policy.Incident]:
    """Every incident of the target in the lookback: one per outage of each service (its checks'
    incidents and its ``burn``-rate alerts' together, :func:`policy.outages`), and missed runs'."""
    since = now - timedelta(days=alerts.lookback_days)
    observations = [_observation(row) for row in state.observations(target, since)]
    started = {o.run_id: o.started for o in observations}
    for result in current:  # this run's records, should the history have missed them
        problems = result.details.get("problems") if result.verdict in (Verdict.FAIL, Verdict.WARN) else None
        observations.append(policy.Observation(result.run_id, started.get(result.run_id, now), result.id, result.verdict,
                                               result.message, result.url, result.service, result.time,
                                               result.category.value if result.category else None,
                                               tuple(map(str, problems)) if isinstance(problems, list) else ()))
    by_service: dict[str, list[policy.Observation]] = {}
    for o in observations:
        by_service.setdefault(o.service or o.check_id, []).append(o)
    burning: dict[str, list[policy.Incident]] = {}
    for incident in burn:
        burning.setdefault(incident.service, []).append(incident)
    found: list[policy.Incident] = []
    for name in sorted({*by_service, *burning}):
        seen = by_service.get(name, [])
        mine = policy.outages(alerts, target, name, seen, burning.get(name, []))
        if seen:
            _keep_key(state, target, name, seen, mine)
        found += mine
    for known_target, suite in state.history.suites():
        if known_target == target:
            slots = [s for s in state.history.timeline(target, suite, now) if s.end > since]
            found += policy.missed_run_incidents(alerts, target, suite, slots)
    return found


def _keep_key(state: AlertState, target: str, check_id: str, seen: Sequence[policy.Observation],
              found: list[policy.Incident]) -> None:
    """The first incident keeps the key it was announced under when its streak may have begun
    before the lookback (it starts with the first run read)."""
    first = min(seen, key=lambda o: (o.started, o.run_id)).run_id
    if found and found[0].first_run == first:
        found[0].key = state.open_incident(target, check_id) or found[0].key


# The SRE workbook's two burn-rate alerts, as monitor.slo computes them: a fast burn pages, a slow
# burn opens a ticket-level (warning) alert.
BURN_SEVERITY = {"page-fast": "critical", "page-slow": "warning"}


def burn_incidents(profile: Profile, state: AlertState, now: datetime) -> list[policy.Incident]:
    """One incident per service and burn-rate alert, from the same figures as ``slurpy-monitor
    uptime`` (monitor.slo), debounced like a check: the alerts are worked out as of the end of each
    run of the availability suites in the lookback, a run where one fires counts as a failed run of
    ``burn:<alert>:<service>``, one where it is ready and does not as a passing run, one without
    enough known time as neither; ``open_after`` and ``resolve_after`` then apply as to any check."""
    from monitor.slo.report import burn_alerts_at, from_history

    alerts = profile.alerts
    since = now - timedelta(days=alerts.lookback_days)
    rows, report = from_history(state.history, profile.name, profile.slo, now, list(profile.services))
    ends: dict[str, datetime] = {}
    begins: dict[str, datetime] = {}
    for o in rows:
        if o.suite in profile.slo.availability_suites and since <= o.started <= now:
            begins[o.run_id] = o.started
            ends[o.run_id] = max(ends.get(o.run_id, o.started), o.time)
    order = sorted(begins, key=lambda run_id: (begins[run_id], run_id))
    # As of the end of each run, or the start of the next one if a clock says it ended later.
    moments = [min(ends[run_id], now, *[begins[later] for later in order[index + 1:index + 2]])
               for index, run_id in enumerate(order)]
    found: list[policy.Incident] = []
    for service, states in burn_alerts_at(report, moments).items():
        seen: list[policy.Observation] = []
        for index, (run_id, fired) in enumerate(zip(order, states, strict=True)):
            if index and moments[index] <= moments[index - 1]:
                continue  # judged at the same moment as the run before: no second opinion
            begun = begins[run_id]
            for alert in fired:
                verdict = Verdict.FAIL if alert.firing else Verdict.PASS if alert.ready else Verdict.SKIP
                seen.append(policy.Observation(run_id, begun, f"burn:{alert.name}:{service}", verdict,
                                               burn_words(alert), service=service))
        for check_id, mine in policy.by_check(seen).items():
            opened = policy.incidents(alerts, profile.name, mine)
            for incident in opened:
                incident.severity = BURN_SEVERITY[check_id.split(":")[1]]
            found += opened
    return found


def burn_words(alert: BurnAlert) -> str:
    """``error budget burning at 250.0x over 1h (of 55 min known) and 1000.0x over 5m (alert at 14.4x)``."""
    def over(rate: BurnRate) -> str:
        return f"{rate.burn or 0:.1f}x over {rate.window} (of {duration(rate.known_s)} known)"

    return f"error budget burning at {over(alert.long)} and {over(alert.short)} (alert at {alert.factor:g}x)"


def message(incident: policy.Incident, kind: str, now: datetime, link: str, update: policy.Update | None = None) -> dict:
    """What a channel is given: the incident as data, and for "worse" the new problem (``update``)."""
    return {"kind": kind, "target": incident.target, "check_id": incident.check_id, "service": incident.service,
            "severity": incident.severity, "since": incident.since.isoformat(timespec="seconds"),
            "opened_at": incident.opened_at.isoformat(timespec="seconds"),
            "resolved_at": incident.resolved_at.isoformat(timespec="seconds") if incident.resolved_at else None,
            "cause": incident.cause, "also": incident.also, "checks": incident.checks,
            "update": update.text if update else None, "update_detail": update.detail if update else None,
            "last_error": incident.last_error, "url": incident.url, "run_url": link, "incident": incident.key,
            "failed_runs": incident.failed_runs, "flaky_runs": incident.flaky_runs, "at": now.isoformat(timespec="seconds")}


def plan(alerts: AlertPolicy, state: AlertState, incidents: list[policy.Incident], now: datetime, link: str,
         outcome: Outcome) -> None:
    """Add the messages the incidents call for; what is already known is left as it is."""
    enabled = state.enabled_since(now)
    for incident in incidents:
        if incident.open:
            outcome.open_incidents.append(f"{incident.severity} {incident.check_id} since "
                                          f"{incident.since:%Y-%m-%d %H:%M} UTC: {incident.cause or incident.last_error}")
        elif incident.resolved_at and incident.resolved_at < enabled:
            continue  # over before alerting began
        why = in_maintenance(alerts, incident.checks or [incident.check_id], now)
        if why:
            outcome.suppressed.append(f"{incident.check_id}: {why}")
            continue
        for channel in alerts.channels:
            if SEVERITIES.index(incident.severity) < SEVERITIES.index(channel.min_severity):
                continue
            known = state.known(incident.key, channel.name)
            events: list[tuple[str, int, policy.Update | None]] = []
            if incident.open:
                events.append(("opened", 0, None))
                due = math.floor((now - incident.opened_at) / timedelta(hours=alerts.remind_every_h)) \
                    if alerts.remind_every_h else 0
                if due >= 1 and "opened" in known:
                    events.append((f"reminder-{due}", due, None))
                if "opened" in known:  # a new problem while it is open: once, after the opening
                    events += [(f"worse-{u.key}", n, u) for n, u in enumerate(incident.updates, 1)]
            elif "opened" in known:
                events.append(("resolved", RESOLVED_SEQ, None))
            for event, seq, update in events:
                if event not in known:
                    state.ensure(Delivery(incident.key, event, channel.name, incident.target, incident.check_id, seq,
                                          "pending", 0, "", "", message(incident, event.split("-")[0], now, link, update),
                                          now.isoformat(timespec="milliseconds"), ""))


def send_with_retries(send: Callable[[], str], alerts: AlertPolicy, sleep: Callable[[float], None]) -> tuple[str, str, int]:
    """(ref, error, attempts): up to ``delivery_attempts`` tries, ``delivery_backoff_s`` doubling between them."""
    delay = alerts.delivery_backoff_s
    for attempt in range(1, alerts.delivery_attempts + 1):
        try:
            return send(), "", attempt
        except channels.DeliveryError as exc:
            if not exc.retry or attempt == alerts.delivery_attempts:
                return "", str(exc), attempt
            sleep(delay)
            delay *= 2
    raise AssertionError("unreachable")


def deliver(alerts: AlertPolicy, state: AlertState, target: str, secret: channels.Secret, now: datetime, by: str,
            outcome: Outcome, sleep: Callable[[float], None] = time.sleep) -> None:
    by_name: dict[str, AlertChannel] = {c.name: c for c in alerts.channels}
    blocked: set[tuple[str, str]] = set()  # (incident, channel) whose earlier message did not go: keep the order
    for delivery in state.outstanding(target):
        channel = by_name.get(delivery.channel)
        route = (delivery.incident, delivery.channel)
        if channel is None or route in blocked or \
                in_maintenance(alerts, delivery.message.get("checks") or [delivery.check_id], now):
            blocked.add(route)
            continue
        opened = state.delivered(delivery.incident, delivery.channel, "opened") if delivery.kind != "opened" else None
        ref = opened.ref if opened else delivery.ref
        if not state.claim(delivery, by, now):
            blocked.add(route)  # another run has it
            continue
        send = partial(channels.SENDERS[channel.kind], channel, delivery.message, ref, secret, alerts.delivery_timeout_s)
        ref, error, attempts = send_with_retries(send, alerts, sleep)
        state.finish(delivery, attempts, error, ref, now)
        line = f"{delivery.event} {delivery.check_id} -> {channel.name} ({channel.kind})"
        if error:
            blocked.add(route)
            outcome.failed.append(f"{line} after {attempts} attempt(s): {error}; retried next run")
        else:
            late = (f", late: raised {delivery.created[:19]}Z, {delivery.attempts} earlier attempt(s) failed"
                    if delivery.attempts else "")
            outcome.sent.append(line + late)


def secret_reader(profile: Profile, provided: Mapping[str, str] | None = None) -> channels.Secret:
    secrets = Secrets(profile, provided=provided)

    def read(name: str) -> str:
        try:
            return secrets.get(name)
        except MissingSecret as exc:
            raise channels.DeliveryError(str(exc), retry=False) from None

    return read


def evaluate(profile: Profile, history: Path, now: datetime, by: str, current: Sequence[CheckResult] = (),
             secret: channels.Secret | None = None, sleep: Callable[[float], None] = time.sleep) -> Outcome:
    """Derive, plan and deliver for one target. A history that cannot be used is one failed line."""
    outcome = Outcome()
    alerts = profile.alerts
    try:
        with AlertState(history) as state:
            burn = burn_incidents(profile, state, now) if alerts.channels and alerts.burn_rate else []
            incidents = derive(alerts, state, profile.name, now, current, burn)
            plan(alerts, state, incidents, now, run_url(), outcome)
            deliver(alerts, state, profile.name, secret or secret_reader(profile), now, by, outcome, sleep)
    except HistoryError as exc:
        outcome.failed.append(f"alerts not evaluated: {exc}")
    return outcome


def heartbeat(profile: Profile, body: str, secret: channels.Secret | None = None,
              sleep: Callable[[float], None] = time.sleep) -> str | None:
    """Ping the dead-man's switch; the problem, if it did not answer."""
    alerts = profile.alerts
    if not alerts.heartbeat_secret:
        return None
    read = secret or secret_reader(profile)
    name = alerts.heartbeat_secret

    def ping() -> str:
        channels.ping(read(name), body, alerts.delivery_timeout_s)
        return ""

    _, error, attempts = send_with_retries(ping, alerts, sleep)
    return f"heartbeat not delivered after {attempts} attempt(s): {error}" if error else None
