"""What the advisor knows about the user: interests, skills, background, constraints, goals, readings done.

Filled from the conversation (offline by matching field names, aliases and the lexicon in
`knowledge/lexicon.yaml`; an LLM may fill it with structured output) and editable directly.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, Field

from advisor.knowledge import Knowledge, KnowledgeError

Risk = Literal["low", "medium", "high"]


class Constraints(BaseModel):
    runway_months: int | None = Field(default=None, ge=0, le=600, description="months the user can fund a transition")
    hours_per_week: int | None = Field(default=None, ge=0, le=100)
    location: str | None = None
    needs_salary: bool | None = None
    risk_appetite: Risk | None = None


class Profile(BaseModel):
    interests: list[str] = Field(default_factory=list, description="field ids the user likes")
    dislikes: list[str] = Field(default_factory=list, description="field ids the user does not want")
    skills: list[str] = Field(default_factory=list)
    background: list[str] = Field(default_factory=list)
    constraints: Constraints = Field(default_factory=Constraints)
    goals: list[str] = Field(default_factory=list)
    readings_done: list[str] = Field(default_factory=list, description="URLs of readings already done")
    fit_weight: float | None = Field(default=None, ge=0, le=1,
                                     description="how much fit matters against safety from automation (0..1)")

    def merge(self, update: Profile) -> Profile:
        """This profile with `update` applied: lists are unioned (a new like removes an old dislike), set
        constraints overwrite."""

        def union(a: list[str], b: list[str]) -> list[str]:
            return list(dict.fromkeys([*a, *b]))

        dislikes = [d for d in union(self.dislikes, update.dislikes) if d not in update.interests]
        interests = [i for i in union(self.interests, update.interests) if i not in update.dislikes]
        constraints = self.constraints.model_copy(update=update.constraints.model_dump(exclude_none=True))
        return Profile(
            interests=interests, dislikes=dislikes, skills=union(self.skills, update.skills),
            background=union(self.background, update.background), constraints=constraints,
            goals=union(self.goals, update.goals), readings_done=union(self.readings_done, update.readings_done),
            fit_weight=update.fit_weight if update.fit_weight is not None else self.fit_weight,
        )

    def is_empty(self) -> bool:
        return self == Profile()

    def describe(self) -> str:
        """One line for people (and for a model's context)."""
        parts = []
        if self.background:
            parts.append("background: " + ", ".join(self.background))
        if self.skills:
            parts.append("skills: " + ", ".join(self.skills))
        if self.interests:
            parts.append("interested in: " + ", ".join(self.interests))
        if self.dislikes:
            parts.append("not interested in: " + ", ".join(self.dislikes))
        c = self.constraints
        if c.runway_months is not None:
            parts.append(f"runway: {c.runway_months} months")
        if c.hours_per_week is not None:
            parts.append(f"{c.hours_per_week} h/week")
        if c.location:
            parts.append(f"location: {c.location}")
        if c.needs_salary:
            parts.append("needs a salary")
        if c.risk_appetite:
            parts.append(f"risk appetite: {c.risk_appetite}")
        if self.goals:
            parts.append("goals: " + "; ".join(self.goals))
        if self.readings_done:
            parts.append(f"{len(self.readings_done)} reading(s) done")
        if self.fit_weight is not None:
            parts.append(f"weighs fit {self.fit_weight:.0%} against safety from automation")
        return "; ".join(parts) or "nothing yet"


class Lexicon(BaseModel):
    interests: dict[str, list[str]]
    skills: dict[str, str]
    backgrounds: dict[str, str]
    safety_words: list[str]


@lru_cache(maxsize=4)
def load_lexicon(directory: Path) -> Lexicon:
    path = directory / "lexicon.yaml"
    try:
        return Lexicon.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    except FileNotFoundError as exc:
        raise KnowledgeError(f"{path}: file not found") from exc
    except (yaml.YAMLError, ValueError) as exc:
        raise KnowledgeError(f"{path}: {exc}") from exc


def _has(text: str, phrase: str) -> bool:
    return re.search(rf"(?<![\w-]){re.escape(phrase)}(?![\w-])", text) is not None


NEGATION = re.compile(r"\b(not|don't|do not|never|hate|dislike|avoid|no interest in|bored by)\b[^.;,!?]*")
NUMBER_WORDS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
                "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "eighteen": 18, "twenty-four": 24}


def field_mentions(text: str, knowledge: Knowledge) -> list[str]:
    """Field ids named in `text` by id, name or alias, in order of first mention."""
    low = " " + re.sub(r"\s+", " ", text.lower()) + " "
    found: list[tuple[int, str]] = []
    for card in knowledge.fields:
        names = [card.id.replace("-", " "), card.id, card.name.lower(), *card.aliases]
        positions = [m.start() for n in names for m in re.finditer(rf"(?<![\w-]){re.escape(n)}(?![\w-])", low)]
        if positions:
            found.append((min(positions), card.id))
    return [fid for _, fid in sorted(found)]


def extract_profile(text: str, knowledge: Knowledge, lexicon: Lexicon) -> Profile:
    """Offline: what a message says about the user, by matching names, aliases and the lexicon."""
    low = text.lower()
    negated = " ".join(m.group(0) for m in NEGATION.finditer(low))
    positive = NEGATION.sub(" ", low)

    named = field_mentions(positive, knowledge)
    hinted = [fid for phrase, ids in lexicon.interests.items() if _has(positive, phrase) for fid in ids]
    disliked = field_mentions(negated, knowledge) + [
        fid for phrase, ids in lexicon.interests.items() if _has(negated, phrase) for fid in ids
    ]
    interests = [f for f in dict.fromkeys(named + hinted) if f not in disliked]
    skills = list(dict.fromkeys(s for phrase, s in lexicon.skills.items() if _has(positive, phrase)))
    background = list(dict.fromkeys(b for phrase, b in lexicon.backgrounds.items() if _has(positive, phrase)))

    c = Constraints()
    months = re.search(r"(\d+|" + "|".join(NUMBER_WORDS) + r")[ -](?:months?|mo)\b", low)
    years = re.search(r"(\d+|" + "|".join(NUMBER_WORDS) + r")[ -]years? of (?:runway|savings)", low)
    if months:
        c.runway_months = int(NUMBER_WORDS.get(months.group(1), months.group(1)))
    elif years:
        c.runway_months = 12 * int(NUMBER_WORDS.get(years.group(1), years.group(1)))
    hours = re.search(r"(\d+)\s*(?:hours|h|hrs)\s*(?:a|per|/)\s*week", low)
    if hours:
        c.hours_per_week = int(hours.group(1))
    place = re.search(r"\b(?:based in|live in|living in|located in|from)\s+([A-Z][\w]+(?:\s[A-Z][\w]+)?)", text)
    if place:
        c.location = place.group(1)
    if re.search(r"need (?:a |to earn a )?(?:salary|income|paid)|can't afford|cannot afford|have a family", low):
        c.needs_salary = True
    if re.search(r"risk[- ]averse|play it safe|stable job|low risk|safe bet", low):
        c.risk_appetite = "low"
    elif re.search(r"risk[- ]tolerant|happy to take risks?|high risk|comfortable with risk", low):
        c.risk_appetite = "high"

    fit_weight = None
    if re.search(r"(?:care|matters?) (?:most )?about (?:not being automated|safety from automation|job security)"
                 r"|safety (?:from automation )?matters most", low):
        fit_weight = 0.3
    elif re.search(r"(?:care|matters?) (?:most )?about (?:fit|what i enjoy|my interests?)|fit matters most", low):
        fit_weight = 0.7
    goals = [g.strip() for g in re.findall(r"\bi (?:want|hope|plan|would like) to ([^.;!?]+)", low)]
    readings = [
        r.url for card in knowledge.fields for r in card.readings
        if re.search(r"\b(read|finished|done)\b", low) and r.title.lower() in low
    ]
    return Profile(interests=interests, dislikes=list(dict.fromkeys(disliked)), skills=skills,
                   background=background, constraints=c, goals=goals, readings_done=list(dict.fromkeys(readings)),
                   fit_weight=fit_weight)
