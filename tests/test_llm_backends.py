"""LLM backends over real HTTP: tool calling, streaming, grounding and faults, through the real `openai` and
`langchain-openai` clients against a scripted OpenAI-compatible server on 127.0.0.1."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from advisor.chat.models import BackendError, resolve_backend
from advisor.chat.sessions import SessionStore
from advisor.knowledge import Knowledge
from advisor.knowledge.ranking import rank_fields
from advisor.settings import Settings, load_settings
from tests.conftest import Chat
from tests.scripted_llm import (
    ScriptedLLMServer,
    delay,
    error,
    raw_tool_call,
    scripted_llm_fixture,  # noqa: F401 - provides the `scripted_llm` fixture
    text,
    tool_calls,
)

RunCli = Callable[..., tuple[int, str, str]]


@pytest.fixture
def settings(home_with_index: Path) -> Settings:
    return load_settings({"ADVISOR_HOME": str(home_with_index)})


def advisor_for(server: ScriptedLLMServer, settings: Settings, knowledge: Knowledge, **env: str) -> Chat:
    from advisor.chat.service import ConversationService

    environment = {"ADVISOR_HOME": str(settings.home), "OPENAI_BASE_URL": server.base_url,
                   "ADVISOR_LLM_RETRIES": "0", "ADVISOR_LLM_TIMEOUT": "10", **env}
    llm_settings = load_settings(environment)
    backend = resolve_backend("openai-compatible:scripted", llm_settings, knowledge)
    return Chat(ConversationService(knowledge, llm_settings, backend), "llm")


def test_a_capable_model_plans_with_tool_calls(scripted_llm: ScriptedLLMServer, settings: Settings,
                                               knowledge: Knowledge) -> None:
    scripted_llm.enqueue(
        tool_calls([("explain_field", {"field": "evals"})]),
        text("Evals sits in the safer half by our model's estimate [1]; the author leans to evals [2]. See [9]."),
    )
    tokens: list[str] = []
    answer = advisor_for(scripted_llm, settings, knowledge).ask("Why are evals ranked there?", tokens.append)
    assert answer.backend == f"openai-compatible:scripted at {scripted_llm.base_url}"
    first, second = scripted_llm.requests
    assert {t["function"]["name"] for t in first["tools"]} >= {"explain_field", "recommend_fields", "rank_fields"}
    assert first["max_tokens"] == 900  # llama.cpp's server ignores max_completion_tokens
    assert "scalable oversight" in first["messages"][0]["content"]  # the system prompt's grounding rules
    tool_result = next(m for m in second["messages"] if m["role"] == "tool")
    evals = rank_fields(knowledge).get("evaluations")
    assert f"Evaluations & dangerous-capability evals: #{evals.rank} of" in tool_result["content"]
    assert "[9]" not in answer.answer and any("[9]" in f for f in answer.flags)
    assert {c.n for c in answer.citations} == {1, 2}
    assert next(c for c in answer.citations if c.n == 1).passage_id == "field:evaluations#factors"
    assert "".join(tokens).startswith("Evals sits in the safer half")


def test_an_invented_essay_rank_is_removed(scripted_llm: ScriptedLLMServer, settings: Settings,
                                           knowledge: Knowledge) -> None:
    scripted_llm.enqueue(text("The essay ranks mech interp #2. Scalable oversight is first in the essay."))
    answer = advisor_for(scripted_llm, settings, knowledge).ask("Where does mech interp rank?")
    assert "#2" not in answer.answer and "Scalable oversight is first" in answer.answer
    assert any("essay does not make" in f for f in answer.flags)


def test_streamed_tool_calls_and_text(scripted_llm: ScriptedLLMServer, settings: Settings,
                                      knowledge: Knowledge) -> None:
    scripted_llm.enqueue(tool_calls([("recommend_readings", {"fields": ["mech interp"], "level": "intro"})]),
                         text("Start with Zoom In [1]."))
    tokens: list[str] = []
    answer = advisor_for(scripted_llm, settings, knowledge).ask("What should I read on mech interp?",
                                                                 tokens.append)
    assert all(r.get("stream") for r in scripted_llm.requests)
    assert tokens and "".join(tokens) == "Start with Zoom In [1]."
    assert answer.citations[0].source == "https://distill.pub/2020/circuits/zoom-in/"


def test_retries_a_500_then_answers(scripted_llm: ScriptedLLMServer, settings: Settings,
                                    knowledge: Knowledge) -> None:
    scripted_llm.enqueue(error(500, "boom"), text("Recovered."))
    answer = advisor_for(scripted_llm, settings, knowledge, ADVISOR_LLM_RETRIES="1").ask("hello there, advisor")
    assert answer.answer == "Recovered." and len(scripted_llm.requests) == 2 and not answer.flags


@pytest.mark.parametrize("fault", ["429", "500", "timeout", "dead"])
def test_faults_fall_back_to_an_offline_answer_and_keep_the_message(
    fault: str, scripted_llm: ScriptedLLMServer, settings: Settings, knowledge: Knowledge
) -> None:
    env = {"ADVISOR_LLM_RETRIES": "1", "ADVISOR_LLM_TIMEOUT": "0.5"}
    if fault == "429":
        scripted_llm.enqueue(error(429, "slow down", retry_after=0.01), error(429, "slow down", retry_after=0.01))
    elif fault == "500":
        scripted_llm.enqueue(error(500, "down"), error(503, "down"))
    elif fault == "timeout":
        scripted_llm.enqueue(delay(2), delay(2))
    advisor = advisor_for(scripted_llm, settings, knowledge, **env)
    if fault == "dead":
        scripted_llm.stop()
    answer = advisor.ask("Why is scalable oversight ranked first?")
    assert answer.backend == "offline (fallback)"
    assert "did not answer" in answer.flags[0] and "your message is saved" in answer.flags[0]
    assert f"#1 of {len(knowledge.fields)}" in answer.answer and answer.citations
    if fault != "dead":
        assert len(scripted_llm.requests) == 2  # one try, one retry with back-off
    saved = SessionStore(settings.sessions_db).messages("llm")
    assert [m.role for m in saved] == ["user", "assistant"]
    assert saved[0].content == "Why is scalable oversight ranked first?"


def test_malformed_tool_arguments_go_back_to_the_model_as_an_error(
    scripted_llm: ScriptedLLMServer, settings: Settings, knowledge: Knowledge
) -> None:
    scripted_llm.enqueue(raw_tool_call("explain_field", 'field=evals, not JSON'),
                         tool_calls([("explain_field", {"field": "evals"})]),
                         text("Evals: our model's #9 [1]."))
    answer = advisor_for(scripted_llm, settings, knowledge).ask("Why are evals ranked there?")
    assert len(scripted_llm.requests) == 3
    error_reply = next(m for m in scripted_llm.requests[1]["messages"] if m["role"] == "tool")
    assert "error" in error_reply["content"].lower()
    assert answer.answer == "Evals: our model's #9 [1]." and answer.citations


def test_a_model_that_answers_nothing_gets_an_offline_answer(
    scripted_llm: ScriptedLLMServer, settings: Settings, knowledge: Knowledge
) -> None:
    scripted_llm.enqueue(text(""))
    answer = advisor_for(scripted_llm, settings, knowledge).ask("Why are evals ranked there?")
    assert answer.backend == "offline (fallback)" and "empty answer" in answer.flags[0]
    evals = rank_fields(knowledge).get("evaluations")
    assert f"#{evals.rank} of {len(knowledge.fields)}" in answer.answer


def test_a_small_model_only_writes_from_the_planner_results(scripted_llm: ScriptedLLMServer, settings: Settings,
                                                            knowledge: Knowledge) -> None:
    scripted_llm.enqueue(text("Scalable oversight is first [1], as the essay says [2]."))
    answer = advisor_for(scripted_llm, settings, knowledge, ADVISOR_TOOL_CALLING="no").ask(
        "Why is scalable oversight ranked first?")
    (request,) = scripted_llm.requests
    assert "tools" not in request
    prompt = request["messages"][0]["content"]
    assert "Tool results:" in prompt and "Draft answer" in prompt and "essay-22" not in prompt
    assert answer.citations and answer.backend.startswith("openai-compatible:scripted")


def test_missing_configuration_says_what_to_set(run_cli: RunCli, home_with_index: Path, knowledge: Knowledge) -> None:
    bare = load_settings({})
    with pytest.raises(BackendError, match="OPENAI_API_KEY"):
        resolve_backend("openai:gpt-4o-mini", bare, knowledge)
    with pytest.raises(BackendError, match="OPENAI_BASE_URL"):
        resolve_backend("openai-compatible:llama", bare, knowledge)
    with pytest.raises(BackendError, match="Unknown model"):
        resolve_backend("claude", bare, knowledge)
    assert resolve_backend(None, bare, knowledge).name == "offline"
    assert resolve_backend(None, load_settings({"OPENAI_API_KEY": "sk-test"}), knowledge).name == "openai:gpt-4o-mini"
    code, _, err = run_cli("ask", "hello", "--model", "openai:gpt-4o-mini")
    assert code == 2 and "OPENAI_API_KEY" in err


def test_the_cli_shows_the_backend_in_use(scripted_llm: ScriptedLLMServer, run_cli: RunCli,
                                          monkeypatch: pytest.MonkeyPatch, home_with_index: Path) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", scripted_llm.base_url)
    scripted_llm.enqueue(text("Hello from the model."))
    code, out, _ = run_cli("ask", "hello", "--model", "openai-compatible:scripted", "--json")
    assert code == 0
    data = json.loads(out)
    assert data["backend"].startswith("openai-compatible:scripted") and data["answer"] == "Hello from the model."


def test_long_histories_are_trimmed_and_summarised(scripted_llm: ScriptedLLMServer, settings: Settings,
                                                   knowledge: Knowledge) -> None:
    from advisor.chat.service import HISTORY_MESSAGES

    store = SessionStore(settings.sessions_db)
    for i in range(HISTORY_MESSAGES // 2 + 4):  # more than the model is sent: the oldest are summarised
        store.append("llm", "user", f"old question number {i} about quokkas")
        store.append("llm", "assistant", f"old answer {i}")
    scripted_llm.enqueue(text("Fine."))
    advisor_for(scripted_llm, settings, knowledge).ask("And now?")
    (request,) = scripted_llm.requests
    system, *rest = request["messages"]
    assert len(rest) == HISTORY_MESSAGES + 1  # the last messages and the new one
    assert "Earlier in this conversation" in system["content"] and "old question number 0" in system["content"]
    assert rest[-1] == {"role": "user", "content": "And now?"}
