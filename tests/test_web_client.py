"""The launched web app through the official `gradio_client`, as another program would use it: a multi-turn
conversation, a why-rank question, a reading request, a weight change, the profile, search, resuming, feedback
stored with its turn, readable errors, and the offline fallback when the model endpoint is down."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from advisor.chat.sessions import SessionStore
from tests.web_support import RunningApp, copy_home, free_port, running_app

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def app(indexed_home: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningApp]:
    home = copy_home(indexed_home, tmp_path_factory.mktemp("web-client-home"))
    with running_app(home) as running:
        yield running


def client(app: RunningApp) -> Any:
    from gradio_client import Client

    return Client(app.url, verbose=False)


def answer_text(chat: list[dict[str, Any]]) -> str:
    """The last answer's text, as the chat displays it (without the collapsed tool lines)."""
    answers = [m for m in chat if m["role"] == "assistant" and not (m.get("metadata") or {}).get("title")]
    content = answers[-1]["content"]
    return content if isinstance(content, str) else " ".join(part.get("text", "") for part in content)


def ask(c: Any, message: str, mode: str = "detailed") -> tuple[str, list[dict[str, Any]], str, str, str]:
    box, chat, sources, understood, status = c.predict(message, mode, api_name="/ask")
    return box, chat, sources, understood, status


def test_a_multi_turn_conversation_with_why_rank_and_readings(app: RunningApp) -> None:
    c = client(app)
    *_, note, _ = c.predict(api_name="/new_conversation")
    session = re.search(r"`(web-[A-Za-z0-9_-]+)`", note).group(1)  # type: ignore[union-attr]

    box, chat, sources, understood, status = ask(
        c, "I'm a backend engineer with 6 months of runway and I like interpretability. What should I work on?")
    assert box == ""  # the message box is cleared once the message is taken
    first = answer_text(chat)
    assert re.search(r"href='#src-1-\d+'", first)  # numbered citations link to their sources
    assert "id='src-1-1'" in sources and "adv-source" in sources
    assert "6 months" in understood
    assert "Answered by **offline**" in status and "first words after" in status
    assert any((m.get("metadata") or {}).get("title", "").startswith("Looked up:") for m in chat)

    _, chat, sources, _, _ = ask(c, "Why is scalable oversight ranked first?", "concise")
    why = answer_text(chat)
    assert "Scalable oversight" in why and "#1" in why
    assert "Sources of answer 2 (latest)" in sources and "src-2-1" in sources

    _, chat, _, _, _ = ask(c, "What should I read to get started on scalable oversight?")
    readings = answer_text(chat)
    assert re.search(r"\bmin\b", readings) and "href='#src-3-" in readings
    assert len([m for m in chat if m["role"] == "user"]) == 3  # one conversation, three turns

    stored = SessionStore(app.sessions_db).messages(session)
    assert [m.role for m in stored] == ["user", "assistant"] * 3

    # another client resumes it by its code
    other = client(app)
    chat, sources, *_ = other.predict(session, api_name="/resume")
    assert len([m for m in chat if m["role"] == "user"]) == 3 and "Sources of answer 3" in sources


def test_feedback_is_stored_with_the_turn(app: RunningApp) -> None:
    c = client(app)
    *_, note, _ = c.predict(api_name="/new_conversation")
    session = re.search(r"`(web-[A-Za-z0-9_-]+)`", note).group(1)  # type: ignore[union-attr]
    ask(c, "Why is evaluations ranked where it is?")
    ask(c, "What if automated eval generation works?")
    assert "answer 2" in c.predict(2, "down", "I wanted the numbers", api_name="/feedback")
    answers = [m for m in SessionStore(app.sessions_db).messages(session) if m.role == "assistant"]
    assert "feedback" not in answers[0].meta
    assert answers[1].meta["feedback"]["rating"] == "down"
    assert answers[1].meta["feedback"]["comment"] == "I wanted the numbers"


def test_a_weight_change_redraws_the_chart_and_says_what_moved(app: RunningApp) -> None:
    c = client(app)
    default_chart, default_moves, _, note = c.predict(3, 3, 1.5, 1.5, [], None, api_name="/rank")
    chart, moves, explanation, _ = c.predict(10, 0, 1.5, 1.5, [], "evaluations", api_name="/rank")
    assert note == ""
    *_, zero_note = c.predict(0, 0, 0, 0, [], None, api_name="/rank")  # refused; the chart is left as it was
    assert "Every factor is at 0" in zero_note

    def order(html: str) -> list[str]:
        return re.findall(r"data-field='([\w-]+)'", html)

    assert order(chart) != order(default_chart)
    assert "feedback quality weighs 10 (default 3)" in moves and "and why" in moves
    assert "feedback quality counts more now" in moves  # each field's cause, in words
    assert "Default weights" in default_moves
    assert "Evaluations" in explanation and "Under your what-if" in explanation
    _, scenario_chart, _ = c.predict("evaluations", 3, 3, 1.5, 1.5, ["trusted-eval-generation"],
                                     api_name="/explain")
    assert "▲ was #" in scenario_chart


def test_profile_edits_change_the_recommendations(app: RunningApp) -> None:
    c = client(app)
    blank = c.predict([], [], "", "", None, None, "", False, "not said", 0.5, api_name="/profile")
    edited = c.predict(["mechanistic-interpretability"], [], "python, linear algebra", "physicist", 6, None, "",
                       False, "not said", 0.8, api_name="/profile")
    assert blank[0] != edited[0]
    assert "data-field='mechanistic-interpretability'" in edited[0]
    assert "Ordered 80% on how well each field fits you" in edited[0]


def test_search_finds_essay_passages(app: RunningApp) -> None:
    found = client(app).predict("automated eval generation", "essay", api_name="/search")
    assert "adv-source" in found and "the essay" in found


@pytest.mark.parametrize(("message", "expected"), [
    ("   ", "Type a message first"),
    ("x" * 4001, "Your message is 4,001 characters; I read up to 4,000"),
])
def test_bad_messages_get_a_readable_error(app: RunningApp, message: str, expected: str) -> None:
    from gradio_client.exceptions import AppError

    with pytest.raises(AppError, match=expected) as caught:
        ask(client(app), message)
    assert "Traceback" not in str(caught.value) and "advisor index" not in str(caught.value)


def test_a_dead_model_endpoint_falls_back_offline_behind_a_login(indexed_home: Path,
                                                                 tmp_path_factory: pytest.TempPathFactory) -> None:
    import httpx
    from gradio_client import Client

    home = copy_home(indexed_home, tmp_path_factory.mktemp("web-dead-endpoint"))
    dead = f"http://127.0.0.1:{free_port()}/v1"  # nothing listens there
    with running_app(home, ADVISOR_MODEL="openai-compatible:tiny", OPENAI_BASE_URL=dead, OPENAI_API_KEY="none",
                     ADVISOR_LLM_RETRIES="0", ADVISOR_LLM_TIMEOUT="5", ADVISOR_UI_AUTH="ana:open sesame") as running:
        assert httpx.get(running.url + "config").status_code == 401  # nothing without the login
        with pytest.raises(ValueError):
            Client(running.url, auth=("ana", "wrong"), verbose=False)
        logged_in = Client(running.url, auth=("ana", "open sesame"), verbose=False)
        _, chat, sources, _, status = ask(logged_in, "Why is scalable oversight ranked first?")
    shown = " ".join(str(m["content"]) for m in chat)
    assert "⚠️" in shown  # the notice is in the conversation
    assert "Scalable oversight" in answer_text(chat) and "src-1-1" in sources
    assert "offline (fallback)" in status
