"""The store keeps each owner's conversations apart, upgrades older stores once (recording its migrations),
takes names as people type them (NFKC) but refuses look-alikes, and keeps its owner key private."""

from __future__ import annotations

import os
import sqlite3
import stat
from pathlib import Path

import pytest

from advisor.knowledge.profile import Profile
from advisor.storage.names import SessionError, new_web_code, session_name
from advisor.storage.owners import KEY_FILE, LOCAL, Owners, owner_key
from advisor.storage.schema import MIGRATIONS
from advisor.storage.sqlite import SQLiteStore

ALICE, BOB = "token:alice", "token:bob"


def test_an_owner_sees_only_their_own_conversations(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "s.sqlite3")
    q = store.start_turn("plans", "I am Alice, I live in Oslo", owner=ALICE)
    store.finish_turn("plans", q, "answer", {}, Profile(skills=["python"]), ["evaluations"], owner=ALICE)
    assert [s.name for s in store.list(owner=ALICE)] == ["plans"]
    for other in (BOB, LOCAL):
        assert store.list(owner=other) == []
        assert not store.exists("plans", owner=other)
        assert store.messages("plans", owner=other) == []
        assert store.profile("plans", owner=other) == Profile()
        with pytest.raises(SessionError) as caught:
            store.require("plans", owner=other)
        assert str(caught.value) == "No conversation named 'plans' was found."  # nothing else: no list
        with pytest.raises(SessionError):
            store.delete("plans", owner=other)
    # the same name is a different conversation for Bob; his writes never touch Alice's
    store.start_turn("plans", "I am Bob", owner=BOB)
    store.edit_profile("plans", lambda p: p.model_copy(update={"skills": ["law"]}), owner=BOB)
    assert [m.content for m in store.messages("plans", owner=ALICE)] == ["I am Alice, I live in Oslo", "answer"]
    assert store.profile("plans", owner=ALICE).skills == ["python"]
    assert store.profile("plans", owner=BOB).skills == ["law"]
    store.delete("plans", owner=BOB)
    assert store.exists("plans", owner=ALICE)


OLD_LAYOUT = """
    CREATE TABLE sessions (name TEXT PRIMARY KEY, created TEXT NOT NULL, updated TEXT NOT NULL,
                           profile TEXT NOT NULL DEFAULT '{}', focus TEXT NOT NULL DEFAULT '[]');
    CREATE TABLE messages (id INTEGER PRIMARY KEY AUTOINCREMENT, session TEXT NOT NULL REFERENCES
        sessions(name) ON DELETE CASCADE, role TEXT NOT NULL, content TEXT NOT NULL,
        meta TEXT NOT NULL DEFAULT '{}', created TEXT NOT NULL, reply_to INTEGER);
    CREATE INDEX messages_by_session ON messages(session, id);
    INSERT INTO sessions VALUES ('default', 't1', 't2', '{"skills": ["python"]}', '["evaluations"]');
    INSERT INTO messages(session, role, content, created) VALUES ('default', 'user', 'first question', 't1');
    INSERT INTO messages(session, role, content, created, reply_to) VALUES ('default', 'assistant', 'answer', 't2', 1);
"""


def test_a_store_without_owners_is_migrated_once_and_its_sessions_become_local(tmp_path: Path) -> None:
    db = tmp_path / "sessions.sqlite3"
    with sqlite3.connect(db) as conn:
        conn.executescript(OLD_LAYOUT)
    store = SQLiteStore(db)
    assert [s.name for s in store.list()] == ["default"]  # the local owner's, as before
    assert [(m.id, m.content, m.reply_to) for m in store.messages("default")] == [
        (1, "first question", None), (2, "answer", 1)]
    assert store.profile("default").skills == ["python"] and store.focus("default") == ["evaluations"]
    assert store.list(owner=ALICE) == []
    assert store.start_turn("default", "again") == 3  # ids continue after the copied ones
    with sqlite3.connect(db) as conn:
        done = [r[0] for r in conn.execute("SELECT name FROM _migrations ORDER BY name")]
        owners = {r[0] for r in conn.execute("SELECT owner FROM sessions")}
    assert done == [fn.__name__ for fn in MIGRATIONS] and owners == {LOCAL}
    again = SQLiteStore(db)  # a second opening runs nothing more
    assert len(again.messages("default")) == 3
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT COUNT(*) FROM _migrations").fetchone()[0] == len(MIGRATIONS)


def test_names_are_normalised_and_look_alikes_refused() -> None:
    assert session_name("ｄｅｆａｕｌｔ") == "default"  # full-width: the same name, not a look-alike of it
    assert session_name("  my   plan ") == "my plan"
    assert session_name("計画ノート") == "計画ノート"  # one writing system (Han and Katakana together)
    assert session_name("мой-план") == "мой-план"  # Cyrillic that does not imitate Latin
    for bad in ("d\u0435fault", "p\u0430ypal", "\u0430\u0435\u043e", "\u0440\u0430\u0441\u0435", "a\u200bb",
                "x\u202ey", "<a href=x>", ""):
        with pytest.raises(SessionError):
            session_name(bad)


def test_web_codes_are_long_random_capabilities() -> None:
    codes = {new_web_code() for _ in range(200)}
    assert len(codes) == 200
    for code in codes:
        assert session_name(code) == code and len(code) - len("web-") >= 32  # 192 bits in base64url


def test_the_owner_key_is_private_never_follows_a_link_and_tokens_are_never_stored(tmp_path: Path) -> None:
    home = tmp_path / "home"
    owners = Owners(home)
    token = "secret-token-" + "x" * 24
    owner = owners.token(token)
    assert owner.startswith("token:") and token not in owner
    assert owners.token(token) == owner and owners.token(token + "y") != owner
    assert stat.S_IMODE((home / KEY_FILE).stat().st_mode) == 0o600
    assert owners.api_user(owner, "ada@example.org") != Owners(tmp_path / "elsewhere").api_user(owner,
                                                                                               "ada@example.org")
    assert owners.api_user(owner, "ada@example.org") != owners.api_user(LOCAL, "ada@example.org")
    store = SQLiteStore(home / "sessions.sqlite3")
    store.start_turn("s", "hello", owner=owner)
    assert token.encode() not in (home / "sessions.sqlite3").read_bytes()

    planted = tmp_path / "planted"
    planted.mkdir()
    target = tmp_path / "target"
    target.write_text("do not touch")
    os.symlink(target, planted / KEY_FILE)
    with pytest.raises(Exception, match="link"):
        owner_key(planted)
    assert target.read_text() == "do not touch"
