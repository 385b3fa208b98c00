"""The offline backend as a LangChain chat model: it plans with the offline planner, asks for the same tools
an LLM would, and writes the answer from templates once the tool results are in. No neural network."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage, HumanMessage, ToolMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from pydantic import ConfigDict

from advisor.planner import Plan
from advisor.tools import Toolbox
from advisor.writer import Mode, write_answer


class OfflineChatModel(BaseChatModel):
    """Scripted by this turn's plan: first the tool calls, then the written answer."""

    model_config = ConfigDict(arbitrary_types_allowed=True)
    plan: Plan
    toolbox: Toolbox
    mode: Mode = "detailed"

    @property
    def _llm_type(self) -> str:
        return "advisor-offline"

    def bind_tools(self, tools: Sequence[Any], **kwargs: Any) -> OfflineChatModel:
        return self

    def _reply(self, messages: list[BaseMessage]) -> AIMessage:
        """The next planned tool call, one at a time (each may depend on the last), then the answer."""
        done = 0
        for m in reversed(messages):
            if isinstance(m, HumanMessage):
                break
            done += isinstance(m, ToolMessage)
        if done < len(self.plan.calls):
            name, args = self.plan.calls[done]
            return AIMessage(content="", tool_calls=[{"name": name, "args": args, "id": f"call_{done}",
                                                      "type": "tool_call"}])
        return AIMessage(content=write_answer(self.plan, self.toolbox, self.mode))

    def _generate(self, messages: list[BaseMessage], stop: list[str] | None = None,
                  run_manager: CallbackManagerForLLMRun | None = None, **kwargs: Any) -> ChatResult:
        return ChatResult(generations=[ChatGeneration(message=self._reply(messages))])

    def _stream(self, messages: list[BaseMessage], stop: list[str] | None = None,
                run_manager: CallbackManagerForLLMRun | None = None, **kwargs: Any) -> Iterator[ChatGenerationChunk]:
        reply = self._reply(messages)
        if reply.tool_calls:
            chunks = [{"name": c["name"], "args": _json(c["args"]), "id": c["id"], "index": i}
                      for i, c in enumerate(reply.tool_calls)]
            yield ChatGenerationChunk(message=AIMessageChunk(content="", tool_call_chunks=chunks))  # type: ignore[arg-type]
            return
        text = str(reply.content)
        pieces = text.split(" ")
        for i, word in enumerate(pieces):
            token = word if i == len(pieces) - 1 else word + " "
            if run_manager:
                run_manager.on_llm_new_token(token)
            yield ChatGenerationChunk(message=AIMessageChunk(content=token))


def _json(args: dict[str, Any]) -> str:
    import json

    return json.dumps(args)
