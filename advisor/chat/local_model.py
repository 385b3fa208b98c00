"""An in-process GGUF model through llama-cpp-python (the optional `local` extra), as a LangChain chat model.
Small models write from the planner's tool results; they are not trusted with tool calls."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from pydantic import PrivateAttr

ROLES = {"human": "user", "ai": "assistant", "system": "system", "tool": "user"}


class LocalChatModel(BaseChatModel):
    model_path: str
    max_tokens: int = 600
    n_ctx: int = 4096
    temperature: float = 0.2
    _llama: Any = PrivateAttr(default=None)

    @property
    def _llm_type(self) -> str:
        return "advisor-local-llama-cpp"

    def _model(self) -> Any:
        if self._llama is None:
            from llama_cpp import Llama

            self._llama = Llama(model_path=self.model_path, n_ctx=self.n_ctx, n_threads=2, verbose=False)
        return self._llama

    def _messages(self, messages: list[BaseMessage]) -> list[dict[str, str]]:
        return [{"role": ROLES.get(m.type, "user"), "content": str(m.content)} for m in messages]

    def _generate(self, messages: list[BaseMessage], stop: list[str] | None = None,
                  run_manager: CallbackManagerForLLMRun | None = None, **kwargs: Any) -> ChatResult:
        out = self._model().create_chat_completion(messages=self._messages(messages), max_tokens=self.max_tokens,
                                                   temperature=self.temperature, stop=stop)
        text = out["choices"][0]["message"]["content"] or ""
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=text))])

    def _stream(self, messages: list[BaseMessage], stop: list[str] | None = None,
                run_manager: CallbackManagerForLLMRun | None = None, **kwargs: Any) -> Iterator[ChatGenerationChunk]:
        for part in self._model().create_chat_completion(messages=self._messages(messages), stream=True,
                                                         max_tokens=self.max_tokens, temperature=self.temperature,
                                                         stop=stop):
            token = part["choices"][0]["delta"].get("content") or ""
            if token:  # BaseChatModel.stream reports it to the callbacks: reporting it here would double it
                yield ChatGenerationChunk(message=AIMessageChunk(content=token))
