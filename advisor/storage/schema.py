"""The store's one schema, for SQLite and PostgreSQL alike (SQLAlchemy Core), and its migrations: a plain list
of named functions, each run once, in order, and recorded in the `_migrations` table (the way simonw/llm does
it). A store made before migrations were recorded is brought up to date by the same list: every step checks
what is already there.

To change the schema: change `conversation_tables`, and append a migration that takes a store of the previous
layout to the new one. Never edit a migration that has shipped.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    Connection,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    inspect,
    text,
)

ID = BigInteger().with_variant(Integer, "sqlite")  # SQLite: INTEGER PRIMARY KEY is the rowid


def conversation_tables(metadata: MetaData, sessions: str = "sessions",
                        messages: str = "messages") -> tuple[Table, Table]:
    """The two tables (under the given names: a migration builds them beside the old ones, then renames)."""
    s = Table(
        sessions, metadata,
        Column("owner", String(128), nullable=False),
        Column("name", String(128), nullable=False),
        Column("created", Text, nullable=False),
        Column("updated", Text, nullable=False),
        Column("profile", Text, nullable=False, server_default="{}"),  # JSON, read leniently (see the store)
        Column("focus", Text, nullable=False, server_default="[]"),
        PrimaryKeyConstraint("owner", "name"),
    )
    m = Table(
        messages, metadata,
        Column("id", ID, primary_key=True, autoincrement=True),
        Column("owner", String(128), nullable=False),
        Column("session", String(128), nullable=False),
        Column("role", Text, nullable=False),
        Column("content", Text, nullable=False),
        Column("meta", Text, nullable=False, server_default="{}"),
        Column("created", Text, nullable=False),
        Column("reply_to", ID),
        CheckConstraint("role IN ('user', 'assistant')"),
        ForeignKeyConstraint(["owner", "session"], [f"{sessions}.owner", f"{sessions}.name"], ondelete="CASCADE"),
        sqlite_autoincrement=True,  # ids are never reused, so an answer's link to its question stays right
    )
    return s, m


metadata = MetaData()
sessions, messages = conversation_tables(metadata)
MESSAGES_INDEX = "messages_by_owner_session"
Index(MESSAGES_INDEX, messages.c.owner, messages.c.session, messages.c.id)
migrations_table = Table("_migrations", metadata, Column("name", String(128), primary_key=True),
                         Column("applied", Text, nullable=False))


# --- migrations -------------------------------------------------------------------------------------------------

Migration = Callable[[Connection], None]
MIGRATIONS: list[Migration] = []


def migration(fn: Migration) -> Migration:
    MIGRATIONS.append(fn)
    return fn


def _columns(conn: Connection, table: str) -> set[str]:
    found = inspect(conn)
    return {c["name"] for c in found.get_columns(table)} if found.has_table(table) else set()


@migration
def m001_sessions_and_messages(conn: Connection) -> None:
    """The first layout: sessions by name, their messages."""
    if _columns(conn, "sessions"):
        return
    old = MetaData()
    Table("sessions", old, Column("name", Text, primary_key=True), Column("created", Text, nullable=False),
          Column("updated", Text, nullable=False), Column("profile", Text, nullable=False, server_default="{}"),
          Column("focus", Text, nullable=False, server_default="[]"))
    Table("messages", old, Column("id", ID, primary_key=True, autoincrement=True),
          Column("session", Text, nullable=False), Column("role", Text, nullable=False),
          Column("content", Text, nullable=False), Column("meta", Text, nullable=False, server_default="{}"),
          Column("created", Text, nullable=False),
          ForeignKeyConstraint(["session"], ["sessions.name"], ondelete="CASCADE"), sqlite_autoincrement=True)
    old.create_all(conn)


@migration
def m002_answers_link_their_question(conn: Connection) -> None:
    """`messages.reply_to`: the question an answer belongs to (concurrent turns interleave in storage)."""
    if "reply_to" not in _columns(conn, "messages"):
        conn.execute(text("ALTER TABLE messages ADD COLUMN reply_to BIGINT"))


@migration
def m003_conversations_have_owners(conn: Connection) -> None:
    """`owner` on sessions and messages, part of a session's key: names are looked up within their owner.
    Sessions made before owners existed become the local owner's. The tables are rebuilt beside the old
    ones (SQLite cannot change a primary key in place), the rows copied, the old tables dropped."""
    if "owner" in _columns(conn, "sessions"):
        return
    new = MetaData()
    conversation_tables(new, "sessions_owned", "messages_owned")
    new.create_all(conn)
    conn.execute(text("INSERT INTO sessions_owned(owner, name, created, updated, profile, focus) "
                      "SELECT 'local', name, created, updated, profile, focus FROM sessions"))
    conn.execute(text("INSERT INTO messages_owned(id, owner, session, role, content, meta, created, reply_to) "
                      "SELECT id, 'local', session, role, content, meta, created, reply_to FROM messages"))
    conn.execute(text("DROP INDEX IF EXISTS messages_by_session"))
    conn.execute(text("DROP TABLE messages"))
    conn.execute(text("DROP TABLE sessions"))
    conn.execute(text("ALTER TABLE sessions_owned RENAME TO sessions"))
    conn.execute(text("ALTER TABLE messages_owned RENAME TO messages"))
    if conn.dialect.name == "postgresql":  # the copied ids: new ones continue after them
        conn.execute(text("SELECT setval(pg_get_serial_sequence('messages', 'id'), "
                          "COALESCE((SELECT MAX(id) FROM messages), 0) + 1, false)"))
    conn.execute(text(f"CREATE INDEX IF NOT EXISTS {MESSAGES_INDEX} ON messages(owner, session, id)"))


def pending(conn: Connection) -> list[Migration]:
    """The migrations not yet recorded in this store."""
    migrations_table.create(conn, checkfirst=True)
    done = {row[0] for row in conn.execute(migrations_table.select().with_only_columns(migrations_table.c.name))}
    return [fn for fn in MIGRATIONS if fn.__name__ not in done]


def migrate(conn: Connection) -> list[str]:
    """Run the pending migrations in this (write) transaction, each recorded as it runs; returns their names."""
    ran = []
    for fn in pending(conn):
        fn(conn)
        conn.execute(migrations_table.insert().values(name=fn.__name__,
                                                      applied=datetime.now(UTC).isoformat(timespec="seconds")))
        ran.append(fn.__name__)
    return ran
