"""The offline advisor: it plans a turn from the conversation's state, the service runs the planned tools (the
same tools an LLM calls), and it writes the answer from their results with the templates in `prompts/`. No
neural network, and no chat-model framework: the state arrives as data (`TurnState`), not as text to parse.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, Field

from advisor.chat.events import Mode
from advisor.chat.offline.intents import IntentModel
from advisor.chat.offline.planner import Context, Plan, plan_turn
from advisor.chat.offline.understanding import Lexicon
from advisor.chat.offline.writer import TurnResults, write_answer
from advisor.chat.sources import SourceBook
from advisor.chat.tools import ToolResult
from advisor.knowledge import Knowledge
from advisor.knowledge.profile import Profile
from advisor.prompts import DEFAULT_PROMPTS, Prompts


class Recap(BaseModel):
    """What the earlier answers were: the intent of the last one, the last list of recommendations (what "the
    second one" means), the what-if the last answer was under, and what each answer contained."""

    last_intent: str = ""
    last_recommendations: list[str] = Field(default_factory=list)
    last_what_if: dict[str, Any] | None = None
    turns: list[dict[str, Any]] = Field(default_factory=list)  # what each earlier answer contained, oldest first


@dataclass(frozen=True)
class TurnState:
    """Everything a turn starts from: the message, the person as understood so far, the fields in focus, the
    answer mode, what earlier answers contained and their text (so that none is repeated)."""

    message: str
    profile: Profile = field(default_factory=Profile)
    focus: list[str] = field(default_factory=list)
    mode: Mode = "detailed"
    recap: Recap = field(default_factory=Recap)
    earlier_answers: list[str] = field(default_factory=list)

    def context(self) -> Context:
        return Context(self.profile, self.focus, self.recap.last_intent, self.recap.last_recommendations,
                       self.recap.last_what_if, self.recap.turns)


def _same(a: str, b: str) -> bool:
    def norm(text: str) -> str:
        return re.sub(r"\s+", " ", re.sub(r"\[\d+\]", "", text)).strip().lower()

    return norm(a) == norm(b)


def not_again(text: str, earlier: list[str], plan: Plan, box: TurnResults, before: Profile | None = None) -> str:
    """Never the same answer twice: when this answer would repeat an earlier one word for word, point back to
    it briefly and say what is new, instead of showing it again."""
    if not any(_same(text, e) for e in earlier):
        return text
    from advisor.chat.offline.writer import understood

    names = [box.knowledge.field(f).name for f in (box.recommended or plan.fields or plan.picks)[:3]]
    what = f" ({', '.join(names)})" if names else ""
    new = plan.profile_update.changes_from(before or Profile())
    noted = understood(new, box.knowledge) if not new.is_empty() else ""
    if noted:  # a correction or a new fact that leaves the picks as they were: say it was heard
        return box.say("answer_again_noted", noted=noted, what=what)
    told_before = set((before or Profile()).about)
    if plan.tells or not set(plan.profile_update.about) <= told_before:  # "I did a stats module at uni": heard,
        # though it records nothing (the same words again are not news)
        return box.say("answer_again_heard", what=what)
    return box.say("answer_again", what=what)


@dataclass
class OfflineAdvisor:
    """Plans a turn, then writes its answer once the planned tools have run."""

    knowledge: Knowledge
    lexicon: Lexicon
    intents: IntentModel
    prompts: Prompts = DEFAULT_PROMPTS
    glossary: dict[str, str] = field(default_factory=dict)

    def plan(self, state: TurnState) -> Plan:
        return plan_turn(state.message, self.knowledge, self.lexicon, self.intents, state.context())

    def write(self, state: TurnState, plan: Plan, results: list[ToolResult]) -> str:
        books = [r.book for r in results if r.book is not None]
        turn = TurnResults(self.knowledge, self.prompts, books[-1] if books else SourceBook(), results,
                           state.profile.merge(plan.profile_update), self.glossary)
        return not_again(write_answer(plan, turn, state.mode), state.earlier_answers, plan, turn, state.profile)

    def writer_prompt(self, state: TurnState, results: list[ToolResult], draft: str) -> str:
        """What a model that only writes is asked: rewrite the offline draft from the tool results."""
        return self.prompts.render("writer", mode_instructions=self.prompts.render(f"mode_{state.mode}"),
                                   profile=state.profile.describe(),
                                   tool_results="\n\n".join(r.text for r in results) or "(none)", draft=draft,
                                   message=state.message)
