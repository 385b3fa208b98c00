"""The store in SQLite under the advisor's home (one machine, the default).

A new store file is made whole (migrated) and then linked into place, so a store file is never half made; an
empty (0-byte) or unreadable file is refused and left as it is, never replaced (`advisor sessions reset-store`
moves it aside when you ask). Write transactions take SQLite's write lock at their start (BEGIN IMMEDIATE).
"""

from __future__ import annotations

import os
import sqlite3
import threading
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, create_engine, event
from sqlalchemy.pool import NullPool

from advisor.errors import AdvisorError
from advisor.storage.store import Store, StoreUnavailableError, StoreUnreadableError

BUSY_WAIT = 5.0  # seconds SQLite itself waits for a lock before the store's own retries take over
RESET_HINT = ("Nothing was changed. To start afresh without losing it, run `advisor sessions reset-store`: it "
              "renames the file aside (keeping it) and starts an empty store. Your knowledge and index are not "
              "affected.")


def sqlite_engine(path: Path, timeout: float) -> Any:
    """An engine on the file at `path`: a connection per transaction, foreign keys on, and transactions begun
    by us (BEGIN, or BEGIN IMMEDIATE for writes) rather than by the driver."""
    engine = create_engine(f"sqlite+pysqlite:///{path}", poolclass=NullPool,
                           connect_args={"timeout": min(BUSY_WAIT, timeout), "check_same_thread": False})

    @event.listens_for(engine, "connect")
    def connected(dbapi: sqlite3.Connection, _record: Any) -> None:
        dbapi.isolation_level = None
        dbapi.execute("PRAGMA foreign_keys = ON")

    @event.listens_for(engine, "begin")
    def begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get("advisor_write") else "BEGIN")

    return engine


class SQLiteStore(Store):
    def __init__(self, path: Path, timeout: float = 30.0) -> None:
        self.path = Path(path)
        super().__init__(sqlite_engine(self.path, timeout), timeout)
        self._ready_lock = threading.Lock()

    def location(self) -> str:
        return str(self.path)

    def _prepare(self) -> None:
        """Refuse an empty file, make a missing one whole, run the migrations an existing one lacks."""
        with self._ready_lock:
            if self._ready:
                return
            try:
                size = self.path.stat().st_size
            except FileNotFoundError:
                self._create()
            except OSError as exc:
                raise StoreUnavailableError(f"Cannot open the session store {self.path}: {exc}. Check that "
                                            "ADVISOR_HOME is a folder you can write to.") from exc
            else:
                if size == 0:
                    raise StoreUnreadableError(f"The session store {self.path} is empty (0 bytes): the sessions it "
                                               f"held are not in it. {RESET_HINT}")
            self._run(self._migrate, write=True, prepare=False)
            self._ready = True

    def _create(self) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.new")
            engine = sqlite_engine(tmp, self.timeout)
            try:
                with engine.connect() as conn:
                    conn.execution_options(advisor_write=True)
                    with conn.begin():
                        self._migrate(conn)
            finally:
                engine.dispose()
            try:
                os.link(tmp, self.path)
            except FileExistsError:
                pass  # another process made it first: use theirs
            finally:
                tmp.unlink(missing_ok=True)
        except (OSError, sqlite3.Error) as exc:
            raise StoreUnavailableError(f"Cannot create the session store {self.path}: {exc}. Check that "
                                        "ADVISOR_HOME is a folder you can write to.") from exc

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
