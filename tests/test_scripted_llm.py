"""The scripted OpenAI-compatible server answers the real `openai` and `langchain-openai` clients over HTTP
the way an OpenAI endpoint would: text, tool calls, streaming, errors, retries and timeouts."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Sequence
from typing import Any, cast

import openai
import pytest
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage, HumanMessage, ToolMessage
from langchain_openai import ChatOpenAI
from openai.types.chat import ChatCompletionMessageParam, ChatCompletionToolParam
from pydantic import BaseModel, Field, SecretStr

from tests.scripted_llm import (
    ScriptedLLMServer,
    delay,
    disconnect,
    error,
    raw_tool_call,
    scripted_llm_fixture,  # noqa: F401 - provides the `scripted_llm` fixture
    text,
    tool_calls,
)

ANSWER = "Scalable oversight ranks first because its outputs are hard to verify."
USER: list[ChatCompletionMessageParam] = [{"role": "user", "content": "Which field is the safest bet?"}]


class RankFields(BaseModel):
    """Rank the technical AI-safety fields by exposure to automation."""

    top: int = Field(description="how many fields to return")
    factor: str = Field(description="feedback_quality or economic_incentive")


def openai_client(server: ScriptedLLMServer, *, max_retries: int = 2, timeout: float = 10) -> openai.OpenAI:
    return openai.OpenAI(base_url=server.base_url, api_key="test", max_retries=max_retries, timeout=timeout)


def chat_model(server: ScriptedLLMServer, **kwargs: Any) -> ChatOpenAI:
    return ChatOpenAI(base_url=server.base_url, api_key=SecretStr("test"), model="scripted", **kwargs)


def concat(chunks: Sequence[BaseMessage]) -> AIMessageChunk:
    """Add streamed chunks up, as LangChain does; every chunk must be an AIMessageChunk."""
    assert chunks and all(isinstance(c, AIMessageChunk) for c in chunks)
    total = cast(AIMessageChunk, chunks[0])
    for chunk in chunks[1:]:
        total = total + cast(AIMessageChunk, chunk)
    return total


# ------------------------------------------------------------------------------------------ openai client


def test_openai_text_reply_echoes_model_and_reports_usage(scripted_llm: ScriptedLLMServer) -> None:
    scripted_llm.enqueue(text(ANSWER))
    reply = openai_client(scripted_llm).chat.completions.create(model="gpt-test", messages=USER)
    assert reply.choices[0].message.content == ANSWER
    assert reply.choices[0].finish_reason == "stop"
    assert reply.model == "gpt-test"
    assert reply.usage is not None and reply.usage.completion_tokens == len(ANSWER.split())
    assert scripted_llm.requests == [{"model": "gpt-test", "messages": USER}]
    assert scripted_llm.request_headers[0]["authorization"] == "Bearer test"


def test_openai_tool_call_arguments_parse_as_json(scripted_llm: ScriptedLLMServer) -> None:
    scripted_llm.enqueue(tool_calls([("rank_fields", {"top": 3, "factor": "feedback_quality"})]))
    tools: list[ChatCompletionToolParam] = [
        {"type": "function", "function": {"name": "rank_fields", "parameters": {"type": "object"}}}
    ]
    reply = openai_client(scripted_llm).chat.completions.create(
        model="scripted",
        messages=USER,
        tools=tools,
    )
    choice = reply.choices[0]
    assert choice.finish_reason == "tool_calls"
    assert choice.message.tool_calls is not None
    (call,) = choice.message.tool_calls
    assert call.id == "call_1" and call.type == "function"
    assert call.function.name == "rank_fields"
    assert json.loads(call.function.arguments) == {"top": 3, "factor": "feedback_quality"}
    assert scripted_llm.requests[0]["tools"] == tools


def test_openai_streaming_text_reassembles_with_usage_chunk(scripted_llm: ScriptedLLMServer) -> None:
    scripted_llm.enqueue(text(ANSWER))
    stream = openai_client(scripted_llm).chat.completions.create(
        model="scripted",
        messages=USER,
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    pieces = [c.choices[0].delta.content for c in chunks if c.choices and c.choices[0].delta.content]
    assert "".join(pieces) == ANSWER
    assert len(pieces) == len(ANSWER.split())
    finishes = [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason]
    assert finishes == ["stop"]
    assert chunks[-1].choices == [] and chunks[-1].usage is not None
    assert chunks[-1].usage.total_tokens > 0


def test_openai_retries_a_500_then_gets_the_text(scripted_llm: ScriptedLLMServer) -> None:
    scripted_llm.enqueue(error(500, "the model crashed"), text(ANSWER))
    reply = openai_client(scripted_llm, max_retries=1).chat.completions.create(
        model="scripted",
        messages=USER,
    )
    assert reply.choices[0].message.content == ANSWER
    assert len(scripted_llm.requests) == 2
    assert scripted_llm.request_headers[1]["x-stainless-retry-count"] == "1"


def test_openai_429_raises_rate_limit_error_with_openai_body(scripted_llm: ScriptedLLMServer) -> None:
    scripted_llm.enqueue(error(429, "slow down"), text("never sent"))
    with pytest.raises(openai.RateLimitError) as caught:
        openai_client(scripted_llm, max_retries=0).chat.completions.create(model="scripted", messages=USER)
    assert caught.value.status_code == 429
    assert caught.value.response.headers["retry-after"] == "0"
    assert caught.value.body == {
        "message": "slow down",
        "type": "rate_limit_error",
        "code": "rate_limit_exceeded",
        "param": None,
    }
    assert scripted_llm.remaining == 1


def test_openai_times_out_on_a_delayed_reply(scripted_llm: ScriptedLLMServer) -> None:
    scripted_llm.enqueue(delay(2, then=text("too late")))
    started = time.monotonic()
    with pytest.raises(openai.APITimeoutError):
        openai_client(scripted_llm, timeout=0.5, max_retries=0).chat.completions.create(
            model="scripted",
            messages=USER,
        )
    assert time.monotonic() - started < 1.5


def test_openai_dropped_connection_raises_connection_error(scripted_llm: ScriptedLLMServer) -> None:
    scripted_llm.enqueue(disconnect())
    with pytest.raises(openai.APIConnectionError) as caught:
        openai_client(scripted_llm, max_retries=0).chat.completions.create(model="scripted", messages=USER)
    assert not isinstance(caught.value, openai.APITimeoutError)


def test_empty_script_answers_the_default_and_models_lists_one(scripted_llm: ScriptedLLMServer) -> None:
    client = openai_client(scripted_llm)
    reply = client.chat.completions.create(model="scripted", messages=USER)
    assert reply.choices[0].message.content == "(script exhausted)"
    scripted_llm.default = text("fallback")
    reply = client.chat.completions.create(model="scripted", messages=USER)
    assert reply.choices[0].message.content == "fallback"
    assert [m.id for m in client.models.list()] == ["scripted"]


def test_stop_is_prompt_with_a_pending_delay_and_an_idle_connection() -> None:
    threads_before = set(threading.enumerate())
    server = ScriptedLLMServer([text("warm-up"), delay(30)]).start()
    idle = openai_client(server)  # keeps its HTTP/1.1 connection open after this request
    waiting = openai_client(server, timeout=0.3, max_retries=0)
    try:
        idle.chat.completions.create(model="scripted", messages=USER)
        with pytest.raises(openai.APITimeoutError):
            waiting.chat.completions.create(model="scripted", messages=USER)
        stopper = threading.Thread(target=server.stop, daemon=True)
        stopper.start()
        stopper.join(timeout=2)
        assert not stopper.is_alive(), "stop() hangs on a pending delay or an idle keep-alive connection"
        left = [t.name for t in set(threading.enumerate()) - threads_before if t.is_alive()]
        assert not [name for name in left if name.startswith("scripted-llm")], left
    finally:
        idle.close()
        waiting.close()
        server.stop()


# ---------------------------------------------------------------------------------- langchain-openai


def test_langchain_bind_tools_invoke_returns_tool_calls(scripted_llm: ScriptedLLMServer) -> None:
    scripted_llm.enqueue(tool_calls([("RankFields", {"top": 3, "factor": "economic_incentive"})]))
    message = chat_model(scripted_llm).bind_tools([RankFields]).invoke("rank them")
    assert isinstance(message, AIMessage)
    assert message.tool_calls == [
        {
            "name": "RankFields",
            "args": {"top": 3, "factor": "economic_incentive"},
            "id": "call_1",
            "type": "tool_call",
        }
    ]
    (sent_tool,) = scripted_llm.requests[0]["tools"]
    assert sent_tool["function"]["name"] == "RankFields"
    assert set(sent_tool["function"]["parameters"]["properties"]) == {"top", "factor"}


def test_langchain_malformed_arguments_become_invalid_tool_calls(scripted_llm: ScriptedLLMServer) -> None:
    scripted_llm.enqueue(raw_tool_call("RankFields", '{"top": 3, "factor'))
    message = chat_model(scripted_llm).bind_tools([RankFields]).invoke("rank them")
    assert isinstance(message, AIMessage)
    assert message.tool_calls == []
    (invalid,) = message.invalid_tool_calls
    assert invalid["name"] == "RankFields" and invalid["id"] == "call_1"
    assert invalid["args"] == '{"top": 3, "factor'
    assert invalid["error"] and "not valid JSON" in invalid["error"]


def test_langchain_sends_tool_results_back(scripted_llm: ScriptedLLMServer) -> None:
    scripted_llm.enqueue(tool_calls([("RankFields", {"top": 1, "factor": "feedback_quality"})]), text(ANSWER))
    model = chat_model(scripted_llm).bind_tools([RankFields])
    question = HumanMessage("rank them")
    call = model.invoke([question])
    assert isinstance(call, AIMessage)
    final = model.invoke([question, call, ToolMessage("1. scalable oversight", tool_call_id="call_1")])
    assert final.content == ANSWER
    sent = scripted_llm.requests[1]["messages"]
    assert [m["role"] for m in sent] == ["user", "assistant", "tool"]
    assert sent[1]["tool_calls"][0]["id"] == "call_1"
    assert sent[2] == {"role": "tool", "content": "1. scalable oversight", "tool_call_id": "call_1"}


def test_langchain_stream_text_concatenates(scripted_llm: ScriptedLLMServer) -> None:
    scripted_llm.enqueue(text(ANSWER))
    chunks = list(chat_model(scripted_llm).stream("which field?"))
    assert sum(1 for c in chunks if c.content) == len(ANSWER.split())
    assert "".join(str(c.content) for c in chunks) == ANSWER
    assert concat(chunks).response_metadata["finish_reason"] == "stop"
    assert scripted_llm.requests[0]["stream"] is True


def test_langchain_streamed_tool_calls_reassemble(scripted_llm: ScriptedLLMServer) -> None:
    args_a = {"top": 2, "factor": "feedback_quality"}
    args_b = {"top": 5, "factor": "economic_incentive"}
    scripted_llm.enqueue(tool_calls([("RankFields", args_a), ("RankFields", args_b)]))
    chunks = list(chat_model(scripted_llm).bind_tools([RankFields]).stream("rank them"))
    pieces = [tc for c in chunks if isinstance(c, AIMessageChunk) for tc in c.tool_call_chunks]
    assert len(pieces) > 4  # names and ids first, then the arguments in pieces
    total = concat(chunks)
    assert [(tc["index"], tc["id"]) for tc in total.tool_call_chunks] == [(0, "call_1"), (1, "call_2")]
    assert total.tool_calls == [
        {"name": "RankFields", "args": args_a, "id": "call_1", "type": "tool_call"},
        {"name": "RankFields", "args": args_b, "id": "call_2", "type": "tool_call"},
    ]


def test_langchain_async_invoke_and_stream(scripted_llm: ScriptedLLMServer) -> None:
    scripted_llm.enqueue(text("first answer"), text(ANSWER))
    model = chat_model(scripted_llm)

    async def run() -> tuple[BaseMessage, list[BaseMessage]]:
        return await model.ainvoke("which field?"), [chunk async for chunk in model.astream("and why?")]

    message, chunks = asyncio.run(run())
    assert message.content == "first answer"
    assert [c.content for c in chunks if c.content] == [w + " " for w in ANSWER.split()[:-1]] + [ANSWER.split()[-1]]


def test_langchain_sends_max_completion_tokens_not_max_tokens(scripted_llm: ScriptedLLMServer) -> None:
    """The quirk in DESIGN.md: llama.cpp's server reads `max_tokens`, so pass it in `extra_body` too."""
    chat_model(scripted_llm, max_tokens=64).invoke("hi")
    chat_model(scripted_llm, max_tokens=64, extra_body={"max_tokens": 64}).invoke("hi")
    plain, with_extra = scripted_llm.requests
    assert plain["max_completion_tokens"] == 64 and "max_tokens" not in plain
    assert with_extra["max_completion_tokens"] == 64 and with_extra["max_tokens"] == 64


def test_langchain_retries_server_errors_by_default(scripted_llm: ScriptedLLMServer) -> None:
    scripted_llm.enqueue(error(503, "overloaded", retry_after=0.01), text(ANSWER))
    assert chat_model(scripted_llm).invoke("hi").content == ANSWER
    assert len(scripted_llm.requests) == 2
    scripted_llm.enqueue(error(503, "overloaded"))
    with pytest.raises(openai.InternalServerError):
        chat_model(scripted_llm, max_retries=0).invoke("hi")
