"""What the chat shows for one browser tab: the conversation's messages built from the service's events.

Only grounded text reaches the page: the answer message is the concatenation of `AnswerText` events, replaced
when a `Notice` retracts it; notices and flags pass through `advisor.redact` (an error may echo a key). Tool use
becomes one collapsed line per turn ("Looked up: …"). No Gradio here: messages are the plain dicts `gr.Chatbot`
takes, so this is tested without a browser.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from advisor.chat.events import (
    Answer,
    AnswerText,
    Event,
    Flags,
    FollowUps,
    Notice,
    ProfileUnderstood,
    Sources,
    ToolCalled,
    ToolFinished,
    TurnFinished,
)
from advisor.chat.store import LOCAL, Message
from advisor.interfaces.web.escape import answer_markdown, markdown_text
from advisor.redact import redact
from advisor.storage.names import new_web_code

TOOL_LABELS = {
    "search_knowledge": "searching the sources",
    "rank_fields": "ranking the fields",
    "explain_field": "explaining a rank",
    "compare_fields": "comparing fields",
    "recommend_fields": "recommending fields",
    "recommend_readings": "choosing readings",
    "update_profile": "noting what you said about yourself",
}


THUMBS = {"up": "Like", "down": "Dislike"}  # a stored rating as the chat's feedback buttons name it


def new_session_id() -> str:
    """A session name nobody can guess (192 random bits): without a login, the code is what lets one resume."""
    return new_web_code()


@dataclass
class Conversation:
    """One browser tab's conversation: its session in the store and what the chat displays."""

    session: str = field(default_factory=new_session_id)
    owner: str = LOCAL  # whose conversation it is (the logged-in user's, or local without a login)
    messages: list[dict[str, Any]] = field(default_factory=list)
    turn_of: list[int | None] = field(default_factory=list)  # the stored answer (1-based) each message belongs to
    sources: dict[int, list[dict[str, Any]]] = field(default_factory=dict)  # answer number -> its citations
    answers: int = 0  # answers stored in the session so far
    followups: list[str] = field(default_factory=list)
    understood: str = "nothing yet"
    feedback_turn: int | None = None  # the answer the last thumbs up/down was about
    ratings: dict[int, str] = field(default_factory=dict)  # answer number -> "up" or "down", shown as thumbs

    def add(self, message: dict[str, Any], turn: int | None) -> int:
        self.messages.append(message)
        self.turn_of.append(turn)
        return len(self.messages) - 1

    def rate(self, turn: int, rating: str) -> None:
        """Remember a thumbs up or down on answer `turn` (the comment box then belongs to that answer)."""
        self.feedback_turn = turn
        self.ratings[turn] = rating

    def thumbs(self) -> list[str | None]:
        """One entry per assistant message, as the chat shows thumbs: the rating on each answer's last message."""
        last = {turn: i for i, turn in enumerate(self.turn_of) if turn is not None}
        return [THUMBS.get(self.ratings.get(turn, "")) if turn is not None and last[turn] == i else None
                for i, (m, turn) in enumerate(zip(self.messages, self.turn_of, strict=True))
                if m["role"] == "assistant"]

    def turn_at(self, index: int) -> int | None:
        """The answer a chat message belongs to (a liked bubble may be any message of the answer's group)."""
        for i in range(min(index, len(self.turn_of) - 1), -1, -1):
            if self.turn_of[i] is not None:
                return self.turn_of[i]
            if self.messages[i]["role"] == "user":
                return None
        return None


def resume(session: str, stored: list[Message], owner: str = LOCAL) -> Conversation:
    """A conversation rebuilt from a saved session's messages."""
    conv = Conversation(session=session, owner=owner)
    for m in stored:
        if m.role == "user":
            conv.add({"role": "user", "content": markdown_text(m.content)}, None)
            continue
        conv.answers += 1
        cites = list(m.meta.get("citations", []))
        conv.sources[conv.answers] = cites
        known = {int(c["n"]) for c in cites}
        conv.add({"role": "assistant", "content": answer_markdown(m.content, conv.answers, known)}, conv.answers)
        rating = (m.meta.get("feedback") or {}).get("rating")
        if rating in THUMBS:
            conv.ratings[conv.answers] = rating
    return conv


class TurnView:
    """Applies one turn's events to a conversation and keeps what the rest of the page needs."""

    def __init__(self, conv: Conversation, question: str) -> None:
        self.conv = conv
        self.turn = conv.answers + 1
        self.started = time.perf_counter()
        self.first_text: float | None = None  # seconds until the first grounded text
        self.finished: float | None = None
        self.text = ""
        self.tools: list[str] = []
        self.answer: Answer | None = None
        self.profile: dict[str, Any] | None = None
        conv.add({"role": "user", "content": markdown_text(question)}, None)
        self._tool_msg: int | None = None
        self._answer_msg: int | None = None

    def apply(self, event: Event) -> bool:
        """Update the conversation; True when what the page shows changed."""
        if isinstance(event, ToolCalled):
            self._tool_line(f"{TOOL_LABELS.get(event.name, event.name)}…", pending=True)
        elif isinstance(event, ToolFinished):
            done = f"could not run {event.name}: {redact(event.error)}" if event.error else event.summary
            self.tools.append(done)
            self._tool_line(done, pending=False)
        elif isinstance(event, AnswerText):
            if self.first_text is None:
                self.first_text = time.perf_counter() - self.started
            self.text += event.text
            self._show_answer()
        elif isinstance(event, Notice):
            if event.retract:
                self._withdraw()
            self.conv.add({"role": "assistant", "content": "⚠️ " + markdown_text(redact(event.text))}, self.turn)
            self._answer_msg = None  # the new answer goes below the notice
        elif isinstance(event, ProfileUnderstood):
            self.profile = event.profile
            self.conv.understood = event.summary
        elif isinstance(event, Sources):
            self.conv.sources[self.turn] = [c.model_dump() for c in event.citations]
        elif isinstance(event, FollowUps):
            self.conv.followups = list(event.items)
        elif isinstance(event, Flags):
            notes = "\n".join(f"- {markdown_text(redact(f))}" for f in event.items)
            self.conv.add({"role": "assistant", "content": notes,
                           "metadata": {"title": f"Checks before display: {len(event.items)} note(s)",
                                        "status": "done"}}, self.turn)
        elif isinstance(event, TurnFinished):
            self.answer = event.answer
            self.finished = time.perf_counter() - self.started
            self.conv.answers = self.turn
            self.conv.sources.setdefault(self.turn, [])
            self.text = event.answer.answer
            self._show_answer(final=True)
            if self._tool_msg is not None:
                self.conv.messages[self._tool_msg]["metadata"]["status"] = "done"
        else:
            return False
        return True

    def _tool_line(self, line: str, pending: bool) -> None:
        title = "Looked up: " + "; ".join(self.tools) if self.tools else "Looking things up…"
        if self._tool_msg is None:
            self._tool_msg = self.conv.add({"role": "assistant", "content": "",
                                            "metadata": {"title": title, "status": "pending"}}, self.turn)
        msg = self.conv.messages[self._tool_msg]
        msg["metadata"]["title"] = title
        msg["metadata"]["status"] = "pending" if pending else "done"
        if not pending:
            msg["content"] = "\n".join(f"- {markdown_text(t)}" for t in self.tools)

    def _withdraw(self) -> None:
        """Drop the answer shown so far (the service retracted it; a new answer follows)."""
        self.text = ""
        if self._answer_msg is not None:
            del self.conv.messages[self._answer_msg]
            del self.conv.turn_of[self._answer_msg]
            if self._tool_msg is not None and self._tool_msg > self._answer_msg:
                self._tool_msg -= 1
            self._answer_msg = None

    def _show_answer(self, final: bool = False) -> None:
        known = {int(c["n"]) for c in self.conv.sources.get(self.turn, [])} if final else None
        content = answer_markdown(self.text, self.turn, known)
        if self._answer_msg is None:
            if not self.text:
                return
            self._answer_msg = self.conv.add({"role": "assistant", "content": content}, self.turn)
        else:
            self.conv.messages[self._answer_msg]["content"] = content

    def status(self, backend: str) -> str:
        """One line for under the chat: who answered and how fast."""
        parts = [f"Answered by **{markdown_text(self.answer.backend if self.answer else backend)}**"]
        if self.first_text is not None:
            parts.append(f"first words after {self.first_text:.2f} s")
        if self.finished is not None:
            parts.append(f"whole answer after {self.finished:.2f} s")
        return " · ".join(parts)
