"""The HTTP API as standard clients use it: the official `openai` package (sync, async, streaming) and
LangChain's `ChatOpenAI` against a real uvicorn server on 127.0.0.1, offline backend; multi-turn from the
client's own history and from a session id."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest

from advisor.knowledge import Knowledge
from tests.api_server import api_settings, offline_app, serving

ABOUT_ME = "I'm a backend engineer with 6 months of runway and I like interpretability. What should I work on?"


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory, indexed_home: Path, knowledge: Knowledge) -> Iterator[Any]:
    settings = api_settings(tmp_path_factory.mktemp("api-home"), indexed_home)
    app = offline_app(settings, knowledge)
    with serving(app) as base:
        app.state.base = base
        yield app


@pytest.fixture
def client(api: Any) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{api.state.base}/v1", api_key="not-needed", max_retries=0, timeout=30)


def advisor_extra(obj: Any) -> dict[str, Any]:
    extra = obj.model_extra or {}
    assert "advisor" in extra, "the completion carries the structured answer under `advisor`"
    return dict(extra["advisor"])


def test_health_and_models(api: Any, client: openai.OpenAI) -> None:
    assert httpx.get(f"{api.state.base}/healthz").json() == {"status": "ok"}
    assert [m.id for m in client.models.list()] == ["advisor-offline"]
    assert client.models.retrieve("advisor-offline").id == "advisor-offline"


def test_a_completion_is_the_grounded_answer_with_numbered_sources(client: openai.OpenAI) -> None:
    completion = client.chat.completions.create(
        model="advisor-offline", messages=[{"role": "user", "content": "Why is scalable oversight ranked first?"}])
    content = completion.choices[0].message.content or ""
    extra = advisor_extra(completion)
    assert completion.model == "advisor-offline" and completion.choices[0].finish_reason == "stop"
    assert content.startswith(extra["answer"]) and "scalable oversight" in extra["answer"].lower()
    cited = {int(n) for n in re.findall(r"\[(\d+)\]", extra["answer"])}
    assert cited and cited <= {c["n"] for c in extra["citations"]}
    answer_part, _, sources = content.partition("\n\nSources:\n")
    for c in extra["citations"]:
        assert f"- [{c['n']}] " in sources and c["source"] in sources
    assert answer_part == extra["answer"]
    assert extra["intent"] == "why_rank" and extra["backend"] == "offline" and extra["session"] is None
    assert extra["views"] is None  # only an answer that drew on the views matrix carries it
    assert len(extra["followups"]) >= 2 and extra["flags"] == []


def test_streaming_shows_the_same_answer_piece_by_piece(client: openai.OpenAI) -> None:
    messages: Any = [{"role": "user", "content": ABOUT_ME}]
    whole = client.chat.completions.create(model="advisor-offline", messages=messages)
    chunks = list(client.chat.completions.create(model="advisor-offline", messages=messages, stream=True))
    pieces = [c.choices[0].delta.content for c in chunks if c.choices and c.choices[0].delta.content]
    assert len(pieces) > 3, "the answer arrives in pieces, not at once"
    assert "".join(pieces).strip() == whole.choices[0].message.content
    assert chunks[0].choices[0].delta.role == "assistant"
    last = chunks[-1]
    assert last.choices[0].finish_reason == "stop"
    assert [bool((c.model_extra or {}).get("advisor")) for c in chunks].count(True) == 1
    extra = advisor_extra(last)
    assert extra["recommendations"] and extra == advisor_extra(whole)
    assert len({c.id for c in chunks}) == 1


def test_the_async_client_streams_and_answers_in_parallel(api: Any) -> None:
    async def run() -> tuple[list[str], str]:
        client = openai.AsyncOpenAI(base_url=f"{api.state.base}/v1", api_key="x", max_retries=0, timeout=60)
        questions = ["Why is evals ranked where it is?", "What should I read on mech interp?",
                     "Compare evals and technical governance.", "What if automated eval generation works?"]
        answers = await asyncio.gather(*(client.chat.completions.create(
            model="advisor-offline", messages=[{"role": "user", "content": q}]) for q in questions))
        stream = await client.chat.completions.create(
            model="advisor-offline", messages=[{"role": "user", "content": questions[0]}], stream=True)
        text = "".join([c.choices[0].delta.content or "" async for c in stream if c.choices])
        await client.close()
        return [a.choices[0].message.content or "" for a in answers], text

    answers, streamed = asyncio.run(run())
    assert all(a for a in answers) and len(set(answers)) == 4
    assert streamed.strip() == answers[0]


def test_a_conversation_from_the_clients_own_history(client: openai.OpenAI) -> None:
    first = client.chat.completions.create(model="advisor-offline", messages=[{"role": "user", "content": ABOUT_ME}])
    history: Any = [{"role": "system", "content": "You are a helpful assistant."},
                    {"role": "user", "content": ABOUT_ME},
                    {"role": "assistant", "content": first.choices[0].message.content},
                    {"role": "user", "content": "What should I read first?"}]
    second = client.chat.completions.create(model="advisor-offline", messages=history)
    profile = advisor_extra(second)["profile"]
    assert "mechanistic-interpretability" in profile["interests"]
    assert profile["constraints"]["runway_months"] == 6
    assert advisor_extra(second)["intent"] == "readings"
    alone = client.chat.completions.create(model="advisor-offline", messages=history[-1:])
    assert advisor_extra(alone)["profile"]["interests"] == []  # nothing is remembered without history or session


@pytest.mark.parametrize("how", ["header", "user"])
def test_a_session_id_keeps_the_profile_across_calls(api: Any, client: openai.OpenAI, how: str) -> None:
    session = f"api-{how}"

    def ask(text: str) -> Any:
        if how == "header":
            return client.chat.completions.create(model="advisor-offline", messages=[{"role": "user", "content": text}],
                                                  extra_headers={"X-Advisor-Session": session})
        return client.chat.completions.create(model="advisor-offline", messages=[{"role": "user", "content": text}],
                                              user=session)

    first = advisor_extra(ask(ABOUT_ME))
    later = advisor_extra(ask("What should I read first?"))
    # a header names the session; a `user` id becomes a keyed hash of it (knowing the id reaches nothing)
    assert later["session"] == first["session"] == session if how == "header" else later["session"] != session
    assert later["session"] == first["session"]
    assert "mechanistic-interpretability" in later["profile"]["interests"]
    store = api.state.models["advisor-offline"].store
    assert [m.role for m in store.messages(later["session"])] == ["user", "assistant", "user", "assistant"]


def test_a_user_id_that_is_no_session_name_still_keeps_a_session(api: Any, client: openai.OpenAI) -> None:
    for text in (ABOUT_ME, "What should I read first?"):
        completion = client.chat.completions.create(model="advisor-offline", user="ada@example.org",
                                                    messages=[{"role": "user", "content": text}])
    extra = advisor_extra(completion)
    assert extra["session"] and extra["session"].startswith("user-") and "@" not in extra["session"]
    assert extra["profile"]["constraints"]["runway_months"] == 6


def test_answer_mode_from_the_request(client: openai.OpenAI) -> None:
    messages: Any = [{"role": "user", "content": "Why is evals ranked where it is?"}]
    concise = client.chat.completions.create(model="advisor-offline", messages=messages, extra_body={"mode": "concise"})
    detailed = client.chat.completions.create(model="advisor-offline", messages=messages)
    assert advisor_extra(concise)["mode"] == "concise" and advisor_extra(detailed)["mode"] == "detailed"
    assert len(advisor_extra(concise)["answer"]) < len(advisor_extra(detailed)["answer"])


def test_langchain_chat_openai_holds_a_conversation(api: Any) -> None:
    from langchain_core.messages import AIMessage, HumanMessage
    from langchain_openai import ChatOpenAI

    chat = ChatOpenAI(model="advisor-offline", base_url=f"{api.state.base}/v1", api_key="x",  # type: ignore[arg-type]
                      max_retries=0, timeout=30)
    first = chat.invoke([HumanMessage(ABOUT_ME)])
    assert isinstance(first, AIMessage) and "[1]" in str(first.content)
    follow = [HumanMessage(ABOUT_ME), first, HumanMessage("What should I read first?")]
    streamed = "".join(str(chunk.content) for chunk in chat.stream(follow))
    whole = chat.invoke(follow)
    assert streamed.strip() == str(whole.content)
    assert "reading plan" in streamed.lower()


def test_the_source_list_is_taken_off_assistant_messages_sent_back(client: openai.OpenAI) -> None:
    from advisor.interfaces.api.turns import strip_sources

    completion = client.chat.completions.create(
        model="advisor-offline", messages=[{"role": "user", "content": "Why is evals ranked where it is?"}])
    content = completion.choices[0].message.content or ""
    assert "\n\nSources:\n- [1] " in content
    assert strip_sources(content) == advisor_extra(completion)["answer"]
    assert strip_sources("Sources:\nnot ours") == "Sources:\nnot ours"


def test_a_turn_whose_client_went_away_is_still_saved(api: Any) -> None:
    import time

    body = {"model": "advisor-offline", "stream": True, "messages": [{"role": "user", "content": ABOUT_ME}]}
    with httpx.stream("POST", f"{api.state.base}/v1/chat/completions", json=body,
                      headers={"X-Advisor-Session": "gone"}, timeout=30) as response:
        assert next(response.iter_lines()).startswith("data: ")  # the first chunk, then the client hangs up
    store = api.state.models["advisor-offline"].store
    deadline = time.monotonic() + 20
    while [m.role for m in store.messages("gone")] != ["user", "assistant"]:
        assert time.monotonic() < deadline, "the answer was not saved"
        time.sleep(0.1)
    assert "mechanistic-interpretability" in store.profile("gone").interests


def test_what_others_say_carries_the_fields_row_of_the_views_matrix(client: openai.OpenAI) -> None:
    completion = client.chat.completions.create(
        model="advisor-offline", messages=[{"role": "user", "content": "What do other people think about evals?"}])
    views = advisor_extra(completion)["views"]
    assert views["id"] == "evaluations" and len(views["cells"]) >= 5
    assert set(views["agreement"]) == {"agree", "disagree", "no_order", "silent"}
    assert sum(views["agreement"].values()) == len(views["cells"])
