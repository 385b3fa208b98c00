"""What one turn of the conversation service emits, in order: typed events that every interface formats.

A turn is: `TurnStarted`, then any of `ProfileUnderstood`, `ToolCalled`, `ToolFinished`, `AnswerText`
(grounded text only, in display order), `Notice`, then `Sources`, `FollowUps`, `Flags`, and last
`TurnFinished` with the whole `Answer`, which holds exactly the text that was displayed.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

Mode = Literal["concise", "detailed", "newcomer"]
MODES: tuple[Mode, ...] = ("concise", "detailed", "newcomer")


class Citation(BaseModel):
    """A numbered source of the answer: the passage it quotes and where it comes from."""

    n: int
    title: str
    source: str  # a URL or a file in the knowledge base or the user's documents
    text: str
    passage_id: str
    kind: str  # essay | field | reading | assessment | user


class Answer(BaseModel):
    """One settled turn: what was displayed, its sources, and what the advisor now knows."""

    answer: str
    citations: list[Citation] = Field(default_factory=list)
    backend: str
    profile: dict[str, Any] = Field(default_factory=dict)
    recommendations: list[str] = Field(default_factory=list)
    followups: list[str] = Field(default_factory=list)
    flags: list[str] = Field(default_factory=list)
    intent: str = ""
    what_if: dict[str, Any] | None = None  # the what-if this answer was under (scenario and/or weights)
    views: dict[str, Any] | None = None  # when the answer drew on the views matrix: the field's row (sources, cells)
    mode: str = "detailed"
    session: str | None = "default"

    def to_dict(self) -> dict[str, Any]:
        return self.model_dump()


class TurnStarted(BaseModel):
    type: Literal["turn_started"] = "turn_started"
    session: str | None
    mode: str
    backend: str


class ProfileUnderstood(BaseModel):
    type: Literal["profile_understood"] = "profile_understood"
    profile: dict[str, Any]
    summary: str  # the profile in plain words


class ToolCalled(BaseModel):
    type: Literal["tool_called"] = "tool_called"
    name: str
    args: dict[str, Any]


class ToolFinished(BaseModel):
    type: Literal["tool_finished"] = "tool_finished"
    name: str
    summary: str  # e.g. "3 essay passages", "ranking of 16 fields"
    passages: list[Citation] = Field(default_factory=list)  # what it retrieved, numbered as the tool gave them
    error: str | None = None  # a bad argument, sent back to the model as the tool's answer


class AnswerText(BaseModel):
    type: Literal["answer_text"] = "answer_text"
    text: str  # the next piece of grounded text, already checked


class Notice(BaseModel):
    type: Literal["notice"] = "notice"
    text: str  # e.g. the model endpoint failed and the answer below is the offline one
    retract: bool = False  # True: drop the answer text shown so far; a new answer follows


class Sources(BaseModel):
    type: Literal["sources"] = "sources"
    citations: list[Citation]


class FollowUps(BaseModel):
    type: Literal["followups"] = "followups"
    items: list[str]


class Flags(BaseModel):
    type: Literal["flags"] = "flags"
    items: list[str]  # what grounding removed, and why


class TurnFinished(BaseModel):
    type: Literal["turn_finished"] = "turn_finished"
    answer: Answer


Event = Annotated[
    TurnStarted | ProfileUnderstood | ToolCalled | ToolFinished | AnswerText | Notice | Sources | FollowUps
    | Flags | TurnFinished,
    Field(discriminator="type"),
]
