"""Alert messages and their delivery: worked on in the history database (its alert tables, read and
written through :class:`monitor.history.alert_store.AlertStore`), kept as text.

One row per (incident, event, channel): the primary key is the uniqueness key that makes "one
opened, one resolved per incident per channel" hold when runs overlap or repeat. A message is
sent only by the process that *claims* its row (one ``BEGIN IMMEDIATE`` update from ``pending``,
``failed`` or a retryable ``unconfirmed`` to ``sending``); a claim left by a process that died
is taken over after ``CLAIM_LEASE_S``.

**Between jobs** (GitHub's runners keep nothing) the same facts live as text on the data branch,
beside the results: ``<history dir>/<target>/alerts/<YYYY-MM-DD>.jsonl``, one JSON line per
fact (``planned``, ``claim``, ``outcome``, ``meta``, ``heartbeat``), appended and never
rewritten, so two jobs' appends merge by concatenation (``merge=union``). :meth:`AlertState.load`
rebuilds a target's rows from those lines at the start of a job (``history import``), and again
after a claim was pushed. The fold does not depend on the order of lines: the earliest plan of a
key is its message, a ``sent`` outcome is final, otherwise the latest claim or outcome holds.

Claims made by two jobs at once are settled by the data branch (:mod:`monitor.alerts.dispatch`):
a job pushes its claims before sending, and pushes to a branch are serialised; a job that finds
another job's live claim on the branch once its own push went through drops its own.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from monitor.history import textlog
from monitor.history.alert_store import FAILED, PENDING, SENDING, SENT, UNCONFIRMED, AlertStore, Delivery

CLAIM_LEASE_S = 600


def _key_of(line: dict[str, Any]) -> tuple[str, str, str]:
    return line["incident"], line["event"], line["channel"]


class AlertLog:
    """The text copy of one history's alert state: ``<root>/<target>/alerts/<day>.jsonl``."""

    def __init__(self, root: Path):
        self.root = Path(root)

    def folder(self, target: str) -> Path:
        return self.root / target / "alerts"

    def append(self, target: str, line: dict[str, Any], now: datetime) -> None:
        textlog.append_line(self.folder(target) / f"{now:%Y-%m-%d}.jsonl", {"target": target, **line})

    def lines(self, target: str) -> tuple[list[dict[str, Any]], list[str]]:
        """Every whole alert line of the target, and the ones skipped ("file:line: why")."""
        read: list[dict[str, Any]] = []
        skipped: list[str] = []
        for path in sorted(self.folder(target).glob("*.jsonl")):
            for number, raw in enumerate(path.read_bytes().split(b"\n"), start=1):
                if not raw.strip():
                    continue
                try:
                    data = json.loads(raw)
                    if not isinstance(data, dict) or data.get("alert") not in FOLD:
                        raise ValueError("not an alert fact")
                    if data["alert"] in ("planned", "claim", "outcome"):
                        _key_of(data)
                except (ValueError, KeyError, TypeError) as exc:
                    skipped.append(f"{path}:{number}: {exc}")
                    continue
                read.append(data)
        return read, skipped

    def targets(self) -> list[str]:
        return sorted(p.parent.name for p in self.root.glob("*/alerts") if p.is_dir()) if self.root.is_dir() else []


FOLD = ("planned", "claim", "outcome", "meta", "heartbeat")


def fold(lines: Iterable[dict[str, Any]]) -> tuple[list[Delivery], str | None]:
    """The delivery rows and the ``enabled_at`` that a set of alert lines amounts to, whatever
    their order: the earliest plan of a key is its message; an outcome ``sent`` is final (its
    earliest one gives the ref); otherwise the latest claim or outcome by time holds (a released
    claim and its release count for nothing)."""
    plans: dict[tuple[str, str, str], dict[str, Any]] = {}
    events: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
    enabled: str | None = None
    for line in lines:
        kind = line["alert"]
        if kind == "meta" and line.get("key") == "enabled_at":
            enabled = min(filter(None, [enabled, str(line.get("value") or "")]), default=None)
        elif kind == "planned":
            key = _key_of(line)
            if key not in plans or (line.get("created") or "") < (plans[key].get("created") or ""):
                plans[key] = line
        elif kind in ("claim", "outcome"):
            events.setdefault(_key_of(line), []).append(line)
    rows: list[Delivery] = []
    for key, plan in plans.items():
        # A released claim (a job that found another job's claim first) neither holds the message
        # nor says anything about its delivery: both lines are left out.
        released = {
            (e.get("by"), e.get("claim"))
            for e in events.get(key, [])
            if e["alert"] == "outcome" and e.get("state") == PENDING
        }
        kept = [
            e
            for e in events.get(key, [])
            if not (e["alert"] == "outcome" and e.get("state") == PENDING)
            and not (e["alert"] == "claim" and (e.get("by"), e.get("at")) in released)
        ]
        happened = sorted(kept, key=lambda e: (str(e.get("at") or ""), e["alert"] == "outcome"))
        outcomes = [e for e in happened if e["alert"] == "outcome"]
        row = Delivery(
            *key,
            target=str(plan.get("target") or ""),
            check_id=str(plan.get("check_id") or ""),
            seq=int(plan.get("seq") or 0),
            state=PENDING,
            attempts=sum(int(e.get("attempts") or 0) for e in outcomes),
            last_error="",
            ref="",
            message=plan.get("message") or {},
            created=str(plan.get("created") or ""),
            sent_at="",
        )
        sent = [e for e in outcomes if e.get("state") == SENT]
        if sent:
            row.state, row.ref, row.sent_at = SENT, str(sent[0].get("ref") or ""), str(sent[0].get("at") or "")
        elif happened:
            last = happened[-1]
            if last["alert"] == "claim":
                row.state, row.claimed_by, row.claimed_at = (
                    SENDING,
                    str(last.get("by") or ""),
                    str(last.get("at") or ""),
                )
            else:
                row.state, row.last_error = str(last.get("state") or FAILED), str(last.get("error") or "")
            row.ref = next((str(e.get("ref")) for e in reversed(outcomes) if e.get("ref")), "")
        rows.append(row)
    return rows, enabled


class AlertState:
    """The alert rows of one history file (:class:`AlertStore`), and, with ``log``, their text
    copy: every change is appended there too."""

    def __init__(self, path: Path, busy_timeout_s: float | None = None, log: AlertLog | None = None):
        self.path = path
        self.history = AlertStore(path, busy_timeout_s=busy_timeout_s)
        self.log = log
        self.problems: list[str] = []

    def __enter__(self) -> AlertState:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.history.close()

    def _note(self, target: str, line: dict[str, Any], now: datetime) -> None:
        """Append to the text copy. One that cannot be written (a full disk) costs the copy, said
        once in ``problems``, never the delivery itself."""
        if self.log is not None and not self.problems:
            try:
                self.log.append(target, line, now)
            except OSError as exc:
                self.problems.append(
                    f"alert state not kept as text in {self.log.folder(target)} ({exc}): the next "
                    "job will not know what this one sent"
                )

    # the text copy

    def load(self, target: str) -> list[str]:
        """Replace the target's rows with what its alert lines amount to (and take the earliest
        ``enabled_at``); the lines skipped, if any. Nothing happens without a log or lines."""
        if self.log is None:
            return []
        lines, skipped = self.log.lines(target)
        if not lines:
            return skipped
        rows, enabled = fold(lines)
        self.history.replace_deliveries(target, [replace(r, target=target) for r in rows], enabled)
        return skipped

    def get(self, key: tuple[str, str, str]) -> Delivery | None:
        return self.history.delivery(key)

    def live_claims(self, target: str, now: datetime) -> dict[tuple[str, str, str], set[str]]:
        """For each key, who holds a claim on it in the text copy that is neither stale nor
        followed by that claimant's outcome (the target's lines are read once, for all keys)."""
        if self.log is None:
            return {}
        stale = (now - timedelta(seconds=CLAIM_LEASE_S)).isoformat()
        lines = [line for line in self.log.lines(target)[0] if line["alert"] in ("claim", "outcome")]
        done = {(_key_of(line), line.get("by"), line.get("claim")) for line in lines if line["alert"] == "outcome"}
        live: dict[tuple[str, str, str], set[str]] = {}
        for line in lines:
            if (
                line["alert"] == "claim"
                and str(line.get("at") or "") >= stale
                and (_key_of(line), line.get("by"), line.get("at")) not in done
            ):
                live.setdefault(_key_of(line), set()).add(str(line.get("by")))
        return live

    # the rows

    def enabled_since(self, now: datetime, target: str = "") -> datetime:
        """When alerting first ran on this history: incidents resolved before then are old news.
        Kept in the text copy too (under ``target``): a job's fresh database must not forget it, or
        every incident that ended before the job would go unresolved."""
        added, value = self.history.enable_alerting(now.isoformat())
        if added and target:
            self._note(target, {"alert": "meta", "key": "enabled_at", "value": value}, now)
        return datetime.fromisoformat(value)

    def ensure(self, delivery: Delivery, now: datetime) -> bool:
        """Add the message unless it is already known; True if it was new."""
        new = self.history.plan(delivery)
        if new:
            self._note(
                delivery.target,
                {
                    "alert": "planned",
                    "incident": delivery.incident,
                    "event": delivery.event,
                    "channel": delivery.channel,
                    "check_id": delivery.check_id,
                    "seq": delivery.seq,
                    "message": delivery.message,
                    "created": delivery.created,
                },
                now,
            )
        return new

    def outstanding(self, target: str) -> list[Delivery]:
        """Messages not confirmed yet (pending, failed, unconfirmed, or claimed by a process that
        may have died), in the order they must go out."""
        return self.history.outstanding(target)

    def delivered(self, incident: str, channel: str, event: str) -> Delivery | None:
        return self.history.delivered(incident, channel, event)

    def known(self, incident: str, channel: str) -> set[str]:
        return self.history.events(incident, channel)

    def claim(self, delivery: Delivery, by: str, now: datetime, retry_unconfirmed: bool = False) -> str | None:
        """Take the message for sending: None if it is not to be had (sent, claimed by a live
        process, or unconfirmed where a copy would not be dropped); else who held an expired claim
        on it ("" if nobody)."""
        stale = (now - timedelta(seconds=CLAIM_LEASE_S)).isoformat()
        states = (PENDING, FAILED, UNCONFIRMED) if retry_unconfirmed else (PENDING, FAILED)
        before = self.history.claim(delivery.key, states, stale, by, now.isoformat())
        if before is None:
            return None
        self._note(
            delivery.target,
            {
                "alert": "claim",
                "incident": delivery.incident,
                "event": delivery.event,
                "channel": delivery.channel,
                "by": by,
                "at": now.isoformat(),
            },
            now,
        )
        return before[1] if before[0] == SENDING else ""

    def finish(
        self,
        delivery: Delivery,
        by: str,
        claimed_at: datetime,
        state: str,
        attempts: int,
        error: str,
        ref: str,
        now: datetime,
    ) -> None:
        """Record what came of a claimed message: ``state`` is sent, failed, unconfirmed, or
        pending (released untried)."""
        self.history.finish(delivery.key, state, attempts, error, ref, now.isoformat() if state == SENT else "")
        self._note(
            delivery.target,
            {
                "alert": "outcome",
                "incident": delivery.incident,
                "event": delivery.event,
                "channel": delivery.channel,
                "by": by,
                "claim": claimed_at.isoformat(),
                "at": now.isoformat(),
                "state": state,
                "attempts": attempts,
                "error": error,
                "ref": ref,
            },
            now,
        )

    def heartbeat(self, target: str, by: str, error: str, now: datetime) -> None:
        """The text copy keeps each heartbeat's fate (``alerts list`` shows the last)."""
        self._note(target, {"alert": "heartbeat", "by": by, "at": now.isoformat(), "error": error}, now)

    def open_incident(self, target: str, check_id: str) -> str | None:
        """The latest incident of this check that was announced and not yet resolved."""
        return self.history.open_incident(target, check_id)

    def all(self) -> list[Delivery]:
        return self.history.deliveries()
