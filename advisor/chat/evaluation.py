"""`advisor eval`: runs the labelled case set in `evals/` through the conversation service (offline) and
scores what a user would notice: intent, top-3 fields for a person, what was recorded about them (with
polarity), what-if direction, reading choices, honest essay answers, valid citations, and no invented essay
ranks. The held-out part is never tuned on; its figures are the honest ones."""

from __future__ import annotations

import contextlib
import re
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, Field

from advisor.chat.events import Answer, ToolCalled, TurnFinished
from advisor.chat.grounding import CITATION, essay_rank_violation
from advisor.errors import DataError
from advisor.knowledge import Knowledge
from advisor.knowledge.names import field_mentions
from advisor.knowledge.ranking import DEFAULT_WEIGHTS

Split = Literal["tuning", "heldout"]
HONEST_NOT_STATED = re.compile(
    r"does not (?:say|give|name|list|rank|state|mention)|doesn't (?:say|give|name|list|rank|state|mention)|"
    r"not (?:in|part of) the (?:text|scrape|post)|was lost|were lost|lost (?:when|in) (?:it was )?scrap|"
    r"isn't (?:stated|in the text)|is not (?:stated|in the text)|no (?:date|year|ranking|position) (?:is )?given|"
    r"silent|only (?:its|the) #1|only the first", re.IGNORECASE)


class Case(BaseModel):
    id: str
    kind: Literal["intent", "persona", "profile", "what_if", "readings", "essay", "conversation"]
    message: str | None = None
    turns: list[str] = Field(default_factory=list)
    intent: str | None = None
    acceptable: list[str] = Field(default_factory=list)
    unacceptable: list[str] = Field(default_factory=list)
    expect: dict[str, Any] = Field(default_factory=dict)
    forbid: dict[str, Any] = Field(default_factory=dict)
    factor: str | None = None
    scenario: str | None = None
    direction: Literal["up", "down"] | None = None
    fields: list[str] = Field(default_factory=list)
    level: str | None = None
    honest: Literal["not_stated", "stated"] | None = None
    refers_to: str | None = None
    note: str | None = None

    def messages(self) -> list[str]:
        return self.turns or ([self.message] if self.message else [])


def load_cases(path: Path) -> list[Case]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        return [Case.model_validate(c) for c in data["cases"]]
    except (OSError, yaml.YAMLError, KeyError, TypeError, ValueError) as exc:
        raise DataError(f"{path}: cannot read the case set ({exc})") from exc


@dataclass
class Turn:
    answer: Answer
    calls: list[ToolCalled]


@dataclass
class Outcome:
    case: Case
    turns: list[Turn]
    checks: dict[str, float] = field(default_factory=dict)  # metric -> 1.0 pass / 0.0 fail (or a count)
    notes: list[str] = field(default_factory=list)

    @property
    def last(self) -> Turn:
        return self.turns[-1]


def run_case(ask: Callable[[str, str], Iterable[Any]], case: Case) -> Outcome:
    turns = []
    for text in case.messages():
        calls: list[ToolCalled] = []
        answer = None
        for event in ask(case.id, text):
            if isinstance(event, ToolCalled):
                calls.append(event)
            elif isinstance(event, TurnFinished):
                answer = event.answer
        assert answer is not None
        turns.append(Turn(answer, calls))
    return Outcome(case, turns)


def recorded_as(expected: str, recorded: list[str]) -> bool:
    """Whether `expected` (free words) is among what was recorded: case-insensitive containment either way."""
    e = expected.lower()
    return any(e in r.lower() or r.lower() in e for r in recorded if r)


def score(outcome: Outcome, knowledge: Knowledge) -> Outcome:
    c, last = outcome.case, outcome.last
    a = last.answer
    checks, notes = outcome.checks, outcome.notes
    # Every answer: citations valid, no invented essay rank.
    for t in outcome.turns:
        shown = {int(n) for n in CITATION.findall(t.answer.answer)}
        listed = {ci.n for ci in t.answer.citations}
        valid = shown <= listed and all(ci.text and ci.source for ci in t.answer.citations)
        checks["citations_valid"] = min(checks.get("citations_valid", 1.0), float(valid))
        sentences = re.split(r"(?<=[.!?])\s+|\n", t.answer.answer)
        violations = sum(essay_rank_violation(s, knowledge) for s in sentences)
        checks["essay_rank_violations"] = checks.get("essay_rank_violations", 0) + violations
    if c.intent:
        checks["intent"] = float(a.intent == c.intent)
        if a.intent != c.intent:
            notes.append(f"intent {a.intent!r}, expected {c.intent!r}")
    if c.kind == "persona":
        top = a.recommendations[:3]
        hit = bool(set(top) & set(c.acceptable)) and not set(top) & set(c.unacceptable)
        checks["persona_top3"] = float(hit)
        if not hit:
            notes.append(f"top 3 {top}; acceptable {c.acceptable}, unacceptable {c.unacceptable}")
    if c.kind == "profile":
        _score_profile(outcome, a.profile)
    if c.kind == "what_if" or (c.kind == "conversation" and c.intent == "what_if" and (c.factor or c.scenario)):
        ranks = [call for call in last.calls if call.name == "rank_fields"]
        args = ranks[-1].args if ranks else {}
        if c.scenario:
            ok = args.get("scenario") == c.scenario
        else:
            weights = args.get("weights") or {}
            w = weights.get(c.factor) if c.factor else None
            base = DEFAULT_WEIGHTS.get(c.factor or "", 0)
            ok = w is not None and ((w > base) if c.direction == "up" else (w < base))
        checks["whatif_direction"] = float(ok)
        if not ok:
            notes.append(f"what-if call {args}, expected {c.scenario or (c.factor, c.direction)}")
    if c.kind == "readings" or (c.kind == "conversation" and c.intent == "readings" and c.fields):
        _score_readings(outcome, knowledge)
    if c.kind == "essay" and c.honest == "not_stated":
        ok = bool(HONEST_NOT_STATED.search(a.answer))
        checks["essay_honest"] = float(ok)
        if not ok:
            notes.append("does not say plainly that the essay does not give this")
    if c.refers_to:
        _score_reference(outcome, knowledge)
    return outcome


def _score_profile(outcome: Outcome, profile: dict[str, Any]) -> None:
    c, checks, notes = outcome.case, outcome.checks, outcome.notes
    found = expected = 0
    for key, items in c.expect.items():
        if key == "constraints":
            for name, value in items.items():
                expected += 1
                got = profile["constraints"].get(name)
                ok = got == value or (isinstance(value, str) and isinstance(got, str) and value.lower() in got.lower())
                found += ok
                if not ok:
                    notes.append(f"constraint {name}: {got!r}, expected {value!r}")
            continue
        for item in items:
            expected += 1
            ok = item in profile[key] if key in ("interests", "dislikes") else recorded_as(item, profile[key])
            found += ok
            if not ok:
                notes.append(f"{key}: {item!r} not recorded ({profile[key]})")
    wrong = polarity = 0
    for key, items in c.forbid.items():
        if key == "constraints":
            for name in items:
                if profile["constraints"].get(name) is not None:
                    wrong += 1
                    notes.append(f"constraint {name} set to {profile['constraints'][name]!r}, should stay unset")
            continue
        for item in items:
            bad = item in profile[key] if key in ("interests", "dislikes") else recorded_as(item, profile[key])
            if bad:
                wrong += 1
                polarity += key in ("interests", "dislikes")
                notes.append(f"{key}: {item!r} recorded but should not be")
    if expected:
        checks["profile_recall"] = found / expected
    checks["profile_false"] = wrong
    checks["polarity_errors"] = polarity


def _score_readings(outcome: Outcome, knowledge: Knowledge) -> None:
    c, a = outcome.case, outcome.last.answer
    by_url: dict[str, tuple[set[str], str]] = {}
    for card in knowledge.fields:
        for r in card.readings:  # a reading may sit on several cards
            by_url.setdefault(r.url, (set(), r.level))[0].add(card.id)
    cited = [by_url[ci.source] for ci in a.citations if ci.kind == "reading" and ci.source in by_url]
    in_fields = [bool(fids & set(c.fields)) for fids, _ in cited]
    ok = bool(cited) and all(in_fields)
    if ok and c.level:
        available = {r.level for f in c.fields for r in knowledge.field(f).readings}
        want = c.level if c.level in available else None
        ok = want is None or any(level == want for _, level in cited)
    outcome.checks["readings_valid"] = float(ok)
    if not ok:
        outcome.notes.append(f"readings {cited}, expected fields {c.fields} level {c.level}")


def _score_reference(outcome: Outcome, knowledge: Knowledge) -> None:
    c = outcome.case
    first = outcome.turns[0].answer
    position = {"first_recommendation": 0, "second_recommendation": 1, "third_recommendation": 2}
    if c.refers_to in position:
        recs = first.recommendations
        target = recs[position[c.refers_to]] if len(recs) > position[c.refers_to] else None
    else:  # last_field: the field the turn before the last was about
        prev = outcome.turns[-2]
        talked = []
        for call in prev.calls:  # a field asked about, or defined ("tell me about X" may define it)
            for k, v in call.args.items():
                if k in ("field", "term") and v:
                    with contextlib.suppress(KeyError):
                        talked.append(knowledge.field(str(v)).id)
        target = talked[-1] if talked else next(iter(prev.answer.recommendations), None)
    args = [call.args for call in outcome.last.calls if call.name != "update_profile"]
    mentioned: list[str] = []
    for arg in args:
        if arg.get("query"):  # a search about the field names it in its query
            mentioned += field_mentions(str(arg["query"]), knowledge)
        for key in ("field", "fields"):
            value = arg.get(key)
            for v in (value if isinstance(value, list) else [value] if value else []):
                try:
                    mentioned.append(knowledge.field(str(v)).id)
                except KeyError:
                    continue
    ok = target is not None and target in mentioned
    outcome.checks["reference"] = float(ok)
    if not ok:
        outcome.notes.append(f"referred to {mentioned}, expected {target} ({c.refers_to})")


METRICS: dict[str, tuple[str, str]] = {  # name -> (label, how it is aggregated)
    "intent": ("intent accuracy", "mean"),
    "persona_top3": ("persona top-3 hit rate", "mean"),
    "profile_recall": ("profile recall", "mean"),
    "profile_false": ("profile false entries", "sum"),
    "polarity_errors": ("polarity errors", "sum"),
    "whatif_direction": ("what-if direction accuracy", "mean"),
    "readings_valid": ("reading validity", "mean"),
    "essay_honest": ("honest 'the essay does not say'", "mean"),
    "reference": ("follow-up reference resolution", "mean"),
    "citations_valid": ("citation validity", "mean"),
    "essay_rank_violations": ("invented essay ranks", "sum"),
}


def aggregate(outcomes: list[Outcome]) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    for name, (_, how) in METRICS.items():
        values = [o.checks[name] for o in outcomes if name in o.checks]
        if values:
            value = sum(values) / len(values) if how == "mean" else sum(values)
            out[name] = {"value": round(value, 3), "cases": len(values)}
    return out


def check_floors(figures: dict[str, dict[str, float]], floors: dict[str, float],
                 metrics: dict[str, tuple[str, str]] | None = None) -> list[str]:
    """The metrics below their floor (for sums: above their ceiling)."""
    metrics = metrics or METRICS
    failed = []
    for name, bound in floors.items():
        if name not in figures:
            continue
        value = figures[name]["value"]
        if (metrics[name][1] == "sum" and value > bound) or (metrics[name][1] == "mean" and value < bound):
            failed.append(f"{metrics[name][0]}: {value} (floor {bound})")
    return failed


@dataclass
class Report:
    split: str
    figures: dict[str, dict[str, float]]
    failures: list[Outcome]
    below_floor: list[str]
    seconds: float
    turn_ms_p50: float


def evaluate(service_factory: Callable[[Path], Any], cases: list[Case], knowledge: Knowledge, split: str,
             floors: dict[str, float]) -> Report:
    """Run `cases` through a fresh offline service (its own sessions) and score them."""
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="advisor-eval-") as tmp:
        service = service_factory(Path(tmp))
        durations: list[float] = []

        def ask(session: str, text: str) -> Iterable[Any]:
            t0 = time.perf_counter()
            events = list(service.ask(session, text, "detailed"))
            durations.append(time.perf_counter() - t0)
            return events

        outcomes = [score(run_case(ask, case), knowledge) for case in cases]
    figures = aggregate(outcomes)
    failures = [o for o in outcomes if any(v < 1 for k, v in o.checks.items()
                                           if METRICS.get(k, ("", ""))[1] == "mean") or o.checks.get(
        "polarity_errors") or o.checks.get("essay_rank_violations") or o.checks.get("profile_false")]
    durations.sort()
    p50 = durations[len(durations) // 2] * 1000 if durations else 0.0
    return Report(split, figures, failures, check_floors(figures, floors), time.perf_counter() - start, p50)
