"""The conversation store: each conversation's messages, profile and focus, kept per owner, in SQLite (one
machine, the default) or PostgreSQL (`ADVISOR_DATABASE_URL`: several workers share it), through one SQLAlchemy
Core schema (`advisor.storage.schema`).

A session name is looked up within its owner only: no call lists, names or reveals another owner's
conversations, and an unknown name is "not found", nothing more. A turn is two short transactions:
`start_turn` saves the user's message before anything can fail, and `finish_turn` merges the turn's profile
*update* into the latest stored profile and saves the answer, linked to its question (`reply_to`), in one
transaction (the session's row locked), so concurrent turns of one session lose nothing. A busy store is
retried with backoff until the timeout, then it is a `StoreBusyError` that says nothing was lost.
"""

from __future__ import annotations

import builtins
import json
import logging
import random
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import Connection, Engine, and_, func, select, update
from sqlalchemy import delete as delete_rows
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from advisor.errors import AdvisorError, ServiceError
from advisor.knowledge.profile import Profile
from advisor.storage.names import SessionError, session_name
from advisor.storage.owners import LOCAL
from advisor.storage.schema import messages, migrate, sessions

if TYPE_CHECKING:
    from advisor.settings import Settings

log = logging.getLogger("advisor.sessions")
T = TypeVar("T")


class StoreUnavailableError(ServiceError):
    """The store cannot be opened or reached (a folder without write access, a database server that is down)."""


class StoreBusyError(StoreUnavailableError):
    """The store stayed locked by another process for longer than the timeout; nothing was lost."""


class StoreUnreadableError(StoreUnavailableError):
    """The store's file is empty or not a database; it is left untouched (a fault of the server, not of input:
    API clients get a 503 without the path)."""

    exit_code = 2


@dataclass(frozen=True)
class Message:
    role: str
    content: str
    meta: dict[str, Any]
    created: str
    id: int | None = None
    reply_to: int | None = None  # an answer's question


@dataclass(frozen=True)
class SessionInfo:
    name: str
    created: str
    updated: str
    messages: int


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def not_found(name: str) -> SessionError:
    """The one thing said about a name that is not the caller's: that it was not found."""
    return SessionError(f"No conversation named {name!r} was found.")


class Store(ABC):
    """Every store operation, one transaction at a time, on an SQLAlchemy engine; subclasses make the engine,
    prepare the store (migrations) and say which database errors mean "busy"."""

    def __init__(self, engine: Engine, timeout: float = 30.0) -> None:
        self.engine = engine
        self.timeout = timeout
        self._ready = False

    # --- what a database gives ------------------------------------------------------------------------------

    @abstractmethod
    def location(self) -> str:
        """Where the conversations are, for the operator (never with a password)."""

    @abstractmethod
    def _prepare(self) -> None:
        """Once per store object: make the store if need be and run pending migrations."""

    @abstractmethod
    def _is_busy(self, exc: BaseException) -> bool:
        """Whether `exc` (the driver's error) means: locked by someone else, or briefly unreachable."""

    @abstractmethod
    def _translate(self, exc: BaseException) -> AdvisorError | None:
        """The error to show for the driver's error `exc`, or None to let it through."""

    def _begin(self, conn: Connection, write: bool) -> None:  # noqa: B027 (most databases need nothing here)
        """Called at the start of each transaction (a write one may set lock waits)."""

    # --- running one operation ------------------------------------------------------------------------------

    def _gave_up(self, exc: BaseException) -> StoreUnavailableError:
        return StoreBusyError(
            f"The session store ({self.location()}) has been busy for over {self.timeout:g} s: another advisor "
            f"process keeps it locked ({_first_line(exc)}). Nothing saved is lost; try again in a moment, or stop "
            "the other process. ADVISOR_STORE_TIMEOUT sets how long to wait.")

    def _run(self, work: Callable[[Connection], T], write: bool = False, prepare: bool = True) -> T:
        """`work` in one transaction, retried with backoff while the store is busy, up to the timeout."""
        if prepare and not self._ready:
            self._prepare()
        deadline = time.monotonic() + self.timeout
        delay = 0.02
        while True:
            try:
                with self.engine.connect() as conn:
                    conn.execution_options(advisor_write=write)
                    with conn.begin():
                        self._begin(conn, write)
                        return work(conn)
            except AdvisorError:
                raise
            except Exception as exc:
                orig = getattr(exc, "orig", None) or exc
                if not self._is_busy(orig):
                    translated = self._translate(orig)
                    if translated is None:
                        raise
                    raise translated from None
                if time.monotonic() + delay > deadline:
                    raise self._gave_up(orig) from None
                time.sleep(delay * (0.5 + random.random()))
                delay = min(delay * 2, 1.0)

    def _migrate(self, conn: Connection) -> None:
        ran = migrate(conn)
        if ran:
            log.info("session store %s: ran migrations %s", self.location(), ", ".join(ran))

    # --- sessions -------------------------------------------------------------------------------------------

    def _ensure(self, c: Connection, owner: str, name: str) -> None:
        values = {"owner": owner, "name": name, "created": now(), "updated": now()}
        insert = pg_insert if c.dialect.name == "postgresql" else sqlite_insert
        c.execute(insert(sessions).values(**values).on_conflict_do_nothing(index_elements=["owner", "name"]))

    @staticmethod
    def _one(owner: str, name: str) -> Any:
        return and_(sessions.c.owner == owner, sessions.c.name == name)

    def ensure(self, name: str, *, owner: str = LOCAL) -> str:
        name = session_name(name)
        self._run(lambda c: self._ensure(c, owner, name), write=True)
        return name

    def exists(self, name: str, *, owner: str = LOCAL) -> bool:
        name = session_name(name)
        return bool(self._run(lambda c: c.execute(select(1).where(self._one(owner, name))).first()))

    def require(self, name: str, *, owner: str = LOCAL) -> str:
        """The normalised name of one of `owner`'s conversations; anything else is "not found"."""
        try:
            name = session_name(name)
        except SessionError:
            raise not_found(str(name)[:80]) from None
        if not self.exists(name, owner=owner):
            raise not_found(name)
        return name

    def list(self, *, owner: str = LOCAL) -> builtins.list[SessionInfo]:
        """`owner`'s conversations, the most recently updated first."""
        counted = (select(sessions.c.name, sessions.c.created, sessions.c.updated, func.count(messages.c.id))
                   .select_from(sessions.outerjoin(messages, and_(messages.c.owner == sessions.c.owner,
                                                                  messages.c.session == sessions.c.name)))
                   .where(sessions.c.owner == owner)
                   .group_by(sessions.c.name, sessions.c.created, sessions.c.updated)
                   .order_by(sessions.c.updated.desc()))
        rows = self._run(lambda c: c.execute(counted).all())
        return [SessionInfo(str(r[0]), str(r[1]), str(r[2]), int(r[3])) for r in rows]

    def delete(self, name: str, *, owner: str = LOCAL) -> None:
        name = self.require(name, owner=owner)

        def work(c: Connection) -> None:
            c.execute(delete_rows(messages).where(messages.c.owner == owner, messages.c.session == name))
            c.execute(delete_rows(sessions).where(self._one(owner, name)))

        self._run(work, write=True)

    # --- turns and messages ---------------------------------------------------------------------------------

    def _insert(self, c: Connection, owner: str, name: str, role: str, content: str, meta: dict[str, Any],
                reply_to: int | None) -> int:
        new_id = c.execute(messages.insert().values(
            owner=owner, session=name, role=role, content=content, meta=json.dumps(meta, ensure_ascii=False),
            created=now(), reply_to=reply_to).returning(messages.c.id)).scalar_one()
        c.execute(update(sessions).where(self._one(owner, name)).values(updated=now()))
        return int(new_id)

    def append(self, name: str, role: str, content: str, meta: dict[str, Any] | None = None,
               reply_to: int | None = None, *, owner: str = LOCAL) -> int:
        if role not in ("user", "assistant"):
            raise SessionError(f"A message's role is 'user' or 'assistant', not {role!r}")
        name = session_name(name)

        def work(c: Connection) -> int:
            self._ensure(c, owner, name)
            return self._insert(c, owner, name, role, content, meta or {}, reply_to)

        return self._run(work, write=True)

    def start_turn(self, name: str, text: str, *, owner: str = LOCAL) -> int:
        """Save the user's message (creating the session if need be); returns its id, the question id."""
        return self.append(name, "user", text, owner=owner)

    def _locked_profile(self, c: Connection, owner: str, name: str) -> Profile:
        raw = c.execute(select(sessions.c.profile).where(self._one(owner, name)).with_for_update()).scalar()
        return self._load_profile(name, raw if raw is not None else "{}")

    def finish_turn(self, name: str, question_id: int | None, answer: str, meta: dict[str, Any],
                    profile_update: Profile, focus: builtins.list[str], *, owner: str = LOCAL) -> Profile:
        """In one transaction: merge the turn's profile update into the latest stored profile, set the focus,
        and save the answer linked to its question. Returns the profile as stored."""
        name = session_name(name)

        def work(c: Connection) -> Profile:
            self._ensure(c, owner, name)  # a session deleted while the turn ran comes back with this turn in it
            merged = self._locked_profile(c, owner, name).merge(profile_update)
            c.execute(update(sessions).where(self._one(owner, name)).values(
                profile=merged.model_dump_json(), focus=json.dumps(focus), updated=now()))
            self._insert(c, owner, name, "assistant", answer, meta, question_id)
            return merged

        return self._run(work, write=True)

    def messages(self, name: str, before: int | None = None, *, owner: str = LOCAL) -> builtins.list[Message]:
        """The session's messages in order; with `before`, only those saved before that message."""
        name = session_name(name)
        query = (select(messages.c.role, messages.c.content, messages.c.meta, messages.c.created, messages.c.id,
                        messages.c.reply_to)
                 .where(messages.c.owner == owner, messages.c.session == name,
                        messages.c.id < (before if before is not None else 2**62))
                 .order_by(messages.c.id))
        rows = self._run(lambda c: c.execute(query).all())
        return [Message(str(r[0]), str(r[1]), _json(r[2], {}), str(r[3]), int(r[4]),
                        int(r[5]) if r[5] is not None else None) for r in rows]

    def set_feedback(self, name: str, turn: int, rating: str, comment: str = "", *, owner: str = LOCAL) -> None:
        """Store a thumbs up or down, with an optional comment, with answer number `turn` (1-based) of a session,
        in that answer's `meta["feedback"]`; a later call replaces it."""
        name = session_name(name)
        if rating not in ("up", "down"):
            raise SessionError(f"Feedback must be 'up' or 'down', not {rating!r}")
        if len(comment) > 2000:
            raise SessionError(f"The comment is {len(comment)} characters; the limit is 2000.")

        def work(c: Connection) -> None:
            row = c.execute(select(messages.c.id, messages.c.meta)
                            .where(messages.c.owner == owner, messages.c.session == name,
                                   messages.c.role == "assistant")
                            .order_by(messages.c.id).limit(1).offset(max(turn - 1, 0))).first()
            if turn < 1 or row is None:
                raise SessionError(f"Session {name!r} has no answer number {turn} to give feedback on.")
            meta = {**_json(row[1], {}), "feedback": {"rating": rating, "comment": comment.strip(), "at": now()}}
            c.execute(update(messages).where(messages.c.id == row[0]).values(meta=json.dumps(meta, ensure_ascii=False)))

        self._run(work, write=True)

    # --- profile and focus ----------------------------------------------------------------------------------

    def _load_profile(self, name: str, raw: Any) -> Profile:
        """A stored profile; one that no longer validates is read in part, never refused (see the log)."""
        try:
            data = json.loads(raw) if isinstance(raw, str | bytes) else raw
        except ValueError:
            data = raw  # not JSON at all: read as nothing, with a note that says so
        try:
            return Profile.model_validate(data)
        except ValueError:
            profile = Profile.from_stored(data)
            log.warning("session %r: parts of the stored profile could not be read: %s", name,
                        "; ".join(profile.all_notes()))
            return profile

    def profile(self, name: str, *, owner: str = LOCAL) -> Profile:
        name = session_name(name)
        raw = self._run(lambda c: c.execute(select(sessions.c.profile).where(self._one(owner, name))).first())
        return self._load_profile(name, raw[0]) if raw else Profile()

    def focus(self, name: str, *, owner: str = LOCAL) -> builtins.list[str]:
        name = session_name(name)
        row = self._run(lambda c: c.execute(select(sessions.c.focus).where(self._one(owner, name))).first())
        found = _json(row[0], []) if row else []
        return [f for f in found if isinstance(f, str)] if isinstance(found, list) else []

    def save_state(self, name: str, profile: Profile, focus: builtins.list[str], *, owner: str = LOCAL) -> None:
        """Replace the session's profile and focus (a direct edit; turns use `finish_turn`)."""
        name = session_name(name)

        def work(c: Connection) -> None:
            self._ensure(c, owner, name)
            c.execute(update(sessions).where(self._one(owner, name)).values(
                profile=profile.model_dump_json(), focus=json.dumps(focus), updated=now()))

        self._run(work, write=True)

    def edit_profile(self, name: str, change: Callable[[Profile], Profile], *, owner: str = LOCAL) -> Profile:
        """Apply `change` to the latest stored profile and save the result, in one transaction."""
        name = session_name(name)

        def work(c: Connection) -> Profile:
            self._ensure(c, owner, name)
            profile = change(self._locked_profile(c, owner, name))
            c.execute(update(sessions).where(self._one(owner, name)).values(
                profile=profile.model_dump_json(), updated=now()))
            return profile

        return self._run(work, write=True)

    def close(self) -> None:
        """Close the store's pooled connections."""
        self.engine.dispose()


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def _json(raw: Any, default: Any) -> Any:
    if not isinstance(raw, str | bytes):
        return raw if raw is not None else default
    try:
        return json.loads(raw)
    except ValueError:
        return default


def open_store(settings: Settings) -> Store:
    """The configured store: PostgreSQL when ADVISOR_DATABASE_URL is set, else SQLite in the advisor's home."""
    if settings.database_url is not None:
        from advisor.storage.postgres import PostgresStore

        return PostgresStore(settings.database_url.get_secret_value(), timeout=settings.store_timeout)
    from advisor.storage.sqlite import SQLiteStore

    return SQLiteStore(settings.sessions_db, timeout=settings.store_timeout)


def reading_order(messages: builtins.list[Message]) -> builtins.list[Message]:
    """Messages as a conversation reads: each question followed by the answers linked to it (concurrent turns
    interleave in storage); answers not linked to a question (older stores) stay where they are."""
    questions = {m.id for m in messages if m.role == "user"}
    answers: dict[int | None, builtins.list[Message]] = {}
    for m in messages:
        if m.role == "assistant" and m.reply_to in questions:
            answers.setdefault(m.reply_to, []).append(m)
    out: builtins.list[Message] = []
    for m in messages:
        if m.role == "user":
            out += [m, *answers.get(m.id, [])]
        elif m.reply_to not in questions:
            out.append(m)
    return out
