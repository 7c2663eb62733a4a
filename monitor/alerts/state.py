"""Alert messages and their delivery, kept in the history database beside the results.

One row per (incident, event, channel): the primary key is the uniqueness key that makes "one
opened, one resolved per incident per channel" hold when runs overlap or repeat. A message is
sent only by the process that *claims* its row (one ``BEGIN IMMEDIATE`` update from ``pending``
or ``failed`` to ``sending``); a claim left by a process that died is taken over after
``CLAIM_LEASE_S``. Only then could a message be sent twice: when a process died between the
receiver's answer and its own commit.
"""
from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from monitor.history.store import HistoryStore

CLAIM_LEASE_S = 600

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

PENDING, SENDING, SENT, FAILED = "pending", "sending", "sent", "failed"


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

    @property
    def kind(self) -> str:
        return self.event.split("-", 1)[0]


_COLUMNS = "incident, event, channel, target, check_id, seq, state, attempts, last_error, ref, message, created, sent_at"


def _delivery(row: tuple) -> Delivery:
    values = list(row)
    values[10] = json.loads(values[10])
    return Delivery(*values)


class AlertState:
    """The alert tables of one history file (created beside the history's own)."""

    def __init__(self, path: Path, busy_timeout_s: float | None = None):
        self.path = path
        self.history = HistoryStore(path, busy_timeout_s=busy_timeout_s)
        self._ready = False

    def __enter__(self) -> AlertState:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.history.close()

    def _connect(self) -> sqlite3.Connection:
        db = self.history._connect()  # the history's own schema, and its version check, first
        if not self._ready:
            with self.history._explained():
                for statement in _SCHEMA:
                    db.execute(statement)
            self._ready = True
        return db

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        self._connect()
        with self.history._write() as db:
            yield db

    def enabled_since(self, now: datetime) -> datetime:
        """When alerting first ran on this history: incidents resolved before then are old news."""
        with self._write() as db:
            db.execute("INSERT OR IGNORE INTO alert_meta VALUES ('enabled_at', ?)", (now.isoformat(),))
            return datetime.fromisoformat(db.execute("SELECT value FROM alert_meta WHERE key = 'enabled_at'").fetchone()[0])

    def ensure(self, delivery: Delivery) -> bool:
        """Add the message unless it is already known; True if it was new."""
        with self._write() as db:
            before = db.total_changes
            db.execute(f"INSERT OR IGNORE INTO alert_deliveries ({_COLUMNS}) VALUES ({', '.join('?' * 13)})",
                       (delivery.incident, delivery.event, delivery.channel, delivery.target, delivery.check_id,
                        delivery.seq, PENDING, 0, "", "", json.dumps(delivery.message, sort_keys=True),
                        delivery.created, ""))
            return db.total_changes > before

    def outstanding(self, target: str) -> list[Delivery]:
        """Messages not yet delivered (pending, failed, or claimed by a process that may have died),
        in the order they must go out."""
        with self.history._explained():
            rows = self._connect().execute(
                f"SELECT {_COLUMNS} FROM alert_deliveries WHERE target = ? AND state != ? "
                "ORDER BY channel, incident, seq, event", (target, SENT)).fetchall()
        return [_delivery(r) for r in rows]

    def delivered(self, incident: str, channel: str, event: str) -> Delivery | None:
        with self.history._explained():
            row = self._connect().execute(
                f"SELECT {_COLUMNS} FROM alert_deliveries WHERE incident = ? AND channel = ? AND event = ? AND state = ?",
                (incident, channel, event, SENT)).fetchone()
        return _delivery(row) if row else None

    def known(self, incident: str, channel: str) -> set[str]:
        with self.history._explained():
            rows = self._connect().execute("SELECT event FROM alert_deliveries WHERE incident = ? AND channel = ?",
                                           (incident, channel)).fetchall()
        return {r[0] for r in rows}

    def claim(self, delivery: Delivery, by: str, now: datetime) -> bool:
        stale = (now - timedelta(seconds=CLAIM_LEASE_S)).isoformat()
        with self._write() as db:
            cursor = db.execute(
                "UPDATE alert_deliveries SET state = ?, claimed_by = ?, claimed_at = ? "
                "WHERE incident = ? AND event = ? AND channel = ? AND (state IN (?, ?) OR (state = ? AND claimed_at < ?))",
                (SENDING, by, now.isoformat(), delivery.incident, delivery.event, delivery.channel,
                 PENDING, FAILED, SENDING, stale))
            return cursor.rowcount == 1

    def finish(self, delivery: Delivery, attempts: int, error: str, ref: str, now: datetime) -> None:
        with self._write() as db:
            db.execute("UPDATE alert_deliveries SET state = ?, attempts = attempts + ?, last_error = ?, ref = ?, "
                       "sent_at = ? WHERE incident = ? AND event = ? AND channel = ?",
                       (FAILED if error else SENT, attempts, error, ref, "" if error else now.isoformat(),
                        delivery.incident, delivery.event, delivery.channel))

    def open_incident(self, target: str, check_id: str) -> str | None:
        """The latest incident of this check that was announced and not yet resolved."""
        with self.history._explained():
            row = self._connect().execute(
                "SELECT incident FROM alert_deliveries AS o WHERE target = ? AND check_id = ? AND event = 'opened' "
                "AND NOT EXISTS (SELECT 1 FROM alert_deliveries AS r WHERE r.incident = o.incident AND r.event = 'resolved') "
                "ORDER BY created DESC LIMIT 1", (target, check_id)).fetchone()
        return row[0] if row else None

    def observations(self, target: str, since: datetime) -> list[tuple]:
        """(run_id, started, check_id, verdict, message, url, service, time, category, problems) of
        every record of the target's runs that started at or after ``since``; ``problems`` is the JSON
        list ``details.problems`` of a failing or warning record (else NULL)."""
        with self.history._explained():
            return self._connect().execute(
                "SELECT run_id, started, check_id, verdict, message, url, service, time, category, "
                "CASE WHEN verdict IN ('fail', 'warn') THEN json_extract(details, '$.problems') END FROM records "
                "WHERE target = ? AND started >= ? ORDER BY started, run_id, seq",
                (target, since.isoformat(timespec="milliseconds"))).fetchall()

    def all(self) -> list[Delivery]:
        with self.history._explained():
            rows = self._connect().execute(
                f"SELECT {_COLUMNS} FROM alert_deliveries ORDER BY created, incident, seq, channel").fetchall()
        return [_delivery(r) for r in rows]

