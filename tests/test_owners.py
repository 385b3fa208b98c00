"""Conversations belong to their owner, by every route: two API tokens (the `openai` client), two web logins
(`gradio_client`) and one of each cannot read, list, resume or change each other's conversations; a wrong code
says "not found" and nothing else, HTML in it stays text; a broken store is a 503 without a path; and a web
session leaves no conversation text in the temp folder."""

from __future__ import annotations

import json
import os
import re
import secrets
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest

from advisor.knowledge import Knowledge
from advisor.settings import Settings
from tests.api_server import api_settings, offline_app, serving
from tests.web_support import copy_home, running_app

pytestmark = pytest.mark.slow

TOKEN_A = "owner-a-" + secrets.token_urlsafe(24)
TOKEN_B = "owner-b-" + secrets.token_urlsafe(24)
ALICE = "I'm a lawyer living in Quokkaville with 6 months of runway and I like technical governance. What fits me?"
SECRETS = ("Quokkaville", "lawyer")  # what Alice said; nobody else may see it
NOT_FOUND = "No conversation with that code was found."


@pytest.fixture(scope="module")
def server(indexed_home: Path, knowledge: Knowledge,
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Settings]]:
    settings = api_settings(tmp_path_factory.mktemp("owners") / "home", indexed_home,
                            ADVISOR_API_TOKENS=f"{TOKEN_A},{TOKEN_B}")
    with serving(offline_app(settings, knowledge, web=True)) as base:
        yield base, settings


def api(base: str, token: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{base}/v1", api_key=token, max_retries=0, timeout=120)


def ask_api(client: openai.OpenAI, text: str, session: str | None = None, user: str | None = None) -> dict[str, Any]:
    extra = {"X-Advisor-Session": session} if session else {}
    messages: Any = [{"role": "user", "content": text}]
    completion = (client.chat.completions.create(model="advisor-offline", messages=messages, extra_headers=extra,
                                                 user=user) if user else
                  client.chat.completions.create(model="advisor-offline", messages=messages, extra_headers=extra))
    found: dict[str, Any] = json.loads(completion.model_dump_json())
    return found


def web(base: str, user: str, token: str) -> Any:
    from gradio_client import Client

    return Client(f"{base}/", auth=(user, token), verbose=False)


def new_code(client: Any) -> str:
    *_, note, _ = client.predict(api_name="/new_conversation")
    return re.search(r"`(web-[A-Za-z0-9_-]+)`", note).group(1)  # type: ignore[union-attr]


def leaks(payload: object) -> list[str]:
    text = json.dumps(payload, ensure_ascii=False) if not isinstance(payload, str) else payload
    return [s for s in SECRETS if s in text]


def test_two_api_tokens_never_reach_each_others_conversations(server: tuple[str, Settings]) -> None:
    base, settings = server
    a, b = api(base, TOKEN_A), api(base, TOKEN_B)
    mine = ask_api(a, ALICE, session="alice-private")
    assert mine["advisor"]["profile"]["constraints"]["location"] == "Quokkaville"
    ask_api(a, ALICE, user="alice@example.org")
    # B names A's session, and A's user id: B gets conversations of its own, empty of A's words
    for seen in (ask_api(b, "What do you know about me? Where do I live?", session="alice-private"),
                 ask_api(b, "What do you know about me? Where do I live?", user="alice@example.org")):
        assert not leaks(seen), seen["advisor"]["profile"]
        assert not leaks(seen["choices"][0]["message"]["content"])
    ask_api(b, "I'm a physicist in Berlin with no runway.", session="alice-private")  # B writes to "its" session
    later = ask_api(a, "What should I read first?", session="alice-private")
    profile = later["advisor"]["profile"]
    assert profile["constraints"]["location"] == "Quokkaville" and profile["constraints"]["runway_months"] == 6
    assert "physicist" not in json.dumps(profile)
    from advisor.storage.owners import Owners
    from advisor.storage.sqlite import SQLiteStore

    store, owners = SQLiteStore(settings.sessions_db), Owners(settings.home)
    a_owner, b_owner = owners.token(TOKEN_A), owners.token(TOKEN_B)
    assert [m.role for m in store.messages("alice-private", owner=a_owner)] == ["user", "assistant"] * 2
    assert all("physicist" not in m.content for m in store.messages("alice-private", owner=a_owner))
    a_names, b_names = {s.name for s in store.list(owner=a_owner)}, {s.name for s in store.list(owner=b_owner)}
    assert a_names & b_names == {"alice-private"}  # the same name, two conversations; the user ids differ
    raw = settings.sessions_db.read_bytes()
    assert TOKEN_A.encode() not in raw and TOKEN_B.encode() not in raw and b"alice@example.org" not in raw


def test_two_web_logins_and_one_of_each_never_reach_each_others_conversations(server: tuple[str, Settings]) -> None:
    base, _ = server
    alice, bob = web(base, "alice", TOKEN_A), web(base, "bob", TOKEN_B)
    code = new_code(alice)
    _, chat, *_ = alice.predict(ALICE, "detailed", api_name="/ask")
    assert leaks(chat)
    # Bob, logged in with the other token: resuming Alice's code is "not found", nothing more
    with pytest.raises(Exception) as caught:
        bob.predict(code, api_name="/resume")
    assert NOT_FOUND in str(caught.value) and "web-" not in str(caught.value) and not leaks(str(caught.value))
    # his list has only his own; hers has hers
    assert code not in bob.predict(api_name="/my_conversations")
    assert code in alice.predict(api_name="/my_conversations")
    # his plan and profile are his own (a fresh conversation), never hers
    assert not leaks(bob.predict(api_name="/plan"))
    # the same user name with the other token is refused, not let into Alice's login
    with pytest.raises(ValueError):
        web(base, "alice", TOKEN_B)
    # one of each: the API with Bob's token cannot reach Alice's web conversation by its code ...
    seen = ask_api(api(base, TOKEN_B), "Where do I live?", session=code)
    assert not leaks(seen)
    again, *_ = alice.predict(code, api_name="/resume")
    assert sum(m["role"] == "user" for m in again) == 1  # ... nor add to it
    # ... while the API with Alice's own token is Alice: her web conversation is hers there too
    assert ask_api(api(base, TOKEN_A), "Where do I live?", session=code)["advisor"]["profile"]["constraints"][
        "location"] == "Quokkaville"


@pytest.fixture
def open_app(indexed_home: Path, knowledge: Knowledge, tmp_path: Path) -> Iterator[tuple[str, Settings]]:
    """A server without tokens or a login: everyone is the local owner, reached by unguessable codes."""
    settings = api_settings(tmp_path / "home", indexed_home)
    with serving(offline_app(settings, knowledge, web=True)) as base:
        yield base, settings


def test_a_wrong_code_says_not_found_and_nothing_else(open_app: tuple[str, Settings]) -> None:
    from gradio_client import Client

    base, _ = open_app
    someone = Client(f"{base}/", verbose=False)
    code = new_code(someone)
    someone.predict(ALICE, "detailed", api_name="/ask")
    stranger = Client(f"{base}/", verbose=False)
    for wrong in ("zzz", "<a href='http://203.0.113.9/'>click</a>", "<form action=x><input></form>", "web-" + "A" * 32,
                  code[:-1]):
        with pytest.raises(Exception) as caught:
            stranger.predict(wrong, api_name="/resume")
        message = str(caught.value)
        assert NOT_FOUND in message, message
        assert code not in message and "Known" not in message and "<a" not in message and "<form" not in message
    assert "code" in stranger.predict(api_name="/my_conversations")  # no login: no list at all
    assert code not in stranger.predict(api_name="/my_conversations")


def test_error_pop_ups_escape_html() -> None:
    from advisor.errors import InputError
    from advisor.interfaces.web.handlers import readable_errors

    def fails() -> None:
        raise InputError("Bad value <a href='http://203.0.113.9/'>here</a> <form action=x>")

    with pytest.raises(Exception) as caught:
        readable_errors(fails)()
    assert "<a" not in str(caught.value) and "<form" not in str(caught.value) and "&lt;a href" in str(caught.value)


def test_a_broken_store_is_a_503_without_a_path(open_app: tuple[str, Settings]) -> None:
    base, settings = open_app
    settings.sessions_db.write_bytes(b"not a database at all" * 100)
    for stream in (False, True):
        response = httpx.post(f"{base}/v1/chat/completions", headers={"X-Advisor-Session": "mine"}, timeout=60,
                              json={"model": "advisor-offline", "stream": stream,
                                    "messages": [{"role": "user", "content": "What is scalable oversight?"}]})
        assert response.status_code == 503, response.text
        assert str(settings.home) not in response.text and "sessions.sqlite3" not in response.text
        assert "reset-store" not in response.text and "ADVISOR_HOME" not in response.text


def test_a_web_session_leaves_no_conversation_text_in_the_temp_folder(
        indexed_home: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    from gradio_client import Client

    home = copy_home(indexed_home, tmp_path_factory.mktemp("owners-tmp-home"))
    tmp = tmp_path_factory.mktemp("server-tmp")
    start = time.time() - 1
    with running_app(home, TMPDIR=str(tmp)) as app:
        c = Client(app.url, verbose=False)
        code = new_code(c)
        c.predict(ALICE, "detailed", api_name="/ask")
        c.predict([], [], "python", "law", 6, 10, "Quokkaville", True, "low", 0.5, api_name="/profile")

        def written() -> list[str]:
            found = []
            for folder, _, files in os.walk(tmp):
                for name in files:
                    path = Path(folder) / name
                    if path.stat().st_mtime >= start and not path.is_symlink():
                        data = path.read_bytes()
                        if any(s.encode() in data for s in (*SECRETS, code)) or code in str(path):
                            found.append(str(path.relative_to(tmp)))
            return found

        assert written() == []
        plan = c.predict(api_name="/plan")
        assert "Quokkaville" in plan or "Technical AI governance" in plan  # the plan is the conversation's
        assert written() == []


def test_store_faults_in_the_web_app_name_no_path_and_a_warning_beyond_loopback_without_a_login() -> None:
    from advisor.interfaces.web.handlers import readable_errors
    from advisor.interfaces.web.server import exposure_warning
    from advisor.storage.store import StoreUnreadableError

    def broken() -> None:
        raise StoreUnreadableError("The session store /srv/advisor/sessions.sqlite3 cannot be read. Run "
                                   "`advisor sessions reset-store`.")

    with pytest.raises(Exception) as caught:
        readable_errors(broken)()
    assert "/srv" not in str(caught.value) and "reset-store" not in str(caught.value)
    assert exposure_warning("127.0.0.1", None) is None and exposure_warning("0.0.0.0", ("ana", "pw")) is None
    assert "ADVISOR_UI_AUTH" in str(exposure_warning("0.0.0.0", None))


def test_a_password_login_and_an_api_token_are_different_owners(indexed_home: Path, knowledge: Knowledge,
                                                                 tmp_path: Path) -> None:
    from gradio_client import Client

    settings = api_settings(tmp_path / "home", indexed_home, ADVISOR_API_TOKENS=TOKEN_A,
                            ADVISOR_UI_AUTH="ana:open sesame, really")
    with serving(offline_app(settings, knowledge, web=True)) as base:
        ana = Client(f"{base}/", auth=("ana", "open sesame, really"), verbose=False)
        code = new_code(ana)
        ana.predict(ALICE, "detailed", api_name="/ask")
        assert code in ana.predict(api_name="/my_conversations")
        seen = ask_api(api(base, TOKEN_A), "Where do I live?", session=code)  # the token holder names Ana's code
        assert not leaks(seen)
        again, *_ = ana.predict(code, api_name="/resume")
        assert sum(m["role"] == "user" for m in again) == 1 and leaks(again)
