"""The offline planner: reads the user's intent from their message and chooses the tool calls, as an LLM
with tools would. Deterministic; no neural network."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Literal

from advisor.chat.offline.understanding import Lexicon, extract_profile
from advisor.knowledge import Knowledge
from advisor.knowledge.names import field_mentions
from advisor.knowledge.profile import Profile

Intent = Literal["career", "why_rank", "compare", "readings", "what_if", "essay", "help", "off_topic"]



def _any(*patterns: str) -> re.Pattern[str]:
    """One pattern matching any of `patterns` as whole words."""
    return re.compile("|".join(rf"\b{p}\b" for p in patterns))


WHAT_IF = _any(r"what if", "suppose", r"assum\w*", "scenario", r"weights?", r"matters? more",
               r"if (?:we|you|i|automated|labs|it)\b.*\b(?:works?|trust|succeed|matters?|were)")
COMPARE = _any("compare", r"vs\.?", "versus", "difference between", "better bet", "or")
READINGS = _any(r"read(?:ing|ings)?", r"papers?", r"books?", r"resources?", "curriculum", "learn",
                r"where (?:do|should) i start")
WHY = _any("why", r"rank(?:ed|s|ing)?", "position", r"automated (?:first|last|soon)",
           r"how (?:exposed|safe|likely)", "explain")
ESSAY = _any("essay", "author", "the post", "blog", r"comments?", r"commenters?", "two factors", "factors",
             "january", "wehner")
CAREER = _any(r"i(?:'m| am)", r"my (?:background|skills|runway|savings|job)", "transition", "career", "should i",
              "recommend", r"which (?:field|area)s?", r"what (?:field|area)s?", r"safer bets?", "pivot", "switch")
HELP = re.compile(r"^\s*(?:hi|hello|hey|help|what can you do|how does this work|who are you)\b[\s!?.]*$")
LEVEL = re.compile(r"\b(intro|introductory|beginner|intermediate|advanced)\b")
SCENARIO_CUES = {
    "trusted-eval-generation": re.compile(
        r"eval(?:uation)?s? generation|generat\w* evals|automated evals?|trust\w* (?:automated )?evals?"
    ),
    "interp-breakthrough": re.compile(r"interp\w* breakthrough|breakthrough in (?:mech )?interp"),
}
FACTOR_CUES = {
    "feedback_quality": re.compile(r"feedback|verif"),
    "economic_incentive": re.compile(r"incentive|economic|money|labs? (?:want|care)"),
    "research_taste": re.compile(r"taste|novel|concept"),
    "human_interaction": re.compile(r"human interaction|institution|people"),
}


@dataclass
class Plan:
    intent: Intent
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    fields: list[str] = field(default_factory=list)
    profile_update: Profile = field(default_factory=Profile)
    scenario: str | None = None
    weights: dict[str, float] | None = None


def detect_intent(low: str, fields: list[str], update: Profile, last_fields: list[str]) -> Intent:
    if HELP.match(low):
        return "help"
    if WHAT_IF.search(low):
        return "what_if"
    if len(fields) >= 2 and COMPARE.search(low):
        return "compare"
    if READINGS.search(low):
        return "readings"
    if re.search(r"\bwhy\b", low) and (fields or last_fields):
        return "why_rank"
    if CAREER.search(low) and (not update.is_empty() or "recommend" in low or "should i" in low or "which" in low):
        return "career"
    if WHY.search(low) and (fields or last_fields):
        return "why_rank"
    if ESSAY.search(low):
        return "essay"
    if not update.is_empty() and (update.skills or update.background or update.interests):
        return "career"
    if fields:
        return "why_rank"
    if WHY.search(low) or CAREER.search(low):
        return "career" if CAREER.search(low) else "essay"
    return "off_topic"


def plan_turn(message: str, knowledge: Knowledge, lexicon: Lexicon, profile: Profile,
              last_fields: list[str], history: list[str] | None = None) -> Plan:
    """Intent and tool calls for one user message, given what the conversation already knows."""
    low = message.lower()
    fields = field_mentions(message, knowledge)
    update = extract_profile(message, knowledge, lexicon)
    intent = detect_intent(low, fields, update, last_fields)
    plan = Plan(intent, fields=fields or list(last_fields[:1]), profile_update=update)
    if not update.is_empty():
        plan.calls.append(("update_profile", _profile_args(update)))

    if intent == "career":
        plan.calls.append(("recommend_fields", {"top": 3}))
        plan.calls.append(("recommend_readings", {"fields": [], "level": "intro"}))
    elif intent == "why_rank":
        plan.calls.append(("explain_field", {"field": plan.fields[0]}) if plan.fields else ("rank_fields", {}))
    elif intent == "compare":
        plan.calls.append(("compare_fields", {"fields": fields[:4]}))
    elif intent == "readings":
        level = LEVEL.search(low)
        lvl = {"introductory": "intro", "beginner": "intro"}.get(level.group(1), level.group(1)) if level else None
        target = fields or list(last_fields[:2])
        plan.fields = target
        plan.calls.append(("recommend_readings", {"fields": target, "level": lvl}))
    elif intent == "what_if":
        plan.scenario = next((sid for sid, cue in SCENARIO_CUES.items() if cue.search(low)), None)
        if plan.scenario is None:
            factors = [name for name, cue in FACTOR_CUES.items() if cue.search(low)]
            less = re.search(r"\b(less|lower|doesn't matter|does not matter|ignore)\b", low)
            plan.weights = {f: (0.5 if less else 6.0) for f in factors} or None
        if plan.scenario and not fields:
            plan.fields = [c.field for c in knowledge.scenario(plan.scenario).changes][:1]
        args: dict[str, Any] = {"scenario": plan.scenario, "weights": plan.weights}
        plan.calls.append(("rank_fields", args))
        if plan.fields:
            plan.calls.append(("explain_field", {"field": plan.fields[0], **args}))
    elif intent == "essay":
        plan.calls.append(("search_knowledge", {"query": message, "k": 4, "kind": "essay"}))
    return plan


def _profile_args(update: Profile) -> dict[str, Any]:
    return update.model_dump(exclude_defaults=True)
