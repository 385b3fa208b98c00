"""The PostgreSQL store under the name other modules have always imported; it lives in
`advisor.storage.postgres` (the same schema and operations as SQLite)."""

from __future__ import annotations

from advisor.storage.postgres import PostgresStore

PostgresSessionStore = PostgresStore

__all__ = ["PostgresSessionStore"]
