"""The offline backend as a LangChain chat model that reads the conversation it is given, like any other:
the last user message is the question, earlier messages are the history, the system message may carry the
conversation state (profile, focus, mode). It asks for the same tools an LLM would, one call at a time, and
once their results are in it writes the answer from the templates in `prompts/`. No neural network.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage, HumanMessage, SystemMessage, ToolMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr

from advisor.chat.events import MODES, Mode
from advisor.chat.offline.intents import IntentModel
from advisor.chat.offline.planner import Context, Plan, plan_turn
from advisor.chat.offline.understanding import Lexicon, extract_profile
from advisor.chat.offline.writer import TurnResults, write_answer
from advisor.chat.sources import SourceBook
from advisor.chat.tools import ToolResult
from advisor.knowledge import Knowledge
from advisor.knowledge.names import field_mentions
from advisor.knowledge.profile import Profile
from advisor.prompts import DEFAULT_PROMPTS, Prompts

STATE = re.compile(r"^Conversation state \(JSON\): (\{.*\})\s*$", re.MULTILINE)


class Recap(BaseModel):
    """What the last answers were: the intent of the last one, the last list of recommendations (what "the
    second one" means) and the what-if the last answer was under."""

    last_intent: str = ""
    last_recommendations: list[str] = Field(default_factory=list)
    last_what_if: dict[str, Any] | None = None
    turns: list[dict[str, Any]] = Field(default_factory=list)  # what each earlier answer contained, oldest first


def state_line(profile: Profile, focus: list[str], mode: str, recap: Recap | None = None) -> str:
    """The line the service adds to the system message so that any model can read the conversation's state."""
    state = {"mode": mode, "profile": profile.model_dump(exclude_defaults=True), "focus": focus,
             **(recap or Recap()).model_dump()}
    return "Conversation state (JSON): " + json.dumps(state)


class ConversationState:
    """What the offline model reads from its messages."""

    def __init__(self, knowledge: Knowledge, lexicon: Lexicon, messages: Sequence[BaseMessage]) -> None:
        last_human = max((i for i, m in enumerate(messages) if isinstance(m, HumanMessage)), default=-1)
        self.message = str(messages[last_human].content) if last_human >= 0 else ""
        self.since = list(messages[last_human + 1:])  # the AI tool calls and tool answers of this turn
        history = messages[:last_human] if last_human >= 0 else []
        self.history_users = [str(m.content) for m in history if isinstance(m, HumanMessage)]
        self.earlier_answers = [str(m.content) for m in history if isinstance(m, AIMessage) and m.content]
        system = next((str(m.content) for m in messages if isinstance(m, SystemMessage)), "")
        found = STATE.search(system)
        state: dict[str, Any] = json.loads(found.group(1)) if found else {}
        self.mode: Mode = state.get("mode") if state.get("mode") in MODES else "detailed"  # type: ignore[assignment]
        if found:
            self.profile = Profile.model_validate(state.get("profile") or {})
            self.focus = [f for f in state.get("focus") or [] if isinstance(f, str)]
            self.recap = Recap.model_validate({k: v for k, v in state.items() if k in Recap.model_fields})
        else:  # a client that keeps its own history: read the profile and focus from the messages themselves
            self.profile = Profile()
            for text in self.history_users:
                self.profile = self.profile.merge(extract_profile(text, knowledge, lexicon))
            last_ai = next((str(m.content) for m in reversed(history) if isinstance(m, AIMessage) and m.content), "")
            self.focus = field_mentions(last_ai, knowledge)
            self.recap = Recap()

    def results(self) -> list[ToolResult]:
        return [m.artifact for m in self.since if isinstance(m, ToolMessage) and isinstance(m.artifact, ToolResult)]

    def calls_made(self) -> int:
        return sum(isinstance(m, ToolMessage) for m in self.since)


def _same(a: str, b: str) -> bool:
    def norm(text: str) -> str:
        return re.sub(r"\s+", " ", re.sub(r"\[\d+\]", "", text)).strip().lower()

    return norm(a) == norm(b)


def not_again(text: str, earlier: list[str], plan: Plan, box: TurnResults) -> str:
    """Never the same answer twice: when this answer would repeat an earlier one word for word, point back to
    it briefly and say what is new, instead of showing it again."""
    if not any(_same(text, e) for e in earlier):
        return text
    names = [box.knowledge.field(f).name for f in (box.recommended or plan.fields or plan.picks)[:3]]
    what = f" ({', '.join(names)})" if names else ""
    return box.say("answer_again", what=what)


class OfflineChatModel(BaseChatModel):
    """Plans from the conversation, calls tools one at a time (each may depend on the last), then writes."""

    model_config = ConfigDict(arbitrary_types_allowed=True)
    knowledge: Knowledge
    lexicon: Lexicon
    intents: IntentModel
    prompts: Prompts = DEFAULT_PROMPTS
    glossary: dict[str, str] = Field(default_factory=dict)
    _plans: dict[str, Plan] = PrivateAttr(default_factory=dict)

    @property
    def _llm_type(self) -> str:
        return "advisor-offline"

    def bind_tools(self, tools: Sequence[Any], **kwargs: Any) -> OfflineChatModel:
        return self

    def plan(self, state: ConversationState) -> Plan:
        key = json.dumps([state.message, state.history_users[-4:], state.profile.model_dump(), state.focus,
                          state.recap.model_dump()])
        if key not in self._plans:
            if len(self._plans) > 256:
                self._plans.clear()
            context = Context(state.profile, state.focus, state.recap.last_intent, state.recap.last_recommendations,
                              state.recap.last_what_if, state.recap.turns)
            self._plans[key] = plan_turn(state.message, self.knowledge, self.lexicon, self.intents, context)
        return self._plans[key]

    def reply(self, messages: Sequence[BaseMessage]) -> AIMessage:
        """The next planned tool call, or the written answer once every call has its result."""
        state = ConversationState(self.knowledge, self.lexicon, messages)
        plan = self.plan(state)
        done = state.calls_made()
        if done < len(plan.calls):
            name, args = plan.calls[done]
            return AIMessage(content="", tool_calls=[{"name": name, "args": args, "id": f"call_{done}",
                                                      "type": "tool_call"}])
        results = state.results()
        books = [r.book for r in results if r.book is not None]
        turn = TurnResults(self.knowledge, self.prompts, books[-1] if books else SourceBook(), results,
                           state.profile.merge(plan.profile_update), self.glossary)
        text = not_again(write_answer(plan, turn, state.mode), state.earlier_answers, plan, turn)
        return AIMessage(content=text, response_metadata={"intent": plan.intent})

    def _generate(self, messages: list[BaseMessage], stop: list[str] | None = None,
                  run_manager: CallbackManagerForLLMRun | None = None, **kwargs: Any) -> ChatResult:
        return ChatResult(generations=[ChatGeneration(message=self.reply(messages))])

    def _stream(self, messages: list[BaseMessage], stop: list[str] | None = None,
                run_manager: CallbackManagerForLLMRun | None = None, **kwargs: Any) -> Iterator[ChatGenerationChunk]:
        reply = self.reply(messages)
        if reply.tool_calls:
            chunks = [{"name": c["name"], "args": json.dumps(c["args"]), "id": c["id"], "index": i}
                      for i, c in enumerate(reply.tool_calls)]
            yield ChatGenerationChunk(message=AIMessageChunk(content="", tool_call_chunks=chunks))  # type: ignore[arg-type]
            return
        pieces = re.split(r"(?<= )", str(reply.content))
        for i, token in enumerate(pieces):
            if run_manager:
                run_manager.on_llm_new_token(token)
            last = i == len(pieces) - 1
            yield ChatGenerationChunk(message=AIMessageChunk(
                content=token, response_metadata=reply.response_metadata if last else {}))
