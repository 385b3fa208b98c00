"""The session store: each session's messages, profile and focus, in SQLite (one machine, the default) or in
PostgreSQL (`ADVISOR_DATABASE_URL`: several workers share the sessions).

Both speak the same SQL through `StoreBase`, which holds every operation. A turn is two short transactions:
`start_turn` saves the user's message before anything can fail, and `finish_turn` merges the turn's profile
*update* into the latest stored profile and saves the answer, linked to its question (`reply_to`), in one
transaction, so concurrent turns of one session lose nothing. A busy store is retried with backoff until the
timeout, then it is a `StoreBusyError` that says nothing was lost; an unreadable one is never replaced.
"""

from __future__ import annotations

import builtins
import json
import logging
import random
import re
import time
import unicodedata
from abc import ABC, abstractmethod
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from advisor.errors import AdvisorError, InputError, ServiceError
from advisor.knowledge.profile import Profile

if TYPE_CHECKING:
    from advisor.settings import Settings

log = logging.getLogger("advisor.sessions")
T = TypeVar("T")
NAME = re.compile(r"[\w][\w .-]{0,63}")
NAME_RULE = "use up to 64 letters, digits, spaces, '.', '-' or '_', starting with a letter or digit"


class SessionError(InputError, ValueError):
    """An unknown session, or a name that cannot be used."""


class StoreUnreadableError(SessionError):
    """The store's file is empty or not a database; it is left untouched."""


class StoreUnavailableError(ServiceError):
    """The store cannot be opened or reached (a folder without write access, a database server that is down)."""


class StoreBusyError(StoreUnavailableError):
    """The store stayed locked by another process for longer than the timeout; nothing was lost."""


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


def session_name(name: str) -> str:
    """The session's name as stored: Unicode-normalised, outer whitespace stripped, inner runs of spaces made
    one; names with control characters (a newline, an escape sequence) or other characters are refused."""
    if not isinstance(name, str):
        raise SessionError(f"Bad session name {name!r}: {NAME_RULE}")
    text = unicodedata.normalize("NFC", name).strip()
    if any(unicodedata.category(ch)[0] == "C" or ch in "\u2028\u2029" for ch in text):
        raise SessionError(f"Bad session name {name!a}: it contains control characters; {NAME_RULE}")
    text = re.sub(r"\s+", " ", text)
    if not NAME.fullmatch(text):
        raise SessionError(f"Bad session name {name!a}: {NAME_RULE}")
    return text


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


class Connection(Protocol):
    """The part of a DB-API connection the store uses (sqlite3 and psycopg both have it)."""

    def execute(self, sql: str, params: Any = ...) -> Any: ...


class SessionStore(Protocol):
    """What the conversation service and the interfaces need from a session store."""

    def location(self) -> str: ...
    def ensure(self, name: str) -> str: ...
    def exists(self, name: str) -> bool: ...
    def require(self, name: str) -> str: ...
    def start_turn(self, name: str, text: str) -> int: ...
    def finish_turn(self, name: str, question_id: int | None, answer: str, meta: dict[str, Any],
                    profile_update: Profile, focus: list[str]) -> Profile: ...
    def append(self, name: str, role: str, content: str, meta: dict[str, Any] | None = None,
               reply_to: int | None = None) -> int: ...
    def messages(self, name: str, before: int | None = None) -> list[Message]: ...
    def profile(self, name: str) -> Profile: ...
    def focus(self, name: str) -> list[str]: ...
    def save_state(self, name: str, profile: Profile, focus: list[str]) -> None: ...
    def edit_profile(self, name: str, change: Callable[[Profile], Profile]) -> Profile: ...
    def set_feedback(self, name: str, turn: int, rating: str, comment: str = "") -> None: ...
    def list(self) -> list[SessionInfo]: ...
    def delete(self, name: str) -> None: ...
    def export_markdown(self, name: str, plan_markdown: str) -> str: ...


class StoreBase(ABC):
    """Every store operation, over one transaction at a time; subclasses open the transactions."""

    placeholder = "?"
    lock_row = ""  # appended to a SELECT that is followed by an update of the same row (" FOR UPDATE")

    def __init__(self, timeout: float = 30.0) -> None:
        self.timeout = timeout

    # --- what a database gives ------------------------------------------------------------------------------

    @abstractmethod
    def location(self) -> str:
        """Where the sessions are, for people (never with a password)."""

    @abstractmethod
    def _transaction(self, write: bool) -> AbstractContextManager[Connection]:
        """One transaction; a write transaction takes the write lock at its start."""

    @abstractmethod
    def _is_busy(self, exc: BaseException) -> bool:
        """Whether `exc` means: locked by someone else (or briefly unreachable), try again."""

    @abstractmethod
    def _translate(self, exc: BaseException) -> AdvisorError | None:
        """The error to show for a database error, or None to let it through."""

    # --- running one operation ------------------------------------------------------------------------------

    def _gave_up(self, exc: BaseException) -> StoreUnavailableError:
        """The error once a busy store has been retried until the timeout."""
        return StoreBusyError(
            f"The session store ({self.location()}) has been busy for over {self.timeout:g} s: another advisor "
            f"process keeps it locked ({exc}). Nothing saved is lost; try again in a moment, or stop the other "
            "process. ADVISOR_STORE_TIMEOUT sets how long to wait.")

    def _sql(self, sql: str) -> str:
        return sql if self.placeholder == "?" else sql.replace("?", self.placeholder)

    def _run(self, work: Callable[[Connection], T], write: bool = False) -> T:
        """`work` in one transaction, retried with backoff while the store is busy, up to the timeout."""
        deadline = time.monotonic() + self.timeout
        delay = 0.02
        while True:
            try:
                with self._transaction(write) as conn:
                    return work(conn)
            except AdvisorError:
                raise
            except Exception as exc:
                if not self._is_busy(exc):
                    translated = self._translate(exc)
                    if translated is None:
                        raise
                    raise translated from exc
                if time.monotonic() + delay > deadline:
                    raise self._gave_up(exc) from exc
                time.sleep(delay * (0.5 + random.random()))
                delay = min(delay * 2, 1.0)

    def _q(self, conn: Connection, sql: str, *params: Any) -> Any:
        return conn.execute(self._sql(sql), params)

    # --- sessions -------------------------------------------------------------------------------------------

    def _ensure(self, conn: Connection, name: str) -> None:
        self._q(conn, "INSERT INTO sessions(name, created, updated) VALUES (?, ?, ?) ON CONFLICT (name) DO NOTHING",
                name, now(), now())

    def ensure(self, name: str) -> str:
        name = session_name(name)
        self._run(lambda c: self._ensure(c, name), write=True)
        return name

    def exists(self, name: str) -> bool:
        name = session_name(name)
        return bool(self._run(lambda c: self._q(c, "SELECT 1 FROM sessions WHERE name = ?", name).fetchone()))

    def require(self, name: str) -> str:
        name = session_name(name)
        if not self.exists(name):
            known = ", ".join(repr(s.name) for s in self.list()[:10]) or "none yet"
            raise SessionError(f"No session named {name!r}. Known sessions: {known}")
        return name

    def list(self) -> builtins.list[SessionInfo]:
        rows = self._run(lambda c: self._q(
            c, "SELECT s.name, s.created, s.updated, COUNT(m.id) FROM sessions s LEFT JOIN messages m "
               "ON m.session = s.name GROUP BY s.name, s.created, s.updated ORDER BY s.updated DESC").fetchall())
        return [SessionInfo(str(r[0]), str(r[1]), str(r[2]), int(r[3])) for r in rows]

    def delete(self, name: str) -> None:
        name = self.require(name)

        def work(c: Connection) -> None:
            self._q(c, "DELETE FROM messages WHERE session = ?", name)
            self._q(c, "DELETE FROM sessions WHERE name = ?", name)

        self._run(work, write=True)

    # --- turns and messages ---------------------------------------------------------------------------------

    def _insert(self, c: Connection, name: str, role: str, content: str, meta: dict[str, Any],
                reply_to: int | None) -> int:
        row = self._q(c, "INSERT INTO messages(session, role, content, meta, created, reply_to) "
                         "VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
                      name, role, content, json.dumps(meta, ensure_ascii=False), now(), reply_to).fetchone()
        self._q(c, "UPDATE sessions SET updated = ? WHERE name = ?", now(), name)
        return int(row[0])

    def append(self, name: str, role: str, content: str, meta: dict[str, Any] | None = None,
               reply_to: int | None = None) -> int:
        if role not in ("user", "assistant"):
            raise SessionError(f"A message's role is 'user' or 'assistant', not {role!r}")
        name = session_name(name)

        def work(c: Connection) -> int:
            self._ensure(c, name)
            return self._insert(c, name, role, content, meta or {}, reply_to)

        return self._run(work, write=True)

    def start_turn(self, name: str, text: str) -> int:
        """Save the user's message (creating the session if need be); returns its id, the question id."""
        return self.append(name, "user", text)

    def finish_turn(self, name: str, question_id: int | None, answer: str, meta: dict[str, Any],
                    profile_update: Profile, focus: builtins.list[str]) -> Profile:
        """In one transaction: merge the turn's profile update into the latest stored profile, set the focus,
        and save the answer linked to its question. Returns the profile as stored."""
        name = session_name(name)

        def work(c: Connection) -> Profile:
            self._ensure(c, name)  # a session deleted while the turn ran comes back with this turn in it
            row = self._q(c, "SELECT profile FROM sessions WHERE name = ?" + self.lock_row, name).fetchone()
            merged = self._load_profile(name, row[0] if row else "{}").merge(profile_update)
            self._q(c, "UPDATE sessions SET profile = ?, focus = ?, updated = ? WHERE name = ?",
                    merged.model_dump_json(), json.dumps(focus), now(), name)
            self._insert(c, name, "assistant", answer, meta, question_id)
            return merged

        return self._run(work, write=True)

    def messages(self, name: str, before: int | None = None) -> builtins.list[Message]:
        """The session's messages in order; with `before`, only those saved before that message."""
        name = session_name(name)
        rows = self._run(lambda c: self._q(
            c, "SELECT role, content, meta, created, id, reply_to FROM messages WHERE session = ? AND id < ? "
               "ORDER BY id", name, before if before is not None else 2**62).fetchall())
        return [Message(str(r[0]), str(r[1]), _json(r[2], {}), str(r[3]), int(r[4]),
                        int(r[5]) if r[5] is not None else None) for r in rows]

    def set_feedback(self, name: str, turn: int, rating: str, comment: str = "") -> None:
        """Store a thumbs up or down, with an optional comment, with answer number `turn` (1-based) of a session,
        in that answer's `meta["feedback"]`; a later call replaces it."""
        name = session_name(name)
        if rating not in ("up", "down"):
            raise SessionError(f"Feedback must be 'up' or 'down', not {rating!r}")
        if len(comment) > 2000:
            raise SessionError(f"The comment is {len(comment)} characters; the limit is 2000.")

        def work(c: Connection) -> None:
            row = self._q(c, "SELECT id, meta FROM messages WHERE session = ? AND role = 'assistant' ORDER BY id "
                             "LIMIT 1 OFFSET ?", name, max(turn - 1, 0)).fetchone()
            if turn < 1 or row is None:
                raise SessionError(f"Session {name!r} has no answer number {turn} to give feedback on.")
            meta = {**_json(row[1], {}), "feedback": {"rating": rating, "comment": comment.strip(), "at": now()}}
            self._q(c, "UPDATE messages SET meta = ? WHERE id = ?", json.dumps(meta, ensure_ascii=False), row[0])

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

    def profile(self, name: str) -> Profile:
        name = session_name(name)
        row = self._run(lambda c: self._q(c, "SELECT profile FROM sessions WHERE name = ?", name).fetchone())
        return self._load_profile(name, row[0]) if row else Profile()

    def focus(self, name: str) -> builtins.list[str]:
        name = session_name(name)
        row = self._run(lambda c: self._q(c, "SELECT focus FROM sessions WHERE name = ?", name).fetchone())
        found = _json(row[0], []) if row else []
        return [f for f in found if isinstance(f, str)] if isinstance(found, list) else []

    def save_state(self, name: str, profile: Profile, focus: builtins.list[str]) -> None:
        """Replace the session's profile and focus (a direct edit; turns use `finish_turn`)."""
        name = session_name(name)

        def work(c: Connection) -> None:
            self._ensure(c, name)
            self._q(c, "UPDATE sessions SET profile = ?, focus = ?, updated = ? WHERE name = ?",
                    profile.model_dump_json(), json.dumps(focus), now(), name)

        self._run(work, write=True)

    def edit_profile(self, name: str, change: Callable[[Profile], Profile]) -> Profile:
        """Apply `change` to the latest stored profile and save the result, in one transaction."""
        name = session_name(name)

        def work(c: Connection) -> Profile:
            self._ensure(c, name)
            row = self._q(c, "SELECT profile FROM sessions WHERE name = ?" + self.lock_row, name).fetchone()
            profile = change(self._load_profile(name, row[0] if row else "{}"))
            self._q(c, "UPDATE sessions SET profile = ?, updated = ? WHERE name = ?", profile.model_dump_json(),
                    now(), name)
            return profile

        return self._run(work, write=True)

    def export_markdown(self, name: str, plan_markdown: str) -> str:
        """The conversation, then the personal plan, as one Markdown document (user text escaped)."""
        from advisor.chat.export import render_export

        name = self.require(name)
        return render_export(name, self.profile(name), self.messages(name), plan_markdown)


def _json(raw: Any, default: Any) -> Any:
    if not isinstance(raw, str | bytes):
        return raw if raw is not None else default
    try:
        return json.loads(raw)
    except ValueError:
        return default


def open_store(settings: Settings) -> SessionStore:
    """The configured session store: PostgreSQL when ADVISOR_DATABASE_URL is set, else SQLite in the home."""
    if settings.database_url is not None:
        from advisor.chat.store_postgres import PostgresSessionStore

        return PostgresSessionStore(settings.database_url.get_secret_value(), timeout=settings.store_timeout)
    from advisor.chat.sessions import SQLiteSessionStore

    return SQLiteSessionStore(settings.sessions_db, timeout=settings.store_timeout)


def reading_order(messages: list[Message]) -> list[Message]:
    """Messages as a conversation reads: each question followed by the answers linked to it (concurrent turns
    interleave in storage); answers not linked to a question (older stores) stay where they are."""
    questions = {m.id for m in messages if m.role == "user"}
    answers: dict[int | None, list[Message]] = {}
    for m in messages:
        if m.role == "assistant" and m.reply_to in questions:
            answers.setdefault(m.reply_to, []).append(m)
    out: list[Message] = []
    for m in messages:
        if m.role == "user":
            out += [m, *answers.get(m.id, [])]
        elif m.reply_to not in questions:
            out.append(m)
    return out
