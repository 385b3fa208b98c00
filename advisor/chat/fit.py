"""How well a person's own description of themselves matches each field's work, by meaning: their words
(background, skills, what they said about themselves) against each card's facets (its summary, each research
task, each sentence of who it suits) and against each kind of person the card names, with the packaged MiniLM
embedder. A person matches one kind of work, not a card's average, so a field scores by its closest facet
plus its closest named profession. Gives each field a soft 0..1 affinity, so a nurse or a virologist gets
fields that use what they know even when no card lists their job."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import numpy as np

from advisor.knowledge import FieldCard, Knowledge
from advisor.knowledge.profile import Profile

if TYPE_CHECKING:
    from advisor.knowledge.ranking import Ranking
    from advisor.knowledge.recommend import Recommendation

PEOPLE_WEIGHT = 0.5  # a named kind of person counts half as much as a facet of the work


def card_facets(card: FieldCard) -> list[str]:
    """The card's work and the people it suits, one idea per text (the 'Not for…' sentence is left out)."""
    suits = [s.strip() for s in re.split(r"(?<=\.)\s+", card.suits or "") if s.strip()]
    return [f"{card.name}: {card.summary}", *card.research_tasks,
            *(s for s in suits if not s.lower().startswith("not for"))]


def card_people(card: FieldCard) -> list[str]:
    """The kinds of people a card names: the list in its first 'Suits…' sentence, and its backgrounds."""
    first = re.sub(r"^suits\s+", "", (card.suits or "").split(".")[0].strip(), flags=re.I)
    named = [p.strip() for p in re.split(r",\s*|;\s*|\s+and\s+|\s+or\s+", first)]
    return [p for p in named if p and len(p.split()) <= 6] + list(card.backgrounds)


def person_text(profile: Profile) -> str:
    parts = [*profile.about]
    if profile.background:
        parts.append("I am a " + ", ".join(profile.background) + ".")
    if profile.skills:
        parts.append("Skills: " + ", ".join(profile.skills) + ".")
    return " ".join(parts)


def fixed_texts(knowledge: Knowledge) -> list[str]:
    """Every text of the cards that a person's words are compared with (their vectors ship with the knowledge)."""
    return [t for c in knowledge.fields for t in (*card_facets(c), *card_people(c))]


@lru_cache(maxsize=4)
def _vectors(key: tuple[tuple[str, str], ...]) -> tuple[np.ndarray, np.ndarray]:
    """(owner field id per text, unit vectors) for (field id, text) pairs (shipped beside the knowledge)."""
    from advisor.search.semantic import known_vectors

    return np.array([fid for fid, _ in key]), known_vectors([text for _, text in key])


def _closest(owners: np.ndarray, sims: np.ndarray, ids: list[str]) -> np.ndarray:
    return np.array([float(sims[owners == fid].max()) if (owners == fid).any() else 0.0 for fid in ids])


def affinity(knowledge: Knowledge, profile: Profile) -> dict[str, float]:
    """Field id -> 0..1: how close the person's description is to the field (1 = the closest field). Empty
    when they have said nothing about themselves."""
    text = person_text(profile)
    if not text.strip():
        return {}
    from advisor.search.semantic import embed_one

    ids = [c.id for c in knowledge.fields]
    person = embed_one(text[:1200])
    facet_owners, facets = _vectors(tuple((c.id, t) for c in knowledge.fields for t in card_facets(c)))
    people_owners, people = _vectors(tuple((c.id, t) for c in knowledge.fields for t in card_people(c)))
    sims = _closest(facet_owners, facets @ person, ids) + PEOPLE_WEIGHT * _closest(people_owners, people @ person, ids)
    low, high = float(np.min(sims)), float(np.max(sims))
    spread = max(high - low, 1e-6)
    return {fid: round((float(s) - low) / spread, 4) for fid, s in zip(ids, sims, strict=True)}


def picks(knowledge: Knowledge, profile: Profile, ranking: Ranking | None = None, top: int = 3,
          **options: Any) -> list[Recommendation]:
    """The person's picks as every face shows them (chat, profile tab, plan, API, export): the recommender with
    fit read by meaning from what they said, so one profile gets the same fields and the same fit words everywhere."""
    from advisor.knowledge.ranking import rank_fields
    from advisor.knowledge.recommend import recommend

    return recommend(knowledge, profile, ranking or rank_fields(knowledge), top=top,
                     affinity=affinity(knowledge, profile), **options)
