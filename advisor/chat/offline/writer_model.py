"""A small LLM that only writes: the offline model plans and calls the tools, then the LLM rewrites the
offline draft from the tool results. For models without reliable tool calling (`local`, or
ADVISOR_TOOL_CALLING=no)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage, HumanMessage, ToolMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from pydantic import ConfigDict

from advisor.chat.offline.model import ConversationState, OfflineChatModel


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
            written = self.writer.invoke(self._prompt(messages, str(reply.content)))
            reply = AIMessage(content=str(written.content), response_metadata=reply.response_metadata)
        return ChatResult(generations=[ChatGeneration(message=reply)])

    def _stream(self, messages: list[BaseMessage], stop: list[str] | None = None,
                run_manager: CallbackManagerForLLMRun | None = None, **kwargs: Any) -> Iterator[ChatGenerationChunk]:
        reply = self.planner.reply(messages)
        if reply.tool_calls:
            yield from self.planner._stream(messages, stop, run_manager, **kwargs)
            return
        for chunk in self.writer.stream(self._prompt(messages, str(reply.content))):
            token = str(chunk.content)
            if token:
                if run_manager:
                    run_manager.on_llm_new_token(token)
                yield ChatGenerationChunk(message=AIMessageChunk(content=token))
        yield ChatGenerationChunk(message=AIMessageChunk(content="", response_metadata=reply.response_metadata))
