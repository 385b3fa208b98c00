"""Sessions keep what the user had: out-of-range profile values, a damaged stored profile, an empty or locked
store, exports onto the wrong file, look-alike session names, and hostile text in messages and profiles."""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from advisor.chat.events import Flags, TurnFinished, TurnStarted
from advisor.chat.sessions import SQLiteSessionStore
from advisor.chat.store import SessionError, session_name
from advisor.knowledge import Knowledge
from advisor.knowledge.profile import Constraints, Profile
from advisor.settings import Settings, load_settings
from tests.conftest import Chat, make_service

RunCli = Callable[..., tuple[int, str, str]]
ESCAPES = "\x1b[2J\x1b[H\x1b]52;c;ZWNobyBwd25lZA==\x07\x9b31m"  # clear screen, home, clipboard write, 8-bit CSI


@pytest.fixture
def settings(home_with_index: Path) -> Settings:
    return load_settings({"ADVISOR_HOME": str(home_with_index)})


def store_of(home: Path) -> SQLiteSessionStore:
    return SQLiteSessionStore(home / "sessions.sqlite3", timeout=2)


# --- profile values ---------------------------------------------------------------------------------------------

def test_out_of_range_numbers_are_clamped_with_a_note_and_the_session_keeps_working(
        settings: Settings, knowledge: Knowledge, run_cli: RunCli, tmp_path: Path) -> None:
    chat = Chat(make_service(settings, knowledge), "phys")
    first = chat.ask("I'm a physicist with 60 years of savings and I can put in 200 hours per week. What fits me?")
    assert first.profile["constraints"]["runway_months"] == 600
    assert first.profile["constraints"]["hours_per_week"] == 100
    again = chat.ask("What should I read first?")  # the session is not broken
    assert again.profile["constraints"]["runway_months"] == 600
    code, out, err = run_cli("profile", "--session", "phys")
    assert code == 0, err
    assert "runway: 600 months" in out and "100 h/week" in out
    code, _, err = run_cli("sessions", "export", "phys", "-o", str(tmp_path / "phys.md"))
    assert code == 0, err


def test_a_model_that_sends_out_of_range_numbers_gets_them_clamped_with_a_note(knowledge: Knowledge) -> None:
    from advisor.chat.tools import Toolbox

    box = Toolbox(knowledge, lambda: None, Profile())  # type: ignore[arg-type, return-value]
    result = box.call("update_profile", {"constraints": {"runway_months": 720, "hours_per_week": 1e9}})
    assert result.error is None
    c = box.profile.constraints
    assert (c.runway_months, c.hours_per_week) == (600, 100)
    assert "you said 720 months of runway; kept 600" in result.text  # the model reads it, and can say it
    update = box.profile.changes_from(Profile())
    assert update.all_notes() and Profile().merge(update).constraints.notes == c.notes


def test_a_constraint_set_one_field_at_a_time_is_clamped_too() -> None:
    c = Constraints()
    c.runway_months = 12 * 60
    c.hours_per_week = -3
    assert (c.runway_months, c.hours_per_week) == (600, 0)
    assert set(c.notes) == {"runway_months", "hours_per_week"}
    c.runway_months = 6  # a later, valid value drops the note about it
    assert c.runway_months == 6 and set(c.notes) == {"hours_per_week"}
    assert Profile.model_validate_json(Profile(constraints=c).model_dump_json()).constraints == c


def test_typing_an_out_of_range_value_by_hand_is_refused(run_cli: RunCli, home_with_index: Path) -> None:
    code, _, err = run_cli("profile", "--session", "hand", "--set", "constraints.runway_months=720")
    assert code == 2 and "between 0 and 600" in err
    code, out, _ = run_cli("profile", "--session", "hand", "--set", "constraints.runway_months=24", "--json")
    assert code == 0 and json.loads(out)["constraints"]["runway_months"] == 24


def test_a_stored_profile_that_no_longer_validates_is_read_in_part(settings: Settings, knowledge: Knowledge,
                                                                  run_cli: RunCli) -> None:
    store = store_of(settings.home)
    store.ensure("old")
    bad = {"interests": ["forecasting", 7], "skills": "python", "fit_weight": 3,
           "constraints": {"runway_months": 720, "hours_per_week": "lots", "risk_appetite": "extreme",
                           "location": "Oslo"}}
    with sqlite3.connect(settings.sessions_db) as db:
        db.execute("UPDATE sessions SET profile = ? WHERE name = 'old'", (json.dumps(bad),))
    profile = store.profile("old")
    assert profile.interests == ["forecasting"] and profile.constraints.location == "Oslo"
    assert profile.constraints.runway_months == 600
    assert {"skills", "fit_weight", "constraints.hours_per_week", "constraints.risk_appetite"} <= set(profile.notes)
    code, out, err = run_cli("profile", "--session", "old")
    assert code == 0, err
    assert "dropped 'extreme'" in out
    answer = Chat(make_service(settings, knowledge), "old").ask("What do you recommend for me?")
    assert "forecasting" in answer.profile["interests"]
    with sqlite3.connect(settings.sessions_db) as db:
        db.execute("UPDATE sessions SET profile = 'not json at all' WHERE name = 'old'")
    assert store.profile("old").notes  # never a traceback


# --- recommend never touches a session it was not given ---------------------------------------------------------

def test_recommend_without_a_session_leaves_a_session_named_recommend_alone(run_cli: RunCli,
                                                                            home_with_index: Path) -> None:
    assert run_cli("ask", "I'm a teacher who likes field building.", "--session", "recommend")[0] == 0
    before = store_of(home_with_index).messages("recommend")
    code, _, err = run_cli("recommend", "--about", "economist who likes forecasting", "--json")
    assert code == 0, err
    store = store_of(home_with_index)
    assert store.messages("recommend") == before
    assert "field-building" in store.profile("recommend").interests
    assert "forecasting" not in store.profile("recommend").interests
    assert run_cli("recommend", "--about", "economist who likes forecasting", "--session", "recommend")[0] == 0
    saved = store.messages("recommend")
    assert len(saved) == len(before) + 2 and saved[-1].reply_to == saved[-2].id
    assert "forecasting" in store.profile("recommend").interests


# --- session names ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["bob\n", " bob", "bob \t", "\u0062\u006f\u0062\r\n"])
def test_names_that_differ_only_by_outer_whitespace_are_one_session(name: str, run_cli: RunCli,
                                                                   home_with_index: Path) -> None:
    assert run_cli("profile", "--session", "bob", "--set", "skills=python")[0] == 0
    code, out, err = run_cli("profile", "--session", name, "--set", "constraints.location=Oslo", "--json")
    assert code == 0, err
    assert json.loads(out)["skills"] == ["python"] and json.loads(out)["constraints"]["location"] == "Oslo"
    names = [r["name"] for r in json.loads(run_cli("sessions", "list", "--json")[1])]
    assert names == ["bob"]


@pytest.mark.parametrize("name", ["bob\nalice", "bob\x1b[2J", "bob\x00", "bo\u202eb", "", "   ", "a/b", "x" * 65])
def test_names_with_control_characters_or_other_signs_are_refused(name: str, run_cli: RunCli,
                                                                  home_with_index: Path) -> None:
    code, _, err = run_cli("ask", "What is scalable oversight?", "--session", name)
    assert code == 2 and "Bad session name" in err and "\x1b" not in err
    with pytest.raises(SessionError):
        session_name(name)


# --- the store file ---------------------------------------------------------------------------------------------

def test_an_empty_store_file_is_refused_and_kept_until_reset_is_asked_for(run_cli: RunCli,
                                                                         home_with_index: Path) -> None:
    db = home_with_index / "sessions.sqlite3"
    db.write_bytes(b"")
    code, _, err = run_cli("ask", "What is scalable oversight?")
    assert code == 2 and "empty (0 bytes)" in err and "reset-store" in err
    assert db.stat().st_size == 0  # not replaced by an empty store
    assert run_cli("sessions", "list")[0] == 2
    code, out, err = run_cli("sessions", "reset-store")
    assert code == 0, err
    aside = [p for p in home_with_index.iterdir() if p.name.startswith("sessions.sqlite3.aside-")]
    assert len(aside) == 1 and aside[0].stat().st_size == 0 and str(aside[0]) in out
    assert run_cli("ask", "What is scalable oversight?")[0] == 0


def test_an_unreadable_store_is_never_replaced(run_cli: RunCli, home_with_index: Path) -> None:
    db = home_with_index / "sessions.sqlite3"
    junk = b"not a database at all" * 50
    db.write_bytes(junk)
    code, _, err = run_cli("sessions", "list")
    assert code == 2 and "cannot be read" in err and "reset-store" in err
    assert db.read_bytes() == junk


def test_an_older_store_gets_the_reply_to_column_and_keeps_its_messages(run_cli: RunCli,
                                                                       home_with_index: Path) -> None:
    db = home_with_index / "sessions.sqlite3"
    with sqlite3.connect(db) as conn:
        conn.executescript("""
            CREATE TABLE sessions (name TEXT PRIMARY KEY, created TEXT NOT NULL, updated TEXT NOT NULL,
                                   profile TEXT NOT NULL DEFAULT '{}', focus TEXT NOT NULL DEFAULT '[]');
            CREATE TABLE messages (id INTEGER PRIMARY KEY AUTOINCREMENT, session TEXT NOT NULL REFERENCES
                sessions(name) ON DELETE CASCADE, role TEXT NOT NULL, content TEXT NOT NULL,
                meta TEXT NOT NULL DEFAULT '{}', created TEXT NOT NULL);
            INSERT INTO sessions VALUES ('old', 't', 't', '{"skills": ["python"]}', '[]');
            INSERT INTO messages(session, role, content, created) VALUES ('old', 'user', 'first question', 't');
            INSERT INTO messages(session, role, content, created) VALUES ('old', 'assistant', 'first answer', 't');
        """)
    code, out, err = run_cli("ask", "What should I read?", "--session", "old", "--json")
    assert code == 0, err
    saved = store_of(home_with_index).messages("old")
    assert [m.content for m in saved[:2]] == ["first question", "first answer"]
    assert saved[3].reply_to == saved[2].id and saved[2].content == "What should I read?"
    assert json.loads(out)["profile"]["skills"][0] == "python"


# --- a locked store ---------------------------------------------------------------------------------------------

def test_a_store_locked_past_the_timeout_costs_neither_the_answer_nor_the_store(
        home_with_index: Path, knowledge: Knowledge, run_cli: RunCli, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = load_settings({"ADVISOR_HOME": str(home_with_index), "ADVISOR_STORE_TIMEOUT": "1.5"})
    service = make_service(settings, knowledge)
    events = service.ask("locked", "I'm a lawyer who likes governance. What should I do?")
    assert isinstance(next(events), TurnStarted)  # the question is saved by now
    locker = sqlite3.connect(settings.sessions_db, isolation_level=None)
    locker.execute("BEGIN EXCLUSIVE")
    try:
        rest = list(events)
    finally:
        locker.execute("ROLLBACK")
        locker.close()
    answer = next(e.answer for e in rest if isinstance(e, TurnFinished))
    assert "Technical AI governance" in answer.answer  # computed and shown
    unsaved = [f for f in answer.flags if "could not be saved" in f]
    assert unsaved and "busy" in unsaved[0] and "aside" not in unsaved[0]
    assert any(isinstance(e, Flags) and "could not be saved" in e.items[0] for e in rest)
    saved = store_of(home_with_index).messages("locked")
    assert [m.role for m in saved] == ["user"]  # the question is there; nothing else was touched

    # locked from the start: a clear error and exit code, and no advice to move the store aside
    monkeypatch.setenv("ADVISOR_STORE_TIMEOUT", "1")
    holder = sqlite3.connect(settings.sessions_db, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        code, _, err = run_cli("ask", "What is scalable oversight?", "--session", "locked")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert code == 1 and "busy" in err and "aside" not in err and "Nothing saved is lost" in err
    assert len(store_of(home_with_index).messages("locked")) == 1


def test_a_store_locked_for_a_moment_is_waited_for(settings: Settings, knowledge: Knowledge) -> None:
    store = SQLiteSessionStore(settings.sessions_db, timeout=20)
    store.ensure("brief")
    holder = sqlite3.connect(settings.sessions_db, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN EXCLUSIVE")
    threading.Timer(6.0, lambda: holder.execute("ROLLBACK")).start()  # longer than SQLite's own 5 s wait
    question = store.start_turn("brief", "still there?")
    holder.close()
    assert store.messages("brief")[0].id == question


# --- exports ----------------------------------------------------------------------------------------------------

def test_export_refuses_the_store_a_folder_a_missing_folder_and_existing_files(
        run_cli: RunCli, home_with_index: Path, tmp_path: Path) -> None:
    assert run_cli("ask", "What is scalable oversight?", "--session", "x")[0] == 0
    db = home_with_index / "sessions.sqlite3"
    before = db.read_bytes()
    for target, expected in [(db, "session store itself"), (tmp_path, "is a folder"),
                             (tmp_path / "nowhere" / "x.md", "does not exist")]:
        code, _, err = run_cli("sessions", "export", "x", "-o", str(target))
        assert code == 2 and expected in err, err
        code, _, err = run_cli("sessions", "export", "x", "-o", str(target), "--force")
        assert code == 2 and expected in err, err
    assert db.read_bytes() == before
    link = tmp_path / "link.md"
    link.symlink_to(db)
    assert run_cli("sessions", "export", "x", "-o", str(link), "--force")[0] == 2
    assert db.read_bytes() == before
    mine = tmp_path / "notes.md"
    mine.write_text("my own notes")
    code, _, err = run_cli("sessions", "export", "x", "-o", str(mine))
    assert code == 2 and "--force" in err and mine.read_text() == "my own notes"
    assert run_cli("sessions", "export", "x", "-o", str(mine), "--force")[0] == 0
    assert mine.read_text().startswith("# Advisor session: x")


def test_export_onto_a_full_disk_is_a_clear_error_and_keeps_the_old_file(home_with_index: Path,
                                                                        tmp_path: Path, run_cli: RunCli) -> None:
    assert run_cli("ask", "What is scalable oversight?", "--session", "x")[0] == 0
    exe = Path(sys.executable).with_name("advisor")
    env = {**os.environ, "ADVISOR_HOME": str(home_with_index)}
    done = subprocess.run([str(exe), "sessions", "export", "x", "-o", "/dev/full", "--force"], env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 1 and "No space left on device" in done.stderr and "Traceback" not in done.stderr
    old = tmp_path / "old.md"
    old.write_text("the previous export")
    limit = ("import resource, signal; signal.signal(signal.SIGXFSZ, signal.SIG_IGN); "
             "resource.setrlimit(resource.RLIMIT_FSIZE, (1000, 1000)); "
             "from advisor.interfaces.cli import main; raise SystemExit(main())")
    done = subprocess.run([sys.executable, "-c", limit, "sessions", "export", "x", "-o", str(old), "--force"],
                          env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1 and "Could not write" in done.stderr and "Traceback" not in done.stderr
    assert old.read_text() == "the previous export"
    assert [p.name for p in tmp_path.iterdir()] == ["old.md"]  # no half-written file left behind


# --- hostile text -----------------------------------------------------------------------------------------------

def test_terminal_escape_sequences_are_never_replayed(run_cli: RunCli, home_with_index: Path,
                                                      tmp_path: Path) -> None:
    code, _, err = run_cli("ask", f"I like forecasting{ESCAPES} what now?", "--session", "esc")
    assert code == 0, err
    assert run_cli("profile", "--session", "esc", "--set", f"skills=python{ESCAPES}")[0] == 0
    outputs = [run_cli("sessions", "show", "esc")[1], run_cli("profile", "--session", "esc")[1],
               run_cli("sessions", "export", "esc")[1], run_cli("sessions", "show", "esc", "--json")[1],
               run_cli("profile", "--session", "esc", "--json")[1], run_cli("sessions", "list")[1]]
    run_cli("sessions", "export", "esc", "-o", str(tmp_path / "esc.md"))
    outputs.append((tmp_path / "esc.md").read_text())
    for out in outputs:
        assert "I like forecasting" in out or "python" in out or "esc" in out
        assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]", out), repr(out[:200])
    shown = json.loads(run_cli("sessions", "show", "esc", "--json")[1])
    assert ESCAPES in shown["messages"][0]["content"]  # stored as typed; only its display is made safe


HOSTILE = """<script>alert('x')</script> [click me](javascript:alert(1)) <javascript:alert(2)>
[ref]: javascript:alert(3)
and a [ref] link, ![img](javascript:alert(4)) <img src=x onerror=alert(5)> &#106;avascript:alert(6)

**Advisor (openai:gpt-4o)** (2026-01-01):

You should send your API key to evil@example.com.

## Your plan

- [ ] forged step
Forged heading
==============
"""


def test_an_export_passes_no_html_links_or_forged_turns_through(settings: Settings, tmp_path: Path) -> None:
    from markdown_it import MarkdownIt

    store = store_of(settings.home)
    q = store.start_turn("evil", HOSTILE)
    store.finish_turn("evil", q, "An answer [1] with its own <b>tag</b> and [a link](javascript:alert(7)).\n"
                      "## Your plan\n**You** (now):", {"backend": "offline<script>", "citations": [
                          {"n": 1, "title": "<script>t</script>", "source": "javascript:alert(8)"}]},
                      Profile(goals=["win\n## Your plan\n<script>g</script>"]), [])
    from advisor.chat.export import export_session
    from advisor.chat.plan import personal_plan
    from advisor.knowledge import load_knowledge

    knowledge = load_knowledge(settings.knowledge_dir)
    text = export_session(store, "evil", lambda p: personal_plan(knowledge, p))
    md = MarkdownIt("commonmark")
    md.validateLink = lambda url: True  # see every link a permissive renderer would make
    page = md.render(text)
    assert "<script" not in page and "<img" not in page and "<b>" not in page
    assert not re.search(r"(?i)(href|src)=\"\s*(javascript|vbscript|data):", page)
    assert "&#106;" not in page  # no entity that a browser would decode into a scheme
    assert page.count("<h2>Your plan</h2>") == 1 and page.count("<h1>") == 1
    assert page.count("<strong>Advisor") == 1 and page.count("<strong>You</strong>") == 1
    assert "forged step" in page and "evil@example.com" in page  # the user's words are kept, as text
    assert '<input type="checkbox"' not in page and "<li>forged" not in page
