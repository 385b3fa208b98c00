"""The conversation store as the chat layer knows it: names kept for the modules that import them from here.
The store itself lives in `advisor.storage` (schema, migrations, owners, SQLite and PostgreSQL)."""

from __future__ import annotations

from advisor.storage.names import NAME, NAME_RULE, SessionError, session_name
from advisor.storage.owners import LOCAL
from advisor.storage.store import (
    Message,
    SessionInfo,
    Store,
    StoreBusyError,
    StoreUnavailableError,
    StoreUnreadableError,
    not_found,
    open_store,
    reading_order,
)

SessionStore = Store  # what the service and the interfaces need from a store, SQLite or PostgreSQL

__all__ = ["LOCAL", "NAME", "NAME_RULE", "Message", "SessionError", "SessionInfo", "SessionStore", "Store",
           "StoreBusyError", "StoreUnavailableError", "StoreUnreadableError", "not_found", "open_store",
           "reading_order", "session_name"]
