"""How well a person's own description of themselves matches each field's work, by meaning: their words
(background, skills, what they said about themselves) against each card's summary, tasks, skills and who it
suits, with the packaged MiniLM embedder. Gives each field a soft 0..1 affinity, so a nurse or a virologist
gets fields that use what they know even when no card lists their job."""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from advisor.knowledge import FieldCard, Knowledge
from advisor.knowledge.profile import Profile


def card_text(card: FieldCard) -> str:
    return (f"{card.name}. {card.summary} Work: {'; '.join(card.research_tasks[:4])}. Skills: "
            f"{', '.join(card.skills)}. Suits: {card.suits or ', '.join(card.backgrounds)}")


def person_text(profile: Profile) -> str:
    parts = [*profile.about]
    if profile.background:
        parts.append("I am a " + ", ".join(profile.background) + ".")
    if profile.skills:
        parts.append("Skills: " + ", ".join(profile.skills) + ".")
    if profile.lacks:
        parts.append("I have no " + ", ".join(profile.lacks) + ".")
    return " ".join(parts)


@lru_cache(maxsize=4)
def _card_vectors(key: tuple[tuple[str, str], ...]) -> tuple[list[str], np.ndarray]:
    from advisor.search.semantic import embed

    return [fid for fid, _ in key], embed([text for _, text in key])


def affinity(knowledge: Knowledge, profile: Profile) -> dict[str, float]:
    """Field id -> 0..1: how close the person's description is to the field (1 = the closest field). Empty
    when they have said nothing about themselves."""
    text = person_text(profile)
    if not text.strip():
        return {}
    from advisor.search.semantic import embed_one

    ids, vectors = _card_vectors(tuple((c.id, card_text(c)) for c in knowledge.fields))
    sims = vectors @ embed_one(text[:1200])
    low, high = float(np.min(sims)), float(np.max(sims))
    spread = max(high - low, 1e-6)
    return {fid: round((float(s) - low) / spread, 4) for fid, s in zip(ids, sims, strict=True)}
