"""How the offline advisor reads what a message says about the user (interests, skills, constraints)."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import yaml
from pydantic import BaseModel

from advisor.knowledge import Knowledge, KnowledgeError
from advisor.knowledge.names import field_mentions
from advisor.knowledge.profile import Constraints, Profile


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
