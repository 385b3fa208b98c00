"""A small LLM that only writes: the offline model plans and calls the tools, then the LLM rewrites the
offline draft from the tool results. For models without reliable tool calling (`local`, or
ADVISOR_TOOL_CALLING=no).

The wrapped LLM's run is hidden from the stream: only this model reports the tokens it writes, so a face that
listens to the stream sees each token once, under one message id."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage, HumanMessage, ToolMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from langchain_core.runnables import RunnableConfig
from pydantic import ConfigDict

from advisor.chat.offline.model import ConversationState, OfflineChatModel

# The wrapped model's run carries LangGraph's tag for a model whose tokens must not reach
# `stream_mode="messages"` (langgraph.constants.TAG_NOSTREAM): without it, its tokens would be streamed as a
# second message beside ours.
INNER = RunnableConfig(tags=["nostream"])


class WriterChatModel(BaseChatModel):
    model_config = ConfigDict(arbitrary_types_allowed=True)
    planner: OfflineChatModel
    writer: Any  # a LangChain chat model

    @property
    def _llm_type(self) -> str:
        return "advisor-writer"

    def bind_tools(self, tools: Sequence[Any], **kwargs: Any) -> WriterChatModel:
        return self

    def _prompt(self, messages: Sequence[BaseMessage], draft: str) -> list[BaseMessage]:
        p = self.planner
        state = ConversationState(p.knowledge, p.lexicon, messages)
        results = "\n\n".join(str(m.content) for m in state.since if isinstance(m, ToolMessage))
        prompt = p.prompts.render("writer", mode_instructions=p.prompts.render(f"mode_{state.mode}"),
                                  profile=state.profile.describe(), tool_results=results or "(none)", draft=draft,
                                  message=state.message)
        return [HumanMessage(prompt)]

    def _generate(self, messages: list[BaseMessage], stop: list[str] | None = None,
                  run_manager: CallbackManagerForLLMRun | None = None, **kwargs: Any) -> ChatResult:
        reply = self.planner.reply(messages)
        if not reply.tool_calls:
            written = self.writer.invoke(self._prompt(messages, str(reply.content)), INNER)
            reply = AIMessage(content=str(written.content), response_metadata=reply.response_metadata)
        return ChatResult(generations=[ChatGeneration(message=reply)])

    def _stream(self, messages: list[BaseMessage], stop: list[str] | None = None,
                run_manager: CallbackManagerForLLMRun | None = None, **kwargs: Any) -> Iterator[ChatGenerationChunk]:
        # BaseChatModel.stream reports each chunk yielded here to the callbacks: reporting it here too would
        # show it twice.
        reply = self.planner.reply(messages)
        if reply.tool_calls:
            calls = [{"name": c["name"], "args": json.dumps(c["args"]), "id": c["id"], "index": i}
                     for i, c in enumerate(reply.tool_calls)]
            yield ChatGenerationChunk(message=AIMessageChunk(content="", tool_call_chunks=calls))  # type: ignore[arg-type]
            return
        for chunk in self.writer.stream(self._prompt(messages, str(reply.content)), INNER):
            token = str(chunk.content)
            if token:
                yield ChatGenerationChunk(message=AIMessageChunk(content=token))
        yield ChatGenerationChunk(message=AIMessageChunk(content="", response_metadata=reply.response_metadata))
