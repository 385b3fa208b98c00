"""Conversation memory on one machine: the session store in SQLite under the advisor's home (the default).

A new store file is written whole and then linked into place, so a store file is never half made; an empty
(0-byte) or unreadable file is refused and left as it is, never replaced (`advisor sessions reset-store`
moves it aside when you ask). Write transactions take SQLite's write lock at their start (BEGIN IMMEDIATE).
"""

from __future__ import annotations

import os
import sqlite3
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from advisor.chat.store import (
    NAME,
    Connection,
    Message,
    SessionError,
    SessionInfo,
    StoreBase,
    StoreUnavailableError,
    StoreUnreadableError,
    session_name,
)
from advisor.errors import AdvisorError

__all__ = ["NAME", "Message", "SQLiteSessionStore", "SessionError", "SessionInfo", "SessionStore", "session_name"]

SCHEMA = (
    """CREATE TABLE IF NOT EXISTS sessions (
    name TEXT PRIMARY KEY,
    created TEXT NOT NULL,
    updated TEXT NOT NULL,
    profile TEXT NOT NULL DEFAULT '{}',
    focus TEXT NOT NULL DEFAULT '[]'
)""",
    """CREATE TABLE IF NOT EXISTS messages (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    session TEXT NOT NULL REFERENCES sessions(name) ON DELETE CASCADE,
    role TEXT NOT NULL CHECK (role IN ('user', 'assistant')),
    content TEXT NOT NULL,
    meta TEXT NOT NULL DEFAULT '{}',
    created TEXT NOT NULL,
    reply_to INTEGER
)""",
    "CREATE INDEX IF NOT EXISTS messages_by_session ON messages(session, id)",
)
BUSY_WAIT = 5.0  # seconds SQLite itself waits for a lock before the store's own retries take over
RESET_HINT = ("Nothing was changed. To start afresh without losing it, run `advisor sessions reset-store`: it "
              "renames the file aside (keeping it) and starts an empty store. Your knowledge and index are not "
              "affected.")


class SQLiteSessionStore(StoreBase):
    def __init__(self, path: Path, timeout: float = 30.0) -> None:
        super().__init__(timeout)
        self.path = path
        self._ready = False
        self._ready_lock = threading.Lock()
        self._local = threading.local()  # .preparing: this thread is preparing the store

    def location(self) -> str:
        return str(self.path)

    # --- opening --------------------------------------------------------------------------------------------

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=min(BUSY_WAIT, self.timeout), isolation_level=None,
                               check_same_thread=False)
        conn.execute("PRAGMA foreign_keys = ON")
        return conn

    def _prepare(self) -> None:
        """Once per store: refuse an empty file, create a missing one whole, add columns an older store lacks."""
        if self._ready:
            return
        with self._ready_lock:
            if self._ready:
                return
            try:
                size = self.path.stat().st_size
            except FileNotFoundError:
                self._create()
            except OSError as exc:
                raise StoreUnavailableError(f"Cannot open the session store {self.path}: {exc}") from exc
            else:
                if size == 0:
                    raise StoreUnreadableError(
                        f"The session store {self.path} is empty (0 bytes): the sessions it held are not in it. "
                        f"It may have been truncated by a full disk or a bad copy; restore it from a backup if "
                        f"you have one. {RESET_HINT}")
            self._local.preparing = True
            try:
                self._run(self._migrate, write=True)
            finally:
                self._local.preparing = False
            self._ready = True

    def _create(self) -> None:
        """A new store: the schema is written to a temporary file, which is then linked into place (if another
        process made the store first, its store is kept)."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.new")
            conn = sqlite3.connect(tmp)
            try:
                for statement in SCHEMA:
                    conn.execute(statement)
                conn.commit()
            finally:
                conn.close()
            try:
                os.link(tmp, self.path)
            except FileExistsError:
                pass
            finally:
                tmp.unlink(missing_ok=True)
        except (OSError, sqlite3.Error) as exc:
            raise StoreUnavailableError(f"Cannot create the session store {self.path}: {exc}. Check that "
                                        "ADVISOR_HOME is a folder you can write to.") from exc

    def _migrate(self, conn: Connection) -> None:
        for statement in SCHEMA:
            conn.execute(statement)
        columns = {row[1] for row in conn.execute("PRAGMA table_info(messages)").fetchall()}
        if "reply_to" not in columns:  # stores made before answers were linked to their questions
            conn.execute("ALTER TABLE messages ADD COLUMN reply_to INTEGER")

    @contextmanager
    def _transaction(self, write: bool) -> Iterator[Connection]:
        if not self._ready and not getattr(self._local, "preparing", False):
            self._prepare()
        conn = self._connect()
        try:
            conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            yield conn
            conn.execute("COMMIT")
        finally:
            if conn.in_transaction:
                conn.rollback()
            conn.close()

    def _is_busy(self, exc: BaseException) -> bool:
        text = str(exc).lower()
        return isinstance(exc, sqlite3.OperationalError) and ("locked" in text or "busy" in text)

    def _translate(self, exc: BaseException) -> AdvisorError | None:
        if isinstance(exc, sqlite3.OperationalError) and "unable to open" in str(exc):
            return StoreUnavailableError(f"Cannot open the session store {self.path}: {exc}. Check that ADVISOR_HOME "
                                         "is a folder you can write to.")
        if isinstance(exc, sqlite3.DatabaseError):
            return StoreUnreadableError(f"The session store {self.path} cannot be read ({exc}). Move it aside to "
                                        f"start afresh. {RESET_HINT}")
        return None

    # --- starting afresh, on request ------------------------------------------------------------------------

    def reset(self) -> Path | None:
        """Rename the store file aside (with a timestamp), so the next use starts an empty store; returns the
        new name of the old file, or None when there was no file. Nothing is deleted."""
        if not self.path.exists():
            return None
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        target = self.path.with_name(f"{self.path.name}.aside-{stamp}")
        n = 1
        while target.exists():
            n += 1
            target = self.path.with_name(f"{self.path.name}.aside-{stamp}-{n}")
        os.rename(self.path, target)
        journal = self.path.with_name(self.path.name + "-journal")
        if journal.exists():
            os.rename(journal, target.with_name(target.name + "-journal"))
        self._ready = False
        return target


SessionStore = SQLiteSessionStore  # the name other modules have always used for the default store
