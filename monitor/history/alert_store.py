"""The alert tables of a history file and the only SQL written against them: one row per
(incident, event, channel) message and its delivery, and the alerting metadata
(``enabled_at``). The primary key is the uniqueness key that makes "one opened, one resolved per
incident per channel" hold when runs overlap or repeat; a claim is one ``BEGIN IMMEDIATE`` update.
What the rows mean, their text copy between jobs and the claim protocol are
:mod:`monitor.alerts.state`'s."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, replace
from typing import Any

from monitor.history.store import HistoryStore

# Beside the history's versioned schema: a history file gains them when alerting first uses it.
_SCHEMA = [
    """CREATE TABLE IF NOT EXISTS alert_deliveries (
        incident TEXT NOT NULL, event TEXT NOT NULL, channel TEXT NOT NULL,
        target TEXT NOT NULL, check_id TEXT NOT NULL, seq INTEGER NOT NULL,
        state TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, last_error TEXT NOT NULL DEFAULT '',
        ref TEXT NOT NULL DEFAULT '', message TEXT NOT NULL, created TEXT NOT NULL,
        claimed_by TEXT NOT NULL DEFAULT '', claimed_at TEXT NOT NULL DEFAULT '', sent_at TEXT NOT NULL DEFAULT '',
        PRIMARY KEY (incident, event, channel))""",
    "CREATE TABLE IF NOT EXISTS alert_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID",
]

# pending: not tried yet (or released untried); sending: claimed; sent: the receiver confirmed it;
# failed: not delivered (refused, an error answer, no connection): tried again next run;
# unconfirmed: the request went out and no answer came: sent again only where copies are dropped.
PENDING, SENDING, SENT, FAILED, UNCONFIRMED = "pending", "sending", "sent", "failed", "unconfirmed"


@dataclass
class Delivery:
    incident: str
    event: str  # opened, reminder-<n>, resolved
    channel: str
    target: str
    check_id: str
    seq: int  # order of events within an incident: opened 0, reminders 1.., resolved last
    state: str
    attempts: int
    last_error: str
    ref: str  # what the channel answered that later messages need (a GitHub issue number)
    message: dict[str, Any]
    created: str
    sent_at: str
    claimed_by: str = ""
    claimed_at: str = ""

    @property
    def kind(self) -> str:
        return self.event.split("-", 1)[0]

    @property
    def key(self) -> tuple[str, str, str]:
        return self.incident, self.event, self.channel


_COLUMNS = (
    "incident, event, channel, target, check_id, seq, state, attempts, last_error, ref, message, created, "
    "sent_at, claimed_by, claimed_at"
)
_INSERT = f"INSERT {{}} INTO alert_deliveries ({_COLUMNS}) VALUES ({', '.join('?' * 15)})"


def _delivery(row: tuple) -> Delivery:
    values = list(row)
    values[10] = json.loads(values[10])
    return Delivery(*values)


def _values(d: Delivery) -> tuple:
    return (
        d.incident,
        d.event,
        d.channel,
        d.target,
        d.check_id,
        d.seq,
        d.state,
        d.attempts,
        d.last_error,
        d.ref,
        json.dumps(d.message, sort_keys=True),
        d.created,
        d.sent_at,
        d.claimed_by,
        d.claimed_at,
    )


class AlertStore(HistoryStore):
    """A history file with its alert tables (created once, after the history's own schema and its
    version check)."""

    _alert_tables = False

    def _connect(self) -> sqlite3.Connection:
        db = super()._connect()
        if not self._alert_tables:
            with self._explained():
                for statement in _SCHEMA:
                    db.execute(statement)
            self._alert_tables = True
        return db

    def _rows(self, query: str, params: tuple = ()) -> list[Delivery]:
        with self._explained():
            return [_delivery(row) for row in self._connect().execute(query, params).fetchall()]

    def replace_deliveries(self, target: str, rows: list[Delivery], enabled_at: str | None) -> None:
        """The target's rows become ``rows``; the earliest ``enabled_at`` is kept."""
        with self._write() as db:
            db.execute("DELETE FROM alert_deliveries WHERE target = ?", (target,))
            db.executemany(_INSERT.format(""), [_values(r) for r in rows])
            if enabled_at:
                db.execute(
                    "INSERT INTO alert_meta VALUES ('enabled_at', ?) ON CONFLICT (key) DO UPDATE "
                    "SET value = min(value, excluded.value)",
                    (enabled_at,),
                )

    def enable_alerting(self, at: str) -> tuple[bool, str]:
        """Whether ``at`` became the time alerting was enabled, and that time."""
        with self._write() as db:
            added = db.execute("INSERT OR IGNORE INTO alert_meta VALUES ('enabled_at', ?)", (at,)).rowcount
            value = db.execute("SELECT value FROM alert_meta WHERE key = 'enabled_at'").fetchone()[0]
        return bool(added), value

    def plan(self, delivery: Delivery) -> bool:
        """Add the message unless it is already known; True if it was new."""
        fresh = replace(
            delivery, state=PENDING, attempts=0, last_error="", ref="", sent_at="", claimed_by="", claimed_at=""
        )
        with self._write() as db:
            before = db.total_changes
            db.execute(_INSERT.format("OR IGNORE"), _values(fresh))
            return db.total_changes > before

    def delivery(self, key: tuple[str, str, str]) -> Delivery | None:
        found = self._rows(
            f"SELECT {_COLUMNS} FROM alert_deliveries WHERE incident = ? AND event = ? AND channel = ?", key
        )
        return found[0] if found else None

    def outstanding(self, target: str) -> list[Delivery]:
        """The target's messages not confirmed yet, in the order they must go out."""
        return self._rows(
            f"SELECT {_COLUMNS} FROM alert_deliveries WHERE target = ? AND state != ? "
            "ORDER BY channel, incident, seq, event",
            (target, SENT),
        )

    def delivered(self, incident: str, channel: str, event: str) -> Delivery | None:
        found = self._rows(
            f"SELECT {_COLUMNS} FROM alert_deliveries WHERE incident = ? AND channel = ? AND event = ? AND state = ?",
            (incident, channel, event, SENT),
        )
        return found[0] if found else None

    def events(self, incident: str, channel: str) -> set[str]:
        with self._explained():
            rows = (
                self._connect()
                .execute("SELECT event FROM alert_deliveries WHERE incident = ? AND channel = ?", (incident, channel))
                .fetchall()
            )
        return {r[0] for r in rows}

    def claim(
        self, key: tuple[str, str, str], states: tuple[str, ...], stale: str, by: str, at: str
    ) -> tuple[str, str] | None:
        """Mark the message ``sending`` by ``by`` if it is in one of ``states`` or claimed before
        ``stale``: its (state, claimed_by) before, or None if it was not to be had."""
        with self._write() as db:
            row = db.execute(
                "SELECT state, claimed_by FROM alert_deliveries WHERE incident = ? AND event = ? "
                f"AND channel = ? AND (state IN ({', '.join('?' * len(states))}) "
                "OR (state = ? AND claimed_at < ?))",
                (*key, *states, SENDING, stale),
            ).fetchone()
            if row is None:
                return None
            db.execute(
                "UPDATE alert_deliveries SET state = ?, claimed_by = ?, claimed_at = ? "
                "WHERE incident = ? AND event = ? AND channel = ?",
                (SENDING, by, at, *key),
            )
        return row[0], row[1]

    def finish(self, key: tuple[str, str, str], state: str, attempts: int, error: str, ref: str, sent_at: str) -> None:
        with self._write() as db:
            db.execute(
                "UPDATE alert_deliveries SET state = ?, attempts = attempts + ?, last_error = ?, ref = ?, "
                "sent_at = ? WHERE incident = ? AND event = ? AND channel = ?",
                (state, attempts, error, ref, sent_at, *key),
            )

    def open_incident(self, target: str, check_id: str) -> str | None:
        """The latest incident of this check that was announced and not yet resolved."""
        with self._explained():
            row = (
                self._connect()
                .execute(
                    "SELECT incident FROM alert_deliveries AS o WHERE target = ? AND check_id = ? AND event = 'opened' "
                    "AND NOT EXISTS (SELECT 1 FROM alert_deliveries AS r WHERE r.incident = o.incident AND r.event = "
                    "'resolved') "
                    "ORDER BY created DESC LIMIT 1",
                    (target, check_id),
                )
                .fetchone()
            )
        return row[0] if row else None

    def deliveries(self) -> list[Delivery]:
        return self._rows(f"SELECT {_COLUMNS} FROM alert_deliveries ORDER BY created, incident, seq, channel")
