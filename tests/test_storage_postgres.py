"""The same schema and migrations in a real PostgreSQL server (started by the test): a store made before
owners existed is upgraded once, its sessions become the local owner's, new ids continue after the old ones,
and owners stay apart."""

from __future__ import annotations

import psycopg
import pytest

from advisor.knowledge.profile import Profile
from advisor.storage.owners import LOCAL
from advisor.storage.postgres import PostgresStore
from advisor.storage.schema import MIGRATIONS
from tests.postgres_support import postgres_server, postgres_url

__all__ = ["postgres_server", "postgres_url"]  # fixtures used here
pytestmark = pytest.mark.server

OLD_LAYOUT = [  # the tables as the PostgreSQL store made them before owners
    """CREATE TABLE sessions (name TEXT PRIMARY KEY, created TEXT NOT NULL, updated TEXT NOT NULL,
       profile TEXT NOT NULL DEFAULT '{}', focus TEXT NOT NULL DEFAULT '[]')""",
    """CREATE TABLE messages (id BIGSERIAL PRIMARY KEY, session TEXT NOT NULL REFERENCES sessions(name)
       ON DELETE CASCADE, role TEXT NOT NULL CHECK (role IN ('user', 'assistant')), content TEXT NOT NULL,
       meta TEXT NOT NULL DEFAULT '{}', created TEXT NOT NULL, reply_to BIGINT)""",
    "CREATE INDEX messages_by_session ON messages(session, id)",
    """INSERT INTO sessions VALUES ('ada', 't1', 't2', '{"interests": ["forecasting"]}', '[]')""",
    "INSERT INTO messages(session, role, content, created) VALUES ('ada', 'user', 'I like forecasting', 't1')",
    "INSERT INTO messages(session, role, content, created, reply_to) VALUES ('ada', 'assistant', 'ok', 't2', 1)",
]


def test_an_old_postgres_store_is_migrated_once_and_owners_stay_apart(postgres_url: str) -> None:
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        for statement in OLD_LAYOUT:
            conn.execute(statement)
    store = PostgresStore(postgres_url, timeout=10)
    assert [s.name for s in store.list()] == ["ada"]
    assert [(m.id, m.content, m.reply_to) for m in store.messages("ada")] == [
        (1, "I like forecasting", None), (2, "ok", 1)]
    assert store.profile("ada").interests == ["forecasting"]
    assert store.start_turn("ada", "and then?") == 3  # the id sequence continues after the copied rows
    q = store.start_turn("ada", "I am someone else", owner="token:x")
    store.finish_turn("ada", q, "hello", {}, Profile(skills=["law"]), [], owner="token:x")
    assert store.profile("ada").skills == [] and store.profile("ada", owner="token:x").skills == ["law"]
    assert [s.name for s in store.list(owner="token:x")] == ["ada"] and len(store.messages("ada")) == 3
    store.close()
    again = PostgresStore(postgres_url, timeout=10)  # a second worker runs nothing more
    assert len(again.messages("ada", owner=LOCAL)) == 3
    again.close()
    with psycopg.connect(postgres_url) as conn:
        done = [r[0] for r in conn.execute("SELECT name FROM _migrations ORDER BY name")]
        owners = sorted(r[0] for r in conn.execute("SELECT DISTINCT owner FROM sessions"))
    assert done == [fn.__name__ for fn in MIGRATIONS] and owners == [LOCAL, "token:x"]
