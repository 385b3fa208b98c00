"""Whole conversations as the unit of quality: runs the parts in `evals/conversations/` through the offline
advisor, one session per conversation, and checks every turn against what its writer expected (answer type,
fields, the reference it must resolve, what is recorded about the person, the shape asked for, a plan that fits
the hours given), plus what every turn must do unasked: never repeat an earlier answer word for word, never
refuse an in-domain request, never credit the essay with a rank it does not give."""

from __future__ import annotations

import re
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, Field, ValidationError

from advisor.chat.evaluation import check_floors, recorded_as
from advisor.chat.events import Answer, TurnFinished
from advisor.chat.grounding import RANK_FLAG, Grounder, essay_rank_violation
from advisor.chat.sources import SourceBook
from advisor.errors import DataError
from advisor.knowledge import Knowledge
from advisor.knowledge.names import field_mentions

ANSWER_TYPES = ("career", "why_rank", "why_fit", "compare", "readings", "what_if", "essay", "details",
                "list_fields", "define", "other_views", "timing", "decision", "plan", "recap", "help", "smalltalk",
                "off_topic")
NOT_IN_DOMAIN = {"help", "smalltalk", "off_topic"}
REFUSALS = re.compile(r"outside what I can help with|^You're welcome|I'm not sure what you are asking", re.I | re.M)
BULLET = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s+\S")
SOURCES_TAIL = re.compile(r"\n+Sources:.*\Z", re.S)
HOURS_A_WEEK = re.compile(r"(\d+(?:\.\d+)?)\s*(?:hours?|h)\s*(?:a|per|each|every|/)\s*week", re.I)
TOTAL_HOURS = re.compile(r"(\d[\d,]*)\s*hours?\s*(?:in all|in total|altogether|total)", re.I)


class Expect(BaseModel):
    answer: str | list[str]
    mentions: list[str] = Field(default_factory=list)
    not_mentions: list[str] = Field(default_factory=list)
    about: list[str] = Field(default_factory=list)
    profile: dict[str, Any] = Field(default_factory=dict)
    profile_not: dict[str, Any] = Field(default_factory=dict)
    shape: dict[str, int] = Field(default_factory=dict)
    plan: dict[str, float] = Field(default_factory=dict)

    def types(self) -> list[str]:
        return [self.answer] if isinstance(self.answer, str) else list(self.answer)


class TurnCase(BaseModel):
    say: str
    expect: Expect
    note: str | None = None


class Conversation(BaseModel):
    id: str
    who: str = ""
    turns: list[TurnCase] = Field(min_length=1)


def load_conversations(path: Path, knowledge: Knowledge) -> list[Conversation]:
    """A conversation part, checked: unknown answer types or field ids fail loudly with the conversation id."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        conversations = [Conversation.model_validate(c) for c in data["conversations"]]
    except (OSError, yaml.YAMLError, KeyError, TypeError, ValidationError) as exc:
        raise DataError(f"{path}: cannot read the conversations ({exc})") from exc
    ids = {f.id for f in knowledge.fields}
    for c in conversations:
        for i, t in enumerate(c.turns, 1):
            bad = [a for a in t.expect.types() if a not in ANSWER_TYPES]
            bad += [f for f in [*t.expect.mentions, *t.expect.not_mentions, *t.expect.about] if f not in ids]
            if bad:
                raise DataError(f"{path}: {c.id} turn {i}: unknown answer type or field id {bad}")
    return conversations


@dataclass
class TurnOutcome:
    say: str
    answer: Answer
    failures: list[str] = field(default_factory=list)
    repeated: bool = False
    refused: bool = False
    violations: int = 0


@dataclass
class ConversationOutcome:
    conversation: Conversation
    turns: list[TurnOutcome]

    @property
    def passed(self) -> bool:
        return all(not t.failures for t in self.turns)


def body(text: str) -> str:
    """An answer without its list of sources."""
    return SOURCES_TAIL.sub("", text).strip()


def _normal(text: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"\[\d+\]", "", body(text))).strip().lower()


def check_turn(case: TurnCase, answer: Answer, earlier: list[Answer], knowledge: Knowledge) -> TurnOutcome:
    e, text = case.expect, body(answer.answer)
    out = TurnOutcome(case.say, answer)
    fail = out.failures.append
    if answer.intent not in e.types():
        fail(f"answer type {answer.intent!r}, expected {e.types()}")
    named = field_mentions(text, knowledge)
    talked = set(named) | set(answer.recommendations)
    fail_missing = [f for f in e.mentions if f not in named]
    if fail_missing:
        fail(f"does not mention {fail_missing}")
    unwanted = [f for f in e.not_mentions if f in named]
    if unwanted:
        fail(f"mentions {unwanted}")
    off = [f for f in e.about if f not in talked]
    if off:
        fail(f"not about {off} (talks about {sorted(talked)})")
    out.failures += profile_failures(answer.profile, e.profile, e.profile_not)
    out.failures += shape_failures(text, e.shape, knowledge)
    out.failures += plan_failures(text, e.plan)
    out.repeated = any(_normal(answer.answer) == _normal(a.answer) for a in earlier)
    if out.repeated:
        fail("repeats an earlier answer word for word")
    in_domain = not set(e.types()) & NOT_IN_DOMAIN
    out.refused = in_domain and (answer.intent in NOT_IN_DOMAIN | {"clarify"} or bool(REFUSALS.search(text)))
    if out.refused:
        fail("refuses an in-domain request")
    out.violations = invented_ranks(answer.answer, knowledge)
    if out.violations:
        fail("credits the essay with a rank it does not give")
    return out


def invented_ranks(text: str, knowledge: Knowledge) -> int:
    """How many essay positions the text invents, read as users see it: sentence by sentence, and whole through
    the grounding check, which also reads lists and sentences in their context."""
    sentences = re.split(r"(?<=[.!?])\s+|\n", text)
    alone = sum(essay_rank_violation(s, knowledge) for s in sentences)
    grounder = Grounder(SourceBook(), knowledge)
    grounder.feed(text)
    grounder.finish()
    return max(alone, int(RANK_FLAG in grounder.flags))


def profile_failures(profile: dict[str, Any], expect: dict[str, Any], forbid: dict[str, Any]) -> list[str]:
    out = []
    for key, items in expect.items():
        if key == "constraints":
            for name, value in items.items():
                got = profile.get("constraints", {}).get(name)
                if got != value:
                    out.append(f"constraint {name} is {got!r}, expected {value!r}")
            continue
        for item in items:
            have = profile.get(key, [])
            ok = item in have if key in ("interests", "dislikes") else recorded_as(item, have)
            if not ok:
                out.append(f"{key} lacks {item!r} ({have})")
    for key, items in forbid.items():
        if key == "constraints":
            out += [f"constraint {n} set to {profile['constraints'][n]!r}" for n in items
                    if profile.get("constraints", {}).get(n) is not None]
            continue
        for item in items:
            have = profile.get(key, [])
            if item in have if key in ("interests", "dislikes") else recorded_as(item, have):
                out.append(f"{key} records {item!r}, which was never said")
    return out


def shape_failures(text: str, shape: dict[str, int], knowledge: Knowledge) -> list[str]:
    out = []
    bullets = [line for line in text.splitlines() if BULLET.match(line)]
    if "bullets" in shape and len(bullets) != shape["bullets"]:
        out.append(f"{len(bullets)} bullets, asked for {shape['bullets']}")
    if "max_bullets" in shape and len(bullets) > shape["max_bullets"]:
        out.append(f"{len(bullets)} bullets, asked for at most {shape['max_bullets']}")
    if "sentences" in shape:
        plain = re.sub(r"\[\d+\]|\d\.\d|e\.g\.|i\.e\.|etc\.", "", text)
        count = len(re.findall(r"[.!?](?:\s|$)", plain.strip() + " "))
        if count > shape["sentences"] + 1:
            out.append(f"{count} sentences, asked for {shape['sentences']}")
    if "max_fields" in shape:
        named = field_mentions(text, knowledge)
        if len(named) > shape["max_fields"]:
            out.append(f"names {len(named)} fields, asked for at most {shape['max_fields']}")
    if "max_words" in shape and len(text.split()) > shape["max_words"]:
        out.append(f"{len(text.split())} words, asked for at most {shape['max_words']}")
    return out


def plan_failures(text: str, plan: dict[str, float]) -> list[str]:
    if not plan:
        return []
    per_week = [float(h) for h in HOURS_A_WEEK.findall(text)]
    out = []
    if not per_week:
        out.append("the plan states no hours a week")
    elif "hours_per_week" in plan and max(per_week) > plan["hours_per_week"]:
        out.append(f"the plan asks {max(per_week):g} hours a week, more than the {plan['hours_per_week']:g} given")
    totals = [float(t.replace(",", "")) for t in TOTAL_HOURS.findall(text)]
    if totals and "weeks" in plan and "hours_per_week" in plan and \
            max(totals) > plan["hours_per_week"] * plan["weeks"] * 1.05:
        out.append(f"the plan's {max(totals):g} hours do not fit {plan['hours_per_week']:g} h × "
                   f"{plan['weeks']:g} weeks")
    return out


CONVERSATION_METRICS: dict[str, tuple[str, str]] = {
    "turns_pass": ("turns passing their checks", "mean"),
    "conversations_pass": ("conversations passing whole", "mean"),
    "answer_type": ("answer type right", "mean"),
    "verbatim_repeats": ("verbatim repeats", "sum"),
    "refused": ("in-domain requests refused", "sum"),
    "essay_rank_violations": ("invented essay ranks", "sum"),
}


@dataclass
class ConversationReport:
    split: str
    outcomes: list[ConversationOutcome]
    figures: dict[str, dict[str, float]]
    below_floor: list[str]
    seconds: float
    turn_ms_p50: float


def figures_of(outcomes: list[ConversationOutcome]) -> dict[str, dict[str, float]]:
    turns = [t for o in outcomes for t in o.turns]
    n = max(len(turns), 1)

    def fig(value: float, cases: int) -> dict[str, float]:
        return {"value": round(value, 3), "cases": cases}

    return {
        "turns_pass": fig(sum(not t.failures for t in turns) / n, len(turns)),
        "conversations_pass": fig(sum(o.passed for o in outcomes) / max(len(outcomes), 1), len(outcomes)),
        "answer_type": fig(sum(not any(f.startswith("answer type") for f in t.failures) for t in turns) / n,
                           len(turns)),
        "verbatim_repeats": fig(sum(t.repeated for t in turns), len(turns)),
        "refused": fig(sum(t.refused for t in turns), len(turns)),
        "essay_rank_violations": fig(sum(t.violations for t in turns), len(turns)),
    }


def evaluate_conversations(service_factory: Callable[[Path], Any], conversations: list[Conversation],
                           knowledge: Knowledge, split: str, floors: dict[str, float]) -> ConversationReport:
    """Run each conversation in its own session of a fresh offline service and check every turn."""
    start = time.perf_counter()
    durations: list[float] = []
    outcomes = []
    with tempfile.TemporaryDirectory(prefix="advisor-eval-") as tmp:
        service = service_factory(Path(tmp))
        for c in conversations:
            answers: list[Answer] = []
            turns = []
            for t in c.turns:
                t0 = time.perf_counter()
                answer = next(e.answer for e in service.ask(c.id, t.say, "detailed") if isinstance(e, TurnFinished))
                durations.append(time.perf_counter() - t0)
                turns.append(check_turn(t, answer, answers, knowledge))
                answers.append(answer)
            outcomes.append(ConversationOutcome(c, turns))
    figures = figures_of(outcomes)
    durations.sort()
    p50 = durations[len(durations) // 2] * 1000 if durations else 0.0
    below = check_floors(figures, floors, CONVERSATION_METRICS)
    return ConversationReport(split, outcomes, figures, below, time.perf_counter() - start, p50)
