"""The store in PostgreSQL (`ADVISOR_DATABASE_URL`), so that several `advisor serve` workers share every
conversation. Same schema and operations as SQLite (`advisor.storage.store`); the migrations run under an
advisory lock, so one worker at a time brings the schema up to date. The password is never shown.
"""

from __future__ import annotations

import threading

from sqlalchemy import Connection, create_engine, text

from advisor.errors import AdvisorError, InputError
from advisor.storage.store import Store, StoreBusyError, StoreUnavailableError

SCHEMA_LOCK = 0x61647669  # pg_advisory_xact_lock key: one process at a time migrates
LOCK_WAIT = "5s"  # how long one attempt waits for a row lock before the store's own retries take over


class PostgresStore(Store):
    def __init__(self, url: str, timeout: float = 30.0) -> None:
        if not url.startswith(("postgresql://", "postgres://")):
            raise InputError("ADVISOR_DATABASE_URL must be a PostgreSQL URL, postgresql://USER:PASSWORD@HOST:PORT/DB "
                             "(its value is not shown, as it may hold a password).")
        self._url = url
        driver_url = "postgresql+psycopg://" + url.split("://", 1)[1]
        engine = create_engine(driver_url, pool_pre_ping=True, pool_size=8, max_overflow=16, hide_parameters=True,
                               connect_args={"connect_timeout": max(2, min(10, int(timeout))),
                                             "application_name": "advisor"})
        super().__init__(engine, timeout)
        self._ready_lock = threading.Lock()

    def location(self) -> str:
        from psycopg.conninfo import conninfo_to_dict

        try:
            info = conninfo_to_dict(self._url)
        except Exception:
            return "PostgreSQL (ADVISOR_DATABASE_URL)"
        return f"PostgreSQL {info.get('host', 'localhost')}:{info.get('port', 5432)}/{info.get('dbname', '')}"

    def _begin(self, conn: Connection, write: bool) -> None:
        if write:
            conn.execute(text(f"SET LOCAL lock_timeout = '{LOCK_WAIT}'"))

    def _prepare(self) -> None:
        with self._ready_lock:
            if self._ready:
                return

            def work(conn: Connection) -> None:
                conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": SCHEMA_LOCK})
                self._migrate(conn)

            self._run(work, write=True, prepare=False)
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

        line = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        try:
            password = str(conninfo_to_dict(self._url).get("password") or "")
        except Exception:
            password = ""
        return line.replace(password, "[hidden]") if len(password) >= 3 else line

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
            return StoreBusyError(
                f"The session store ({self.location()}) has been busy for over {self.timeout:g} s: another advisor "
                "process keeps it locked. Nothing saved is lost; try again in a moment, or stop the other process. "
                "ADVISOR_STORE_TIMEOUT sets how long to wait.")
        return StoreUnavailableError(
            f"Cannot reach the session store ({self.location()}) within {self.timeout:g} s: {self._reason(exc)}. "
            "Check that PostgreSQL is running and that ADVISOR_DATABASE_URL names it.")
