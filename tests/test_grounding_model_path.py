"""On the model path, an invented essay rank never reaches the user or the store: a model served over real HTTP
(the scripted OpenAI-compatible server) answers with an invented ranked list, and what is shown, streamed and
saved holds none of it, with a flag saying it was removed."""

from __future__ import annotations

from pathlib import Path

import pytest

from advisor.chat.events import AnswerText
from advisor.chat.models import resolve_backend
from advisor.knowledge import Knowledge
from advisor.settings import Settings, load_settings
from tests.conftest import Chat
from tests.scripted_llm import (
    ScriptedLLMServer,
    scripted_llm_fixture,  # noqa: F401 - provides the `scripted_llm` fixture
    text,
)

REMOVED = "the essay does not make"


@pytest.fixture
def settings(home_with_index: Path) -> Settings:
    return load_settings({"ADVISOR_HOME": str(home_with_index)})


def advisor_for(server: ScriptedLLMServer, settings: Settings, knowledge: Knowledge) -> Chat:
    from advisor.chat.service import ConversationService

    environment = {"ADVISOR_HOME": str(settings.home), "OPENAI_BASE_URL": server.base_url,
                   "ADVISOR_LLM_RETRIES": "0", "ADVISOR_LLM_TIMEOUT": "10"}
    llm_settings = load_settings(environment)
    backend = resolve_backend("openai-compatible:scripted", llm_settings, knowledge)
    return Chat(ConversationService(knowledge, llm_settings, backend), "ranks")


def ask(chat: Chat, message: str) -> tuple[str, str, list[str], str]:
    """(shown answer, streamed text, flags, saved answer) of one turn."""
    streamed: list[str] = []
    answer = chat.ask(message, streamed.append)
    assert "".join(streamed) == "".join(e.text for e in chat.events if isinstance(e, AnswerText))
    saved = [m for m in chat.service.store.messages(chat.session) if m.role == "assistant"][-1]
    return answer.answer, "".join(streamed), answer.flags, saved.content


@pytest.mark.parametrize("invented", [
    # the issue's own example, inline
    "The essay's ranked list is: 1. Scalable oversight 2. Mechanistic interpretability 3. Evals",
    # a list over several lines, introduced as the author's
    "Here is the author's ranking:\n\n1. Scalable oversight\n2. Mechanistic interpretability\n3. Evals\n",
    # the attribution in the sentence before, a Cyrillic letter in "essay", a zero-width space in "second"
    "According to the \u0435ssay, scalable oversight will be automated first. Evals will be automated sec\u200bond.",
])
def test_an_invented_essay_rank_list_is_never_shown_or_saved(
    invented: str, scripted_llm: ScriptedLLMServer, settings: Settings, knowledge: Knowledge
) -> None:
    scripted_llm.enqueue(text(f"Good question. {invented}\n\nOur model puts evals in the safer half."))
    shown, streamed, flags, saved = ask(advisor_for(scripted_llm, settings, knowledge),
                                        "How does the essay rank the fields?")
    for what in (shown, streamed, saved):
        low = what.lower()
        assert "good question." in low and "our model puts evals in the safer half." in low
        assert "mechanistic interpretability" not in low and "2." not in what and "sec" not in low, what
    assert any(REMOVED in flag for flag in flags)
    saved_flags = [m for m in advisor_for(scripted_llm, settings, knowledge).service.store.messages("ranks")
                   if m.role == "assistant"][-1].meta["flags"]
    assert any(REMOVED in flag for flag in saved_flags)


def test_an_honest_answer_passes_unflagged(scripted_llm: ScriptedLLMServer, settings: Settings,
                                           knowledge: Knowledge) -> None:
    honest = ("The essay's #1 is scalable oversight; the rest of its list was lost, so the essay does not give "
              "mechanistic interpretability's position. Our model (not the essay) puts it #3 of 16.\n\n"
              "I recommend two fields for you:\n1. Evals\n2. Technical AI governance\n")
    scripted_llm.enqueue(text(honest))
    shown, streamed, flags, saved = ask(advisor_for(scripted_llm, settings, knowledge),
                                        "Where does the essay put mech interp?")
    assert shown == saved == honest.strip() and streamed.strip() == honest.strip()
    assert not any(REMOVED in flag for flag in flags)
