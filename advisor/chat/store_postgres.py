"""Conversation memory for many users: the session store in PostgreSQL (`ADVISOR_DATABASE_URL`), so that
several `advisor serve` workers share every session. Same operations as the SQLite store (`StoreBase`); a
turn's profile merge locks the session's row (SELECT ... FOR UPDATE). The password is never shown.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from advisor.chat.store import Connection, StoreBase, StoreUnavailableError
from advisor.errors import AdvisorError, InputError

SCHEMA = (
    """CREATE TABLE IF NOT EXISTS sessions (
    name TEXT PRIMARY KEY,
    created TEXT NOT NULL,
    updated TEXT NOT NULL,
    profile TEXT NOT NULL DEFAULT '{}',
    focus TEXT NOT NULL DEFAULT '[]'
)""",
    """CREATE TABLE IF NOT EXISTS messages (
    id BIGSERIAL PRIMARY KEY,
    session TEXT NOT NULL REFERENCES sessions(name) ON DELETE CASCADE,
    role TEXT NOT NULL CHECK (role IN ('user', 'assistant')),
    content TEXT NOT NULL,
    meta TEXT NOT NULL DEFAULT '{}',
    created TEXT NOT NULL,
    reply_to BIGINT
)""",
    "ALTER TABLE messages ADD COLUMN IF NOT EXISTS reply_to BIGINT",
    "CREATE INDEX IF NOT EXISTS messages_by_session ON messages(session, id)",
)
SCHEMA_LOCK = 0x61647669  # pg_advisory_xact_lock key: one process at a time creates the tables
LOCK_WAIT = "5s"  # how long one attempt waits for a row lock before the store's own retries take over


class PostgresSessionStore(StoreBase):
    placeholder = "%s"
    lock_row = " FOR UPDATE"

    def __init__(self, url: str, timeout: float = 30.0) -> None:
        super().__init__(timeout)
        if not url.startswith(("postgresql://", "postgres://")):
            raise InputError("ADVISOR_DATABASE_URL must be a PostgreSQL URL, postgresql://USER:PASSWORD@HOST:PORT/DB "
                             "(its value is not shown, as it may hold a password).")
        self._url = url
        self._ready = False
        self._ready_lock = threading.Lock()
        self._local = threading.local()  # .conn: this thread's connection; .preparing: making the tables

    def location(self) -> str:
        from psycopg.conninfo import conninfo_to_dict

        try:
            info = conninfo_to_dict(self._url)
        except Exception:
            return "PostgreSQL (ADVISOR_DATABASE_URL)"
        return f"PostgreSQL {info.get('host', 'localhost')}:{info.get('port', 5432)}/{info.get('dbname', '')}"

    def _connection(self) -> Any:
        import psycopg

        conn = getattr(self._local, "conn", None)
        if conn is None or conn.closed or conn.broken:
            conn = psycopg.connect(self._url, autocommit=True, connect_timeout=max(2, min(10, int(self.timeout))),
                                   application_name="advisor")
            self._local.conn = conn
        return conn

    @contextmanager
    def _transaction(self, write: bool) -> Iterator[Connection]:
        if not self._ready and not getattr(self._local, "preparing", False):
            self._prepare()
        conn = self._connection()
        try:
            with conn.transaction():
                if write:
                    conn.execute(f"SET LOCAL lock_timeout = '{LOCK_WAIT}'")
                yield conn
        except Exception:
            if conn.broken:
                self._local.conn = None
            raise

    def _prepare(self) -> None:
        with self._ready_lock:
            if self._ready:
                return

            def create(conn: Connection) -> None:
                conn.execute("SELECT pg_advisory_xact_lock(%s)", (SCHEMA_LOCK,))
                for statement in SCHEMA:
                    conn.execute(statement)

            self._local.preparing = True  # the schema's own transaction goes through _transaction
            try:
                self._run(create, write=True)
            finally:
                self._local.preparing = False
            self._ready = True

    def _is_busy(self, exc: BaseException) -> bool:
        import psycopg
        from psycopg import errors

        if isinstance(exc, errors.LockNotAvailable | errors.SerializationFailure | errors.DeadlockDetected):
            return True
        # a server that is restarting or a dropped connection: try again within the timeout
        return isinstance(exc, psycopg.OperationalError) and not isinstance(exc, errors.InvalidPassword)

    def _reason(self, exc: BaseException) -> str:
        from psycopg.conninfo import conninfo_to_dict

        text = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        try:
            password = str(conninfo_to_dict(self._url).get("password") or "")
        except Exception:
            password = ""
        return text.replace(password, "[hidden]") if len(password) >= 3 else text

    def _translate(self, exc: BaseException) -> AdvisorError | None:
        import psycopg

        if isinstance(exc, psycopg.Error):
            return StoreUnavailableError(
                f"The session store ({self.location()}) failed: {self._reason(exc)}. Check that PostgreSQL is "
                "running and that ADVISOR_DATABASE_URL names a database this user may create tables in.")
        return None

    def _gave_up(self, exc: BaseException) -> StoreUnavailableError:
        from psycopg import errors

        if isinstance(exc, errors.LockNotAvailable | errors.SerializationFailure | errors.DeadlockDetected):
            return super()._gave_up(exc)
        return StoreUnavailableError(
            f"Cannot reach the session store ({self.location()}) within {self.timeout:g} s: {self._reason(exc)}. "
            "Check that PostgreSQL is running and that ADVISOR_DATABASE_URL names it.")

    def close(self) -> None:
        """Close this thread's connection (others close when their threads end)."""
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None
