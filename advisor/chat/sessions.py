"""Conversation memory: each session's messages, profile and focus, in SQLite under the advisor's home."""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from advisor.errors import InputError
from advisor.knowledge.profile import Profile

SCHEMA = """
CREATE TABLE IF NOT EXISTS sessions (
    name TEXT PRIMARY KEY,
    created TEXT NOT NULL,
    updated TEXT NOT NULL,
    profile TEXT NOT NULL DEFAULT '{}',
    focus TEXT NOT NULL DEFAULT '[]'
);
CREATE TABLE IF NOT EXISTS messages (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    session TEXT NOT NULL REFERENCES sessions(name) ON DELETE CASCADE,
    role TEXT NOT NULL CHECK (role IN ('user', 'assistant')),
    content TEXT NOT NULL,
    meta TEXT NOT NULL DEFAULT '{}',
    created TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS messages_by_session ON messages(session, id);
"""
NAME = re.compile(r"^[\w][\w .-]{0,63}$")


class SessionError(InputError, ValueError):
    """An unknown session, or a name that cannot be used."""


@dataclass(frozen=True)
class Message:
    role: str
    content: str
    meta: dict[str, Any]
    created: str


@dataclass(frozen=True)
class SessionInfo:
    name: str
    created: str
    updated: str
    messages: int


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class SessionStore:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._schema_ready = False

    @contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.path, timeout=10)
        try:
            conn.execute("PRAGMA foreign_keys = ON")
            if not self._schema_ready:  # once per store, not on every connection
                conn.executescript(SCHEMA)
                self._schema_ready = True
            with conn:
                yield conn
        except sqlite3.DatabaseError as exc:
            raise SessionError(f"The session store {self.path} cannot be read ({exc}). Move it aside to start "
                               "afresh; your knowledge and index are not affected.") from exc
        finally:
            conn.close()

    def ensure(self, name: str) -> None:
        if not NAME.match(name):
            raise SessionError(f"Bad session name {name!r}: use up to 64 letters, digits, spaces, '.', '-' or '_'")
        with self._db() as db:
            db.execute("INSERT OR IGNORE INTO sessions(name, created, updated) VALUES (?, ?, ?)",
                       (name, _now(), _now()))

    def exists(self, name: str) -> bool:
        with self._db() as db:
            return db.execute("SELECT 1 FROM sessions WHERE name = ?", (name,)).fetchone() is not None

    def require(self, name: str) -> None:
        if not self.exists(name):
            known = ", ".join(s.name for s in self.list()[:10]) or "none yet"
            raise SessionError(f"No session named {name!r}. Known sessions: {known}")

    def append(self, name: str, role: str, content: str, meta: dict[str, Any] | None = None) -> None:
        self.ensure(name)
        with self._db() as db:
            db.execute("INSERT INTO messages(session, role, content, meta, created) VALUES (?, ?, ?, ?, ?)",
                       (name, role, content, json.dumps(meta or {}), _now()))
            db.execute("UPDATE sessions SET updated = ? WHERE name = ?", (_now(), name))

    def set_feedback(self, name: str, turn: int, rating: str, comment: str = "") -> None:
        """Store a thumbs up or down, with an optional comment, with answer number `turn` (1-based) of a session,
        in that answer's `meta["feedback"]`; a later call replaces it."""
        if rating not in ("up", "down"):
            raise SessionError(f"Feedback must be 'up' or 'down', not {rating!r}")
        if len(comment) > 2000:
            raise SessionError(f"The comment is {len(comment)} characters; the limit is 2000.")
        with self._db() as db:
            row = db.execute("SELECT id, meta FROM messages WHERE session = ? AND role = 'assistant' ORDER BY id "
                             "LIMIT 1 OFFSET ?", (name, max(turn - 1, 0))).fetchone()
            if turn < 1 or row is None:
                raise SessionError(f"Session {name!r} has no answer number {turn} to give feedback on.")
            meta = {**json.loads(row[1]), "feedback": {"rating": rating, "comment": comment.strip(), "at": _now()}}
            db.execute("UPDATE messages SET meta = ? WHERE id = ?", (json.dumps(meta), row[0]))

    def messages(self, name: str) -> list[Message]:
        with self._db() as db:
            rows = db.execute("SELECT role, content, meta, created FROM messages WHERE session = ? ORDER BY id",
                              (name,)).fetchall()
        return [Message(r[0], r[1], json.loads(r[2]), r[3]) for r in rows]

    def profile(self, name: str) -> Profile:
        with self._db() as db:
            row = db.execute("SELECT profile FROM sessions WHERE name = ?", (name,)).fetchone()
        return Profile.model_validate(json.loads(row[0])) if row else Profile()

    def focus(self, name: str) -> list[str]:
        with self._db() as db:
            row = db.execute("SELECT focus FROM sessions WHERE name = ?", (name,)).fetchone()
        return list(json.loads(row[0])) if row else []

    def save_state(self, name: str, profile: Profile, focus: list[str]) -> None:
        self.ensure(name)
        with self._db() as db:
            db.execute("UPDATE sessions SET profile = ?, focus = ?, updated = ? WHERE name = ?",
                       (profile.model_dump_json(), json.dumps(focus), _now(), name))

    def list(self) -> list[SessionInfo]:
        with self._db() as db:
            rows = db.execute(
                "SELECT s.name, s.created, s.updated, COUNT(m.id) FROM sessions s "
                "LEFT JOIN messages m ON m.session = s.name GROUP BY s.name ORDER BY s.updated DESC"
            ).fetchall()
        return [SessionInfo(*r) for r in rows]

    def delete(self, name: str) -> None:
        self.require(name)
        with self._db() as db:
            db.execute("DELETE FROM sessions WHERE name = ?", (name,))

    def export_markdown(self, name: str, plan_markdown: str) -> str:
        """The conversation, then the personal plan, as one Markdown document."""
        self.require(name)
        lines = [f"# Advisor session: {name}", "", f"Profile: {self.profile(name).describe()}", "",
                 "## Conversation", ""]
        for m in self.messages(name):
            who = "You" if m.role == "user" else f"Advisor ({m.meta.get('backend', 'unknown')})"
            lines += [f"**{who}** ({m.created}):", "", m.content, ""]
            for c in m.meta.get("citations", []):
                lines.append(f"> [{c['n']}] {c['title']} — {c['source']}")
            if m.meta.get("citations"):
                lines.append("")
        return "\n".join([*lines, "## Your plan", "", plan_markdown, ""])
