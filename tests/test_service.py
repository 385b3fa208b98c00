"""The conversation service as every interface uses it: typed events in order, grounding before display on
every backend, bad tool arguments that still end in an answer, one service shared by threads, one retriever
per process, an offline model that reads the conversation it is given, and settings errors that name the
variable."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from advisor.chat.events import AnswerText, Sources, ToolCalled, ToolFinished, TurnFinished, TurnStarted
from advisor.chat.models import resolve_backend
from advisor.chat.service import ConversationService, settle
from advisor.knowledge import Knowledge
from advisor.search.index import ChunkIndex
from advisor.search.retrieve import Retriever
from advisor.settings import Settings, load_settings
from tests.scripted_llm import ScriptedLLMServer, scripted_llm_fixture, text, tool_calls  # noqa: F401

RunCli = Callable[..., tuple[int, str, str]]
INVENTED = "The essay ranks mech interp #2 on its list. Scalable oversight comes first [1]. See also [9]."


@pytest.fixture
def settings(home_with_index: Path) -> Settings:
    return load_settings({"ADVISOR_HOME": str(home_with_index)})


def llm_env(server: ScriptedLLMServer, home: Path) -> dict[str, str]:
    return {"ADVISOR_HOME": str(home), "OPENAI_BASE_URL": server.base_url, "ADVISOR_LLM_RETRIES": "0",
            "ADVISOR_LLM_TIMEOUT": "10", "ADVISOR_MODEL": "openai-compatible:scripted"}


def test_a_turn_is_a_stream_of_typed_events(settings: Settings, knowledge: Knowledge) -> None:
    service = ConversationService(knowledge, settings, resolve_backend("offline", settings, knowledge))
    events = list(service.ask("ev", "Why is evals ranked where it is?", "concise"))
    kinds = [e.type for e in events]
    assert isinstance(events[0], TurnStarted) and isinstance(events[-1], TurnFinished)
    assert kinds.index("tool_called") < kinds.index("tool_finished") < kinds.index("answer_text") < kinds.index(
        "sources")
    called = next(e for e in events if isinstance(e, ToolCalled) and e.name == "explain_field")
    assert called.args["field"] == "evaluations"
    finished = next(e for e in events if isinstance(e, ToolFinished) and e.name == "explain_field")
    assert finished.passages and any(p.passage_id.startswith("essay-") for p in finished.passages)
    shown = "".join(e.text for e in events if isinstance(e, AnswerText))
    answer = events[-1].answer
    assert shown.strip() == answer.answer  # the answer holds exactly what was displayed
    assert next(e for e in events if isinstance(e, Sources)).citations == answer.citations
    saved = service.store.messages("ev")
    assert saved[-1].content == answer.answer and saved[-1].meta["intent"] == "why_rank"
    assert json.loads(answer.model_dump_json())["mode"] == "concise"


@pytest.mark.parametrize("how", ["streamed", "json", "chat"])
def test_an_invented_rank_or_citation_is_never_printed(how: str, scripted_llm: ScriptedLLMServer,
                                                       home_with_index: Path) -> None:
    """Through the real CLI, with an LLM that invents an essay rank and a citation number."""
    scripted_llm.enqueue(tool_calls([("explain_field", {"field": "scalable oversight"})]), text(INVENTED))
    exe = str(Path(sys.executable).with_name("advisor"))
    env = {**os.environ, **llm_env(scripted_llm, home_with_index)}
    if how == "chat":
        run = subprocess.run([exe, "chat"], input="Where does mech interp rank?\n/quit\n", capture_output=True,
                             text=True, env=env, timeout=120)
    else:
        run = subprocess.run([exe, "ask", "Where does mech interp rank?", *(["--json"] if how == "json" else [])],
                             capture_output=True, text=True, env=env, timeout=120)
    assert run.returncode == 0, run.stderr
    shown = json.loads(run.stdout)["answer"] if how == "json" else run.stdout
    assert "Scalable oversight comes first [1]" in shown
    assert "ranks mech interp #2" not in shown  # removed before display, not after
    answer_part = shown.split("  ! ")[0]  # the CLI prints flags after the answer, each after "  ! "
    assert "[9]" not in answer_part and "See also." in answer_part
    if how != "json":
        assert "Removed a claim the essay does not make" in run.stdout  # flagged, after the answer


def test_a_bad_tool_argument_goes_back_to_the_model_and_the_turn_still_answers(
    scripted_llm: ScriptedLLMServer, home_with_index: Path, knowledge: Knowledge
) -> None:
    scripted_llm.enqueue(tool_calls([("explain_field", {"field": "quantum safety"})]),
                         tool_calls([("explain_field", {"field": "evals"})]),
                         text("Evals is in the safer half by our model's estimate [1]."))
    settings = load_settings(llm_env(scripted_llm, home_with_index))
    service = ConversationService(knowledge, settings, resolve_backend(None, settings, knowledge))
    events = list(service.ask("bad-tool", "why are quantum safety and evals ranked there?"))
    errors = [e for e in events if isinstance(e, ToolFinished) and e.error]
    assert errors and "Unknown field 'quantum safety'" in errors[0].error
    reply = next(m for m in scripted_llm.requests[1]["messages"] if m["role"] == "tool")
    assert "Unknown field 'quantum safety'" in reply["content"] and "Did you mean" in reply["content"]
    answer = events[-1].answer
    assert answer.answer.startswith("Evals is in the safer half") and answer.backend.startswith("openai-compatible")


def test_two_indexes_open_in_one_process_and_closing_one_leaves_the_other(tmp_path: Path, indexed_home: Path,
                                                                          knowledge: Knowledge) -> None:
    import shutil

    shutil.copytree(indexed_home, tmp_path / "a")
    shutil.copytree(indexed_home, tmp_path / "b")
    a, b = (load_settings({"ADVISOR_HOME": str(tmp_path / name)}) for name in ("a", "b"))
    first, same, other = (Retriever(ChunkIndex(s), knowledge) for s in (a, a, b))
    for r in (first, same, other):
        assert r.search("scalable oversight first", k=1)
    first.index.close()
    for r in (same, other):  # failed with "Error creating hnsw segment reader" after a process-wide reset
        hits = r.search("which fields are safer bets", k=2)
        assert hits and hits[0].text
    assert Retriever(ChunkIndex(a), knowledge).search("field building", k=1)


def test_one_service_serves_many_sessions_from_many_threads(settings: Settings, knowledge: Knowledge) -> None:
    service = ConversationService(knowledge, settings, resolve_backend("offline", settings, knowledge))
    people = {f"p{i}": msg for i, msg in enumerate([
        "I'm a lawyer who likes governance. What should I do?",
        "I'm a statistician and I love forecasting. Which field fits me?",
        "What does the essay's author say about ML4Good?",
        "Why is scalable oversight ranked first?",
    ] * 2)}
    answers: dict[str, object] = {}
    errors: list[BaseException] = []

    def talk(session: str, message: str) -> None:
        try:
            answers[session] = service.answer(session, message)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=talk, args=item) for item in people.items()]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors
    for session, message in people.items():
        saved = service.store.messages(session)
        assert [m.role for m in saved] == ["user", "assistant"] and saved[0].content == message
        assert saved[1].content == answers[session].answer  # type: ignore[attr-defined]
    assert len({id(service.retriever()) for _ in range(3)}) == 1


def test_the_offline_model_reads_the_conversation_it_is_given(settings: Settings, knowledge: Knowledge) -> None:
    """No session, no system state: the profile and the focus come from the messages themselves."""
    service = ConversationService(knowledge, settings, resolve_backend("offline", settings, knowledge))
    first = "I'm a statistician and I love forecasting. What should I work on?"
    reply = service.answer("ctx", first)
    answer = settle(service.stateless([("user", first), ("assistant", reply.answer),
                                       ("user", "What should I read first for it?")]))
    assert answer.intent == "readings" and answer.session is None
    assert answer.citations and {c.kind for c in answer.citations} == {"reading"}
    assert "statistician" in " ".join(answer.profile["background"]).lower() or answer.profile["skills"]
    # What the caller last said sets the focus: "why is it ranked there?" is about the field it named.
    why = settle(service.stateless([("user", "hi"), ("assistant", "Scalable oversight is the essay's #1."),
                                    ("user", "why is it ranked there?")]))
    assert why.intent == "why_rank" and why.answer.lower().startswith("scalable oversight"), why.answer[:200]


def test_settings_errors_name_the_variable(run_cli: RunCli, monkeypatch: pytest.MonkeyPatch) -> None:
    for var, value in [("CHROMA_PORT", "abc"), ("ADVISOR_LLM_TIMEOUT", "soon"), ("ADVISOR_TOOL_CALLING", "maybe")]:
        monkeypatch.setenv(var, value)
        code, _, err = run_cli("ask", "hello")
        assert code == 2 and f"{var}={value!r}" in err and "Traceback" not in err
        assert len(err.strip().splitlines()) == 1
        monkeypatch.delenv(var)


def test_a_bad_secret_setting_is_named_but_not_shown(run_cli: RunCli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ADVISOR_UI_AUTH", "hunter2-without-a-colon")
    code, out, err = run_cli("ask", "hello")
    assert code == 2 and "ADVISOR_UI_AUTH" in err and "hunter2" not in out + err


def test_what_a_search_found_is_said_in_plain_words_with_one_and_many() -> None:
    """The web page's "Looked up: …" line: "1 passage from your documents", never "1 user's own document, not the
    essay" (the words the model's quotes carry)."""
    from types import SimpleNamespace

    from advisor.chat.tools import Found, ToolResult, _summary

    hits = [SimpleNamespace(kind=k) for k in ("essay", "essay", "user", "field")]
    summary = _summary(ToolResult("search_knowledge", "", Found(hits)))  # type: ignore[arg-type]
    assert summary == "2 essay passages, 1 passage from your documents, 1 field card passage"
