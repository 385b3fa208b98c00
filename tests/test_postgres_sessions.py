"""Many users: sessions in a real PostgreSQL server (ADVISOR_DATABASE_URL), shared by several workers.

The server is Debian's PostgreSQL, started by the test (tests/postgres_support.py); the two-worker test also
starts a real `chroma run`, so two `advisor serve` processes share both the sessions and the index, and one
conversation alternates between them with nothing lost."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from advisor.chat.store import StoreUnavailableError, open_store
from advisor.chat.store_postgres import PostgresSessionStore
from advisor.knowledge import Knowledge
from advisor.knowledge.profile import Profile
from advisor.settings import load_settings
from tests.conftest import make_service
from tests.postgres_support import postgres_server, postgres_url
from tests.processes import ADVISOR, advisor_serve, free_port
from tests.test_server_mode import chroma_server
from tests.test_sessions_concurrency import eight_turns_at_once

__all__ = ["chroma_server", "postgres_server", "postgres_url"]  # fixtures used here
pytestmark = pytest.mark.server
RunCli = Callable[..., tuple[int, str, str]]


def test_the_store_in_postgres_does_what_the_sqlite_store_does(postgres_url: str) -> None:
    store = open_store(load_settings({"ADVISOR_DATABASE_URL": postgres_url}))
    assert isinstance(store, PostgresSessionStore) and "PostgreSQL 127.0.0.1" in store.location()
    q = store.start_turn("ada\n", "I like forecasting")
    merged = store.finish_turn("ada", q, "Then forecasting it is [1].", {"backend": "offline"},
                               Profile(interests=["forecasting"]), ["forecasting"])
    assert merged.interests == ["forecasting"] and store.focus("ada") == ["forecasting"]
    saved = store.messages(" ada ")
    assert [(m.role, m.reply_to) for m in saved] == [("user", None), ("assistant", q)]
    assert store.messages("ada", before=saved[1].id) == saved[:1]
    store.set_feedback("ada", 1, "up", "useful")
    assert store.messages("ada")[1].meta["feedback"]["rating"] == "up"
    edited = store.edit_profile("ada", lambda p: p.merge(Profile(skills=["python"])))
    assert edited.skills == ["python"] and store.profile("ada").interests == ["forecasting"]
    assert [s.name for s in store.list()] == ["ada"] and store.list()[0].messages == 2
    store.delete("ada")
    assert not store.exists("ada") and store.messages("ada") == []


def test_eight_concurrent_turns_in_one_postgres_session_keep_every_update(postgres_url: str,
                                                                          home_with_index: Path,
                                                                          knowledge: Knowledge) -> None:
    settings = load_settings({"ADVISOR_HOME": str(home_with_index), "ADVISOR_DATABASE_URL": postgres_url})
    service = make_service(settings, knowledge)
    assert isinstance(service.store, PostgresSessionStore)
    eight_turns_at_once(service, "crowd", knowledge)
    assert not (home_with_index / "sessions.sqlite3").exists()  # nothing went to the local store


def test_an_unreachable_database_is_a_clear_error_without_the_password(run_cli: RunCli, home_with_index: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"postgresql://advisor:hunter2secret@127.0.0.1:{free_port()}/advisor"
    monkeypatch.setenv("ADVISOR_DATABASE_URL", url)
    monkeypatch.setenv("ADVISOR_STORE_TIMEOUT", "2")
    code, out, err = run_cli("ask", "What is scalable oversight?")
    assert code == 1 and "Cannot reach the session store" in err and "ADVISOR_DATABASE_URL" in err
    assert "hunter2secret" not in out + err
    with pytest.raises(StoreUnavailableError) as caught:
        PostgresSessionStore(url, timeout=1).list()
    assert "hunter2secret" not in str(caught.value)
    monkeypatch.setenv("ADVISOR_DATABASE_URL", "mysql://root:hunter2secret@db/x")
    code, _, err = run_cli("sessions", "list")
    assert code == 2 and "PostgreSQL URL" in err and "hunter2secret" not in err


@pytest.mark.slow
def test_one_conversation_alternates_between_two_servers_with_nothing_lost(
        postgres_url: str, chroma_server: int, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "ADVISOR_MODEL")}
    env.update(ADVISOR_DATABASE_URL=postgres_url, CHROMA_HOST="127.0.0.1", CHROMA_PORT=str(chroma_server),
               GRADIO_ANALYTICS_ENABLED="False", ANONYMIZED_TELEMETRY="False")
    indexed = subprocess.run([ADVISOR, "index"], env={**env, "ADVISOR_HOME": str(tmp_path / "indexer")},
                             capture_output=True, text=True, timeout=600)
    assert indexed.returncode == 0, indexed.stderr
    turns = ["I'm a software engineer with 6 months of runway. What should I work on?",
             "I also like forecasting.",
             "I don't want to do policy work.",
             "Which fields do you recommend for me now?",
             "Why is scalable oversight ranked first?",
             "What should I read first?"]
    with advisor_serve({**env, "ADVISOR_HOME": str(tmp_path / "a")}, tmp_path / "a.log", "--no-web") as a, \
            advisor_serve({**env, "ADVISOR_HOME": str(tmp_path / "b")}, tmp_path / "b.log", "--no-web") as b:
        replies = []
        for i, text in enumerate(turns):
            base = (a, b)[i % 2]
            r = httpx.post(f"{base}/v1/chat/completions", timeout=120, headers={"X-Advisor-Session": "shared"},
                           json={"model": "advisor-offline", "messages": [{"role": "user", "content": text}]})
            assert r.status_code == 200, r.text
            replies.append(r.json())
    # what server A learned, server B knew (and the other way round)
    fourth = replies[3]["advisor"]["profile"]
    assert fourth["constraints"]["runway_months"] == 6 and "forecasting" in fourth["interests"]
    assert "software engineer" in " ".join(fourth["background"])
    store = open_store(load_settings({"ADVISOR_DATABASE_URL": postgres_url}))
    saved = store.messages("shared")
    assert [m.content for m in saved if m.role == "user"] == turns
    assert [m.role for m in saved] == ["user", "assistant"] * len(turns)
    assert all(saved[i + 1].reply_to == saved[i].id for i in range(0, len(saved), 2))
    shown = [r["choices"][0]["message"]["content"] for r in replies]  # the answer, then its sources listed
    assert all(shown[i].startswith(m.content) for i, m in enumerate(x for x in saved if x.role == "assistant"))
    profile = store.profile("shared")
    assert profile.constraints.runway_months == 6 and "forecasting" in profile.interests
    for home in ("a", "b"):  # the sessions live in PostgreSQL, the vectors on the Chroma server
        assert not (tmp_path / home / "sessions.sqlite3").exists()
        assert not (tmp_path / home / "index").exists()
    assert json.dumps(replies)  # plain JSON all the way
