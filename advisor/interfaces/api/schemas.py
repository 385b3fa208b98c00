"""The HTTP API's request and response bodies, in OpenAI's chat-completions shape plus one `advisor` field.

Requests accept what OpenAI clients send (unknown parameters are ignored); responses carry the grounded
answer as the assistant message and the structured extras under `advisor`, which standard clients ignore.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from advisor.chat.events import Citation, Mode


class ContentPart(BaseModel):
    """One part of a message's content; only `text` parts are read."""

    model_config = ConfigDict(extra="ignore")

    type: str = Field(max_length=64)
    text: str | None = None


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="ignore")

    role: Literal["system", "developer", "user", "assistant", "tool", "function"]
    content: str | list[ContentPart] | None = None
    name: str | None = Field(None, max_length=256)

    @field_validator("content")
    @classmethod
    def _encodable(cls, content: str | list[ContentPart] | None) -> str | list[ContentPart] | None:
        texts = [content] if isinstance(content, str) else [p.text for p in content or [] if p.text]
        for text in texts:
            try:
                text.encode("utf-8")
            except UnicodeEncodeError:
                raise ValueError("the text is not valid Unicode (it holds a lone surrogate)") from None
        return content

    def text(self) -> str:
        """The message as plain text: the string, or its text parts joined."""
        if isinstance(self.content, str):
            return self.content
        return "\n".join(part.text for part in self.content or [] if part.type == "text" and part.text)


class ChatCompletionRequest(BaseModel):
    """`POST /v1/chat/completions`. Sampling parameters (temperature, top_p, ...) are accepted and ignored:
    the advisor's answers are grounded, not sampled."""

    model_config = ConfigDict(extra="ignore")

    model: str = Field(min_length=1, max_length=200, description="an id from GET /v1/models")
    messages: list[ChatMessage] = Field(min_length=1, max_length=500)
    stream: bool | None = False
    user: str | None = Field(None, max_length=256,
                             description="a session id: the advisor keeps the conversation and profile under it")
    n: int | None = Field(None, ge=1, le=1, description="only one answer per request")
    mode: Mode | None = Field(None, description="advisor extension: concise, detailed (default) or newcomer")


class AdvisorExtra(BaseModel):
    """The structured part of an answer (ignored by standard clients)."""

    answer: str = Field(description="the grounded answer alone, without notices or the source list")
    citations: list[Citation]
    recommendations: list[str]
    followups: list[str]
    flags: list[str]
    profile: dict[str, Any]
    intent: str
    mode: str
    backend: str
    session: str | None
    views: dict[str, Any] | None = Field(default=None, description="when the answer drew on the views matrix: "
                                         "what each source says of the field, with agreement counts")


class AssistantMessage(BaseModel):
    role: Literal["assistant"] = "assistant"
    content: str


class Choice(BaseModel):
    index: int = 0
    message: AssistantMessage
    finish_reason: Literal["stop"] = "stop"
    logprobs: None = None


class ChatCompletion(BaseModel):
    id: str
    object: Literal["chat.completion"] = "chat.completion"
    created: int
    model: str
    choices: list[Choice]
    usage: None = Field(None, description="not counted: the advisor does not bill tokens")
    system_fingerprint: None = None
    advisor: AdvisorExtra


class Delta(BaseModel):
    role: Literal["assistant"] | None = None
    content: str | None = None


class ChunkChoice(BaseModel):
    index: int = 0
    delta: Delta
    finish_reason: Literal["stop"] | None = None
    logprobs: None = None


class ChatCompletionChunk(BaseModel):
    id: str
    object: Literal["chat.completion.chunk"] = "chat.completion.chunk"
    created: int
    model: str
    choices: list[ChunkChoice]
    system_fingerprint: None = None
    advisor: AdvisorExtra | None = Field(None, description="on the last chunk only")


class ModelCard(BaseModel):
    id: str
    object: Literal["model"] = "model"
    created: int
    owned_by: str = "ai-safety-advisor"
    description: str = ""


class ModelList(BaseModel):
    object: Literal["list"] = "list"
    data: list[ModelCard]


class ErrorDetail(BaseModel):
    message: str
    type: str
    param: str | None = None
    code: str | None = None


class ErrorBody(BaseModel):
    error: ErrorDetail


class Health(BaseModel):
    status: Literal["ok"] = "ok"
