"""The end-of-run step: read the history, derive every incident, add the messages they call for,
and deliver what is outstanding (this run's and earlier runs' undelivered ones), then ping the
heartbeat. Never raises for a receiver's or the history's sake: whatever went wrong is in the
returned :class:`Outcome`, for the run summary, and the run's verdict is not touched."""

from __future__ import annotations

import math
import os
import shlex
import subprocess
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from fnmatch import fnmatchcase
from functools import partial
from pathlib import Path

from monitor import redact
from monitor.alerts import channels, policy
from monitor.alerts.guidance import guidance
from monitor.alerts.state import CLAIM_LEASE_S, AlertLog, AlertState
from monitor.history.alert_store import FAILED, PENDING, SENDING, SENT, UNCONFIRMED, Delivery
from monitor.history.observation import Observation
from monitor.history.store import HistoryError
from monitor.profile import SEVERITIES, AlertChannel, AlertPolicy, MissingSecret, Profile, Secrets
from monitor.results import CheckResult, Verdict
from monitor.slo.compute import BURN_ALERTS, BurnAlert, BurnRate
from monitor.slo.text import duration

RESOLVED_SEQ = 1_000_000


@dataclass
class Outcome:
    """What this evaluation did, one line each, for the run summary."""

    sent: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)  # not delivered, or not sent: tried again next run
    unconfirmed: list[str] = field(default_factory=list)  # sent, no answer: the receiver may have it
    suppressed: list[str] = field(default_factory=list)
    open_incidents: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        return (
            [f"open: {line}" for line in self.open_incidents]
            + [f"sent: {line}" for line in self.sent]
            + [f"NOT DELIVERED: {line}" for line in self.failed]
            + [f"UNCONFIRMED: {line}" for line in self.unconfirmed]
            + [f"maintenance: {line}" for line in self.suppressed]
        )


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


def derive(
    alerts: AlertPolicy,
    state: AlertState,
    target: str,
    now: datetime,
    current: Sequence[CheckResult] = (),
    burn: Sequence[policy.Incident] = (),
) -> list[policy.Incident]:
    """Every incident of the target in the lookback: one per outage of each service (its checks'
    incidents and its ``burn``-rate alerts' together, :func:`policy.outages`), and missed runs'."""
    since = now - timedelta(days=alerts.lookback_days)
    observations = state.history.observations(target, since, findings=True)
    started = {o.run_id: o.started for o in observations}
    for result in current:  # this run's records, should the history have missed them
        problems = result.details.get("problems") if result.verdict in (Verdict.FAIL, Verdict.WARN) else None
        observations.append(
            Observation(
                result.run_id,
                started.get(result.run_id, now),
                "",
                result.suite,
                result.id,
                result.check,
                result.service,
                result.verdict,
                result.category.value if result.category else None,
                datetime.fromisoformat(result.time),
                message=result.message,
                url=result.url,
                problems=tuple(map(str, problems)) if isinstance(problems, list) else (),
            )
        )
    by_service: dict[str, list[Observation]] = {}
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


def _keep_key(
    state: AlertState, target: str, check_id: str, seen: Sequence[Observation], found: list[policy.Incident]
) -> None:
    """The first incident keeps the key it was announced under when its streak may have begun
    before the lookback (it starts with the first run read). Only an announced incident that none
    of ``found`` is already can be that one: the service's later incident, open and announced,
    would otherwise lend its key to an earlier one of the lookback, be resolved under it, and its
    own end never told."""
    first = min(seen, key=lambda o: (o.started, o.run_id)).run_id
    announced = state.open_incident(target, check_id)
    if found and found[0].first_run == first and announced and announced not in {i.key for i in found}:
        found[0].key = announced


# The SRE workbook's two burn-rate alerts, as monitor.slo computes them: a fast burn pages, a slow
# burn opens a ticket-level (warning) alert.
BURN_SEVERITY = {"page-fast": "critical", "page-slow": "warning"}


def burn_incidents(profile: Profile, state: AlertState, now: datetime) -> list[policy.Incident]:
    """One incident per service and burn-rate alert, from the same figures as ``slurpy-monitor
    uptime`` (monitor.slo), debounced like a check: the alerts are worked out as of the end of each
    run of the availability suites in the lookback, a run where one fires counts as a failed run of
    ``burn:<alert>:<service>``, one where it is ready and does not as a passing run, one without
    enough known time as neither; ``open_after`` and ``resolve_after`` then apply as to any check."""
    from monitor.slo.compute import BURN_WINDOWS
    from monitor.slo.read import observations
    from monitor.slo.report import burn_alerts_at, service_slots

    alerts = profile.alerts
    since = now - timedelta(days=alerts.lookback_days)
    # The lookback and the longest window before it: the same figures `uptime` gives for them.
    # (a day before too, so the first slot of a window has the run that observed it)
    rows = observations(state.history, profile.name, since - max(BURN_WINDOWS.values()) - timedelta(days=1))
    ends: dict[str, datetime] = {}
    begins: dict[str, datetime] = {}
    for o in rows:
        if o.suite in profile.slo.availability_suites and since <= o.started <= now:
            begins[o.run_id] = o.started
            ends[o.run_id] = max(ends.get(o.run_id, o.started), o.time)
    order = sorted(begins, key=lambda run_id: (begins[run_id], run_id))
    # As of the end of each run, or the start of the next one if a clock says it ended later.
    moments = [
        min(ends[run_id], now, *[begins[later] for later in order[index + 1 : index + 2]])
        for index, run_id in enumerate(order)
    ]
    found: list[policy.Incident] = []
    for service, states in burn_alerts_at(
        service_slots(rows, profile.slo, now), profile.slo.availability, moments
    ).items():
        seen: list[Observation] = []
        for index, (run_id, fired) in enumerate(zip(order, states, strict=True)):
            if index and moments[index] <= moments[index - 1]:
                continue  # judged at the same moment as the run before: no second opinion
            begun = begins[run_id]
            if fired is None:  # nothing down in the longest window: no alert can fire, each is passing
                seen += [_burning(run_id, begun, rule.name, service, Verdict.PASS) for rule in BURN_ALERTS]
                continue
            for alert in fired:
                verdict = Verdict.FAIL if alert.firing else Verdict.PASS if alert.ready else Verdict.SKIP
                seen.append(_burning(run_id, begun, alert.name, service, verdict, burn_words(alert)))
        for check_id, mine in policy.by_check(seen).items():
            opened = policy.incidents(alerts, profile.name, mine)
            for incident in opened:
                incident.severity = BURN_SEVERITY[check_id.split(":")[1]]
            found += opened
    return found


def _burning(run_id: str, begun: datetime, name: str, service: str, verdict: Verdict, words: str = "") -> Observation:
    """A burn-rate alert's state at the end of a run, as a run of the check ``burn:<alert>:<service>``."""
    check_id = f"burn:{name}:{service}"
    return Observation(run_id, begun, "", "", check_id, "burn", service, verdict, None, begun, message=words)


def burn_words(alert: BurnAlert) -> str:
    """``error budget burning at 250.0x over 1h (of 55 min known) and 1000.0x over 5m (alert at 14.4x)``."""

    def over(rate: BurnRate) -> str:
        return f"{rate.burn or 0:.1f}x over {rate.window} (of {duration(rate.known_s)} known)"

    return f"error budget burning at {over(alert.long)} and {over(alert.short)} (alert at {alert.factor:g}x)"


def message(
    incident: policy.Incident, kind: str, now: datetime, link: str, update: policy.Update | None = None
) -> dict:
    """What a channel is given: the incident as data, and for "worse" the new problem (``update``)."""
    return {
        "kind": kind,
        "target": incident.target,
        "check_id": incident.check_id,
        "service": incident.service,
        "severity": incident.severity,
        "since": incident.since.isoformat(timespec="seconds"),
        "opened_at": incident.opened_at.isoformat(timespec="seconds"),
        "resolved_at": incident.resolved_at.isoformat(timespec="seconds") if incident.resolved_at else None,
        "summary": incident.cause,
        "also": incident.also,
        "checks": incident.checks,
        "update": update.text if update else None,
        "update_detail": update.detail if update else None,
        "last_error": incident.last_error,
        "url": incident.url,
        "run_url": link,
        "incident": incident.key,
        "failed_runs": incident.failed_runs,
        "flaky_runs": incident.flaky_runs,
        "at": now.isoformat(timespec="seconds"),
    }


def plan(
    alerts: AlertPolicy,
    state: AlertState,
    incidents: list[policy.Incident],
    now: datetime,
    link: str,
    outcome: Outcome,
    target: str = "",
) -> None:
    """Add the messages the incidents call for; what is already known is left as it is."""
    enabled = state.enabled_since(now, target)
    for incident in incidents:
        if incident.open:
            outcome.open_incidents.append(
                f"{incident.severity} {incident.check_id} since "
                f"{incident.since:%Y-%m-%d %H:%M} UTC: {incident.cause or incident.last_error}"
            )
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
                due = (
                    math.floor((now - incident.opened_at) / timedelta(hours=alerts.remind_every_h))
                    if alerts.remind_every_h
                    else 0
                )
                if due >= 1 and "opened" in known:
                    events.append((f"reminder-{due}", due, None))
                if "opened" in known:  # a new problem while it is open: once, after the opening
                    events += [(f"worse-{u.key}", n, u) for n, u in enumerate(incident.updates, 1)]
            elif "opened" in known:
                events.append(("resolved", RESOLVED_SEQ, None))
            for event, seq, update in events:
                if event not in known:
                    state.ensure(
                        Delivery(
                            incident.key,
                            event,
                            channel.name,
                            incident.target,
                            incident.check_id,
                            seq,
                            "pending",
                            0,
                            "",
                            "",
                            message(incident, event.split("-")[0], now, link, update)
                            | guidance(
                                alerts,
                                incident.root or incident.check_id,
                                incident.service,
                                incident.target,
                                incident.last_error,
                            ),
                            now.isoformat(timespec="milliseconds"),
                            "",
                        ),
                        now,
                    )


@dataclass
class _Claimed:
    delivery: Delivery
    channel: AlertChannel
    retaken_from: str  # who held the expired claim this run took over ("" if none)
    state: str = PENDING
    attempts: int = 0
    error: str = ""
    ref: str = ""
    done: bool = False


def send_with_retries(
    send: Callable[[channels.Attempt], str],
    key: str,
    alerts: AlertPolicy,
    budget_end: float,
    dedupe: bool,
    sleep: Callable[[float], None] = time.sleep,
) -> tuple[str, str, str, int]:
    """(state, ref, error, attempts): up to ``delivery_attempts`` tries, each with one wall-clock
    deadline (``delivery_timeout_s``, cut to what is left of the run's budget), ``delivery_backoff_s``
    doubling between them. An unconfirmed try is tried again only where the receiver drops copies."""
    delay, error = alerts.delivery_backoff_s, ""

    def spent(tried: int) -> tuple[str, str, str, int]:
        why = f"the run's alerting budget ({alerts.delivery_budget_s:g} s) was spent"
        return FAILED, "", f"{error}; then {why}" if error else f"not sent: {why}", tried

    for attempt in range(1, alerts.delivery_attempts + 1):
        left = budget_end - time.monotonic()
        if left <= 0:
            return spent(attempt - 1)
        try:
            return (
                SENT,
                send(channels.Attempt(key, time.monotonic() + min(alerts.delivery_timeout_s, left))),
                "",
                attempt,
            )
        except channels.DeliveryError as exc:
            if isinstance(exc, channels.OutOfTime) and time.monotonic() >= budget_end:  # nothing went: no attempt
                return spent(attempt - 1)
            error = str(exc)
            again = exc.retry or (exc.unconfirmed and dedupe)
            if not again or attempt == alerts.delivery_attempts:
                return (UNCONFIRMED if exc.unconfirmed else FAILED), "", error, attempt
            sleep(max(0.0, min(delay, budget_end - time.monotonic())))
            delay *= 2
    raise AssertionError("unreachable")


def _send_channel(
    items: list[_Claimed],
    refs: dict[tuple[str, str], str],
    alerts: AlertPolicy,
    secret: channels.Secret,
    budget_end: float,
    sleep: Callable[[float], None],
) -> None:
    """One channel's messages, in order. A message that was not delivered holds back the later
    messages of its incident on this channel (released, for the next run), so they never arrive
    out of order."""
    held: set[str] = set()
    for item in items:
        d, channel = item.delivery, item.channel
        dedupe = channels.dedupes(channel)
        if d.incident in held:
            item.state, item.error = PENDING, "not sent: waits for an earlier message of this incident"
        else:
            key = "|".join(d.key)
            ref = refs.get((d.incident, d.channel), d.ref)
            send = partial(channels.SENDERS[channel.kind], channel, d.message, ref, secret)
            try:
                item.state, item.ref, item.error, item.attempts = send_with_retries(
                    send, key, alerts, budget_end, dedupe, sleep
                )
            except Exception as exc:  # a bug here must cost one message, said in words, not the thread
                item.state, item.error = FAILED, f"the monitor failed sending it: {type(exc).__name__}: {exc}"
            if item.state == SENT and d.kind == "opened":
                refs[(d.incident, d.channel)] = item.ref
            if item.state == FAILED or (item.state == UNCONFIRMED and dedupe):
                held.add(d.incident)
        item.done = True


def deliver(
    alerts: AlertPolicy,
    state: AlertState,
    target: str,
    secret: channels.Secret,
    now: datetime,
    by: str,
    outcome: Outcome,
    sleep: Callable[[float], None] = time.sleep,
    sync: Callable[[str], str | None] | None = None,
) -> None:
    """Claim what is outstanding, publish the claims (``sync``) and keep only those no other job
    had first, send them (channels in parallel, one deadline per attempt, one budget for all),
    record what came of each, and publish that."""
    by_name: dict[str, AlertChannel] = {c.name: c for c in alerts.channels}
    blocked: set[tuple[str, str]] = (
        set()
    )  # (incident, channel) whose earlier message is not ours to send: keep the order
    claimed: list[_Claimed] = []
    for delivery in state.outstanding(target):
        channel = by_name.get(delivery.channel)
        route = (delivery.incident, delivery.channel)
        if (
            channel is None
            or route in blocked
            or in_maintenance(alerts, delivery.message.get("checks") or [delivery.check_id], now)
        ):
            blocked.add(route)
            continue
        dedupe = channels.dedupes(channel)
        if delivery.state == UNCONFIRMED and not dedupe:
            continue  # at most once: said when it happened, never sent again
        taken = state.claim(delivery, by, now, retry_unconfirmed=dedupe)
        if taken is None:
            blocked.add(route)  # another run has it
            continue
        claimed.append(_Claimed(delivery, channel, taken))
    if not claimed:
        return
    if sync is not None:
        problem = sync(f"alert claims of {by}")
        if problem:
            outcome.failed.append(
                f"alert claims not published ({redact.text(problem)}): sent anyway, so a job running at the same "
                "time may send these too"
            )
        else:
            state.load(target)
            theirs = set()
            live = state.live_claims(target, now)
            for item in claimed:
                row = state.get(item.delivery.key)
                if not (
                    row
                    and row.state == SENDING
                    and row.claimed_by == by
                    and not live.get(item.delivery.key, set()) - {by}
                ):
                    theirs.add((item.delivery.incident, item.delivery.channel))
            # An incident's messages on a channel stay with one job, so they keep their order.
            for item in claimed:
                row = state.get(item.delivery.key)
                if (
                    (item.delivery.incident, item.delivery.channel) in theirs
                    and row is not None
                    and row.state == SENDING
                ):
                    state.finish(
                        item.delivery,
                        by,
                        now,
                        PENDING,
                        0,
                        "claimed by another job first",
                        row.ref,
                        max(now, datetime.now(UTC)),
                    )
            claimed = [item for item in claimed if (item.delivery.incident, item.delivery.channel) not in theirs]
    refs = {}
    for item in claimed:
        if item.delivery.kind != "opened":
            opened = state.delivered(item.delivery.incident, item.delivery.channel, "opened")
            if opened:
                refs[(item.delivery.incident, item.delivery.channel)] = opened.ref
    budget_end = time.monotonic() + alerts.delivery_budget_s
    per_channel: dict[str, list[_Claimed]] = {}
    for item in claimed:
        per_channel.setdefault(item.channel.name, []).append(item)
    # Daemon threads: an attempt that outlives the budget (a resolver that does not answer: the
    # deadline starts at connect) is left behind, never waited for.
    workers = [
        threading.Thread(target=_send_channel, args=(items, refs, alerts, secret, budget_end, sleep), daemon=True)
        for items in per_channel.values()
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(max(0.0, budget_end - time.monotonic()) + alerts.delivery_timeout_s)
    for item in claimed:
        _record(item, state, by, now, outcome)
    if sync is not None:
        problem = sync(f"alert outcomes of {by}")
        if problem:
            outcome.failed.append(
                f"alert outcomes not published ({redact.text(problem)}): the job's own publish step pushes them"
            )


def _record(item: _Claimed, state: AlertState, by: str, now: datetime, outcome: Outcome) -> None:
    d, channel = item.delivery, item.channel
    line = f"{d.event} {d.check_id} -> {channel.name} ({channel.kind})"
    if not item.done:
        outcome.failed.append(
            f"{line}: still sending when the alerting budget ran out; left claimed, so another run "
            f"takes it over after {CLAIM_LEASE_S // 60} minutes"
        )
        return
    item.error = redact.text(item.error)  # a receiver may echo its secret URL path ("Cannot POST /hook/<secret>")
    state.finish(d, by, now, item.state, item.attempts, item.error, item.ref, max(now, datetime.now(UTC)))
    retaken = f", taken over from {item.retaken_from} whose claim expired" if item.retaken_from else ""
    if item.state == SENT:
        late = f", late: raised {d.created[:19]}Z, {d.attempts} earlier attempt(s) failed" if d.attempts else ""
        outcome.sent.append(line + late + retaken)
    elif item.state == UNCONFIRMED:
        after = (
            "sent again next run: the receiver drops copies"
            if channels.dedupes(channel)
            else "not sent again: this channel cannot tell a copy (at most once)"
        )
        outcome.unconfirmed.append(f"{line} after {item.attempts} attempt(s): {item.error}; {after}")
    elif item.state == PENDING:
        outcome.failed.append(f"{line}: {item.error}; next run")
    else:
        outcome.failed.append(f"{line} after {item.attempts} attempt(s): {item.error}; retried next run")


@dataclass(frozen=True)
class Sync:
    """Publishes the text history (alert lines included) where other jobs read it, and brings
    theirs in: a command given the commit message as its last word, e.g. ``history-branch publish
    data`` (commit, push, rebase and retry when another job pushed first). ``$SLURPY_STATE_SYNC``."""

    command: tuple[str, ...]
    timeout_s: float = 30.0

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> Sync | None:
        words = shlex.split(env.get("SLURPY_STATE_SYNC", ""))
        return cls(tuple(words)) if words else None

    def __call__(self, message: str) -> str | None:
        """None once published; else what went wrong, in one line."""
        try:
            done = subprocess.run([*self.command, message], capture_output=True, text=True, timeout=self.timeout_s)
        except (OSError, subprocess.TimeoutExpired) as exc:
            return f"{self.command[0]}: {exc}"
        if done.returncode:
            last = (done.stderr.strip().splitlines() or [f"exit {done.returncode}"])[-1]
            return f"{self.command[0]} exited {done.returncode}: {last}"
        return None


def secret_reader(profile: Profile, provided: Mapping[str, str] | None = None) -> channels.Secret:
    secrets = Secrets(profile, provided=provided)

    def read(name: str) -> str:
        try:
            return secrets.get(name)
        except MissingSecret as exc:
            raise channels.DeliveryError(str(exc), retry=False) from None

    return read


def evaluate(
    profile: Profile,
    history: Path,
    now: datetime,
    by: str,
    current: Sequence[CheckResult] = (),
    secret: channels.Secret | None = None,
    sleep: Callable[[float], None] = time.sleep,
    log_dir: Path | None = None,
    sync: Callable[[str], str | None] | None = None,
) -> Outcome:
    """Derive, plan and deliver for one target. With ``log_dir`` (the text history's folder) the
    state is also kept there as text; with ``sync``, claims are published before anything is sent.
    A history that cannot be used is one failed line."""
    outcome = Outcome()
    alerts = profile.alerts
    try:
        with AlertState(history, log=AlertLog(log_dir) if log_dir else None) as state:
            burn = burn_incidents(profile, state, now) if alerts.channels and alerts.burn_rate else []
            incidents = derive(alerts, state, profile.name, now, current, burn)
            plan(alerts, state, incidents, now, run_url(), outcome, profile.name)
            deliver(alerts, state, profile.name, secret or secret_reader(profile), now, by, outcome, sleep, sync)
            outcome.failed += state.problems
    except HistoryError as exc:
        outcome.failed.append(f"alerts not evaluated: {exc}")
    return outcome


def heartbeat_body(run_label: str, counts: Mapping[str, int], link: str) -> str:
    """What the dead-man's switch is told: the run's status, its counts and its link, nothing
    else (it is a third party: no check messages, URLs or hosts)."""
    failing = counts.get("fail", 0) + counts.get("error", 0)
    status = "FAIL" if failing else "OK"
    tally = ", ".join(f"{n} {verdict}" for verdict, n in counts.items() if n)
    return f"{status} {run_label}: {tally or 'no checks'}" + (f"\nrun: {link}" if link else "")


def heartbeat(
    profile: Profile, body: str, secret: channels.Secret | None = None, sleep: Callable[[float], None] = time.sleep
) -> str | None:
    """Ping the dead-man's switch, within one alerting budget; the problem, if it did not answer."""
    alerts = profile.alerts
    if not alerts.heartbeat_secret:
        return None
    read = secret or secret_reader(profile)
    name = alerts.heartbeat_secret

    def ping(attempt: channels.Attempt) -> str:
        channels.ping(read(name), body, attempt)
        return ""

    state, _, error, attempts = send_with_retries(
        ping, f"heartbeat|{profile.name}", alerts, time.monotonic() + alerts.delivery_budget_s, dedupe=True, sleep=sleep
    )
    return None if state == SENT else f"heartbeat not delivered after {attempts} attempt(s): {redact.text(error)}"
