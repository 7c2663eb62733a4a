"""The sandbox's user store and e-mail outbox (SQLite), standing in for Supabase auth."""

from __future__ import annotations

import hashlib
import secrets
import sqlite3
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class User:
    id: int
    email: str
    first_name: str
    plan: str
    confirmed: bool


def _hash(password: str, salt: bytes) -> bytes:
    return hashlib.pbkdf2_hmac("sha256", password.encode(), salt, 10_000)


class Store:
    def __init__(self, path: Path):
        self.db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self.db.executescript("""
            CREATE TABLE IF NOT EXISTS users (
                id INTEGER PRIMARY KEY, email TEXT UNIQUE NOT NULL, first_name TEXT NOT NULL,
                last_name TEXT NOT NULL DEFAULT '', username TEXT NOT NULL DEFAULT '',
                salt BLOB NOT NULL, password BLOB NOT NULL, confirmed INTEGER NOT NULL DEFAULT 0,
                plan TEXT NOT NULL DEFAULT 'free', confirm_token TEXT);
            CREATE TABLE IF NOT EXISTS sessions (token TEXT PRIMARY KEY, user_id INTEGER NOT NULL);
            CREATE TABLE IF NOT EXISTS outbox (id INTEGER PRIMARY KEY, recipient TEXT NOT NULL,
                subject TEXT NOT NULL, body TEXT NOT NULL);
        """)

    def _user(self, row) -> User | None:
        return User(row[0], row[1], row[2], row[3], bool(row[4])) if row else None

    def create_user(
        self,
        email: str,
        password: str,
        first_name: str,
        last_name: str = "",
        username: str = "",
        confirmed: bool = False,
    ) -> str | None:
        """Returns the confirmation token, or None if the address is taken."""
        salt, token = secrets.token_bytes(16), secrets.token_urlsafe(16)
        try:
            self.db.execute(
                "INSERT INTO users (email, first_name, last_name, username, salt, password, confirmed,"
                " confirm_token) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (email.lower(), first_name, last_name, username, salt, _hash(password, salt), int(confirmed), token),
            )
        except sqlite3.IntegrityError:
            return None
        return token

    def confirm(self, token: str) -> bool:
        return (
            self.db.execute(
                "UPDATE users SET confirmed = 1, confirm_token = NULL WHERE confirm_token = ?", (token,)
            ).rowcount
            == 1
        )

    def authenticate(self, email: str, password: str) -> tuple[User | None, str]:
        row = self.db.execute(
            "SELECT id, email, first_name, plan, confirmed, salt, password FROM users WHERE email = ?", (email.lower(),)
        ).fetchone()
        if not row or not secrets.compare_digest(_hash(password, row[5]), row[6]):
            return None, "Invalid email or password"
        if not row[4]:
            return None, "Please confirm your email address first"
        return self._user(row[:5]), ""

    def new_session(self, user: User) -> str:
        token = secrets.token_urlsafe(24)
        self.db.execute("INSERT INTO sessions VALUES (?, ?)", (token, user.id))
        return token

    def session_user(self, token: str | None) -> User | None:
        if not token:
            return None
        return self._user(
            self.db.execute(
                "SELECT u.id, u.email, u.first_name, u.plan, u.confirmed FROM sessions s JOIN users u ON u.id = "
                "s.user_id"
                " WHERE s.token = ?",
                (token,),
            ).fetchone()
        )

    def by_id(self, user_id: int) -> User | None:
        return self._user(
            self.db.execute(
                "SELECT id, email, first_name, plan, confirmed FROM users WHERE id = ?", (user_id,)
            ).fetchone()
        )

    def by_email(self, email: str) -> User | None:
        return self._user(
            self.db.execute(
                "SELECT id, email, first_name, plan, confirmed FROM users WHERE email = ?", (email.lower(),)
            ).fetchone()
        )

    def set_plan(self, email: str, plan: str) -> bool:
        return self.db.execute("UPDATE users SET plan = ? WHERE email = ?", (plan, email.lower())).rowcount == 1

    def delete_user(self, email: str) -> bool:
        user = self.by_email(email)
        if user is None:
            return False
        self.db.execute("DELETE FROM sessions WHERE user_id = ?", (user.id,))
        self.db.execute("DELETE FROM outbox WHERE recipient = ?", (user.email,))
        self.db.execute("DELETE FROM users WHERE id = ?", (user.id,))
        return True

    def emails_like(self, pattern: str) -> list[str]:
        """SQL LIKE pattern, e.g. ``monitor+%@sandbox.test``."""
        return [r[0] for r in self.db.execute("SELECT email FROM users WHERE email LIKE ? ORDER BY email", (pattern,))]

    def send(self, recipient: str, subject: str, body: str) -> None:
        self.db.execute(
            "INSERT INTO outbox (recipient, subject, body) VALUES (?, ?, ?)", (recipient.lower(), subject, body)
        )

    def inbox(self, recipient: str) -> list[dict[str, str]]:
        return [
            {"subject": s, "body": b}
            for s, b in self.db.execute(
                "SELECT subject, body FROM outbox WHERE recipient = ? ORDER BY id", (recipient.lower(),)
            )
        ]
