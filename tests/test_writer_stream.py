"""The writer-only path (a model that only writes from the planner's tool results: ADVISOR_TOOL_CALLING=no,
or `local`) shows exactly what the model wrote, once: each streamed token reaches the person one time, in one
paragraph flow, and the saved answer is that same text."""

from __future__ import annotations

from pathlib import Path

from advisor.chat.models import resolve_backend
from advisor.chat.service import ConversationService
from advisor.knowledge import Knowledge
from advisor.settings import load_settings
from tests.conftest import Chat
from tests.scripted_llm import ScriptedLLMServer, scripted_llm_fixture, text  # noqa: F401 - the fixture

WRITTEN = ("Scalable oversight is the essay's first [1], and its author leans to field building as a safer bet [2].\n\n"
           "For a nurse, field building uses what you already do well.")


def test_a_writer_only_model_is_shown_once_and_saved_as_written(scripted_llm: ScriptedLLMServer,
                                                                home_with_index: Path, knowledge: Knowledge) -> None:
    settings = load_settings({"ADVISOR_HOME": str(home_with_index), "OPENAI_BASE_URL": scripted_llm.base_url,
                              "ADVISOR_LLM_RETRIES": "0", "ADVISOR_TOOL_CALLING": "no"})
    backend = resolve_backend("openai-compatible:scripted", settings, knowledge)
    assert backend.planner is not None and backend.model is not None  # the model only writes
    service = ConversationService(knowledge, settings, backend)
    scripted_llm.enqueue(text(WRITTEN))
    shown: list[str] = []
    answer = Chat(service, "writer").ask("I'm a nurse. Why is scalable oversight ranked first?", shown.append)
    assert len(scripted_llm.requests) == 1 and scripted_llm.requests[0]["stream"]
    assert "".join(shown) == WRITTEN  # not "Scalable Scalable oversight oversight" with blank lines between
    assert answer.answer == WRITTEN and not answer.flags
    saved = [m for m in service.store.messages("writer") if m.role == "assistant"]
    assert [m.content for m in saved] == [WRITTEN]
