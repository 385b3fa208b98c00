"""Unlucky model endpoints: a hung one, one that drips tokens, a stream cut mid-answer, a model that never
stops calling tools, a dropped connection. Each ends in an offline answer within the turn's deadline, with a
visible notice, nothing of the broken answer kept, and the user's message saved."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from advisor.chat.events import AnswerText, Notice
from advisor.chat.models import resolve_backend
from advisor.chat.service import ConversationService
from advisor.knowledge import Knowledge
from advisor.settings import load_settings
from tests.scripted_llm import (
    ScriptedLLMServer,
    cut,
    delay,
    disconnect,
    drip,
    scripted_llm_fixture,  # noqa: F401 - provides the `scripted_llm` fixture
    text,
    tool_calls,
)

QUESTION = "Why is scalable oversight ranked first?"


def service_for(server: ScriptedLLMServer, home: Path, knowledge: Knowledge, deadline: float) -> ConversationService:
    settings = load_settings({"ADVISOR_HOME": str(home), "OPENAI_BASE_URL": server.base_url, "ADVISOR_LLM_RETRIES": "0",
                              "ADVISOR_LLM_TIMEOUT": "60", "ADVISOR_TURN_DEADLINE": str(deadline)})
    return ConversationService(knowledge, settings, resolve_backend("openai-compatible:scripted", settings, knowledge))


@pytest.mark.parametrize("fault", ["hang", "drip", "cut", "endless tools", "dropped"])
def test_a_broken_endpoint_ends_in_an_offline_answer_on_time(fault: str, scripted_llm: ScriptedLLMServer,
                                                             home_with_index: Path, knowledge: Knowledge) -> None:
    words = " ".join(f"drip{i}" for i in range(200)) + "."
    script = {"hang": [delay(30)], "drip": [drip(words, 0.2)], "cut": [cut("Scalable oversight is first. And then")],
              "endless tools": [], "dropped": [disconnect()]}[fault]
    if fault == "endless tools":
        scripted_llm.default = tool_calls([("rank_fields", {})])
    scripted_llm.enqueue(*script)
    service = service_for(scripted_llm, home_with_index, knowledge, deadline=3)
    started = time.monotonic()
    events = list(service.ask("faulty", QUESTION))
    took = time.monotonic() - started
    answer = events[-1].answer
    assert answer.backend == "offline (fallback)" and took < 3 + 8  # the deadline, then the offline answer
    notices = [e for e in events if isinstance(e, Notice)]
    assert notices and "did not answer" in notices[0].text and "your message is saved" in notices[0].text
    shown_before = "".join(e.text for e in events[: events.index(notices[0])] if isinstance(e, AnswerText))
    assert notices[0].retract == bool(shown_before)
    assert "drip1" not in answer.answer and "And then" not in answer.answer
    assert f"#1 of {len(knowledge.fields)}" in answer.answer
    saved = service.store.messages("faulty")
    assert [m.role for m in saved] == ["user", "assistant"] and saved[1].content == answer.answer
    if fault in ("hang", "drip"):
        assert "ADVISOR_TURN_DEADLINE" in notices[0].text


def test_a_healthy_model_is_not_cut_by_the_deadline(scripted_llm: ScriptedLLMServer, home_with_index: Path,
                                                   knowledge: Knowledge) -> None:
    scripted_llm.enqueue(delay(0.5, text("Scalable oversight comes first.")))
    answer = service_for(scripted_llm, home_with_index, knowledge, deadline=5).answer("ok", QUESTION)
    assert answer.answer == "Scalable oversight comes first." and answer.backend.startswith("openai-compatible")
