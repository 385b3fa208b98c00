"""Conversation memory on one machine (SQLite under the advisor's home), under the names other modules have
always imported from here; the store itself is `advisor.storage.sqlite`. `SCHEMA` lists the current tables'
columns as plain CREATE TABLE statements, for `advisor doctor` to compare a store against."""

from __future__ import annotations

from sqlalchemy.dialects import sqlite

from advisor.storage.names import NAME, SessionError, session_name
from advisor.storage.schema import messages, sessions
from advisor.storage.sqlite import RESET_HINT, SQLiteStore
from advisor.storage.store import Message, SessionInfo

SQLiteSessionStore = SQLiteStore
SessionStore = SQLiteStore  # the default store, by the name tests and scripts have always used
SCHEMA = tuple(
    f"CREATE TABLE IF NOT EXISTS {table.name} (\n"
    + ",\n".join(f"{c.name} {c.type.compile(dialect=sqlite.dialect())}" for c in table.columns) + "\n)"
    for table in (sessions, messages))

__all__ = ["NAME", "RESET_HINT", "SCHEMA", "Message", "SQLiteSessionStore", "SessionError", "SessionInfo",
           "SessionStore", "session_name"]
