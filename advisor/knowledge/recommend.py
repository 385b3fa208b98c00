"""Recommendations: fit to the user's profile × safety against automation × the user's own weights, with
reasons that cite the essay or the field cards, and an ordered reading plan that skips what was read."""

from __future__ import annotations

from dataclasses import dataclass, field

from advisor.knowledge.base import LEVELS, FieldCard, Knowledge
from advisor.knowledge.profile import Profile
from advisor.knowledge.ranking import Ranking

NO_FIT_PENALTY = 0.5


@dataclass(frozen=True)
class Reason:
    text: str
    sources: list[str] = field(default_factory=list)  # passage ids: essay-NN, field:<id>#section, URLs


@dataclass(frozen=True)
class Recommendation:
    field_id: str
    name: str
    total: float
    fit: float
    safety: float
    rank: int  # exposure rank, 1 = most likely automated first
    reasons: list[Reason]


@dataclass(frozen=True)
class PlannedReading:
    field_id: str
    title: str
    authors: str
    year: int
    url: str
    level: str
    minutes: int


@dataclass(frozen=True)
class Weights:
    fit: float = 0.5
    safety: float = 0.5

    @classmethod
    def for_profile(cls, profile: Profile) -> Weights:
        """The user's own weighting if they gave one; else risk-averse users weigh safety against automation
        more and risk-tolerant users weigh fit more."""
        if profile.fit_weight is not None:
            return cls(profile.fit_weight, 1 - profile.fit_weight)
        risk = profile.constraints.risk_appetite
        return cls(0.35, 0.65) if risk == "low" else cls(0.65, 0.35) if risk == "high" else cls()


def fit_score(card: FieldCard, profile: Profile) -> tuple[float, list[Reason]]:
    """How well a field fits the user (0..1), with the reasons."""
    score, reasons = 0.0, []
    if card.id in profile.interests:
        score += 0.5
        reasons.append(Reason(f"You said you are interested in {card.name.lower()}."))
    skills = [s for s in card.skills if s in profile.skills]
    if skills:
        score += 0.3 * min(1.0, len(skills) / 3)
        reasons.append(Reason(f"Your skills fit the work ({', '.join(skills)}).", [f"field:{card.id}#work"]))
    backgrounds = [b for b in card.backgrounds if b in profile.background]
    if backgrounds:
        score += 0.2
        reasons.append(Reason(f"People with your background ({', '.join(backgrounds)}) move into it.",
                              [f"field:{card.id}#work"]))
    if card.id in profile.dislikes:
        score -= 0.6
        reasons.append(Reason("You said you are not interested in it, so it is ranked down."))
    return max(0.0, min(1.0, score)), reasons


def safety_reasons(card: FieldCard, ranking: Ranking, knowledge: Knowledge) -> list[Reason]:
    ranked = ranking.get(card.id)
    total = len(ranking.fields)
    essay_rank = knowledge.essay_rank(card.id)
    where = (f"the essay ranks it #{essay_rank} most likely to be automated first" if essay_rank
             else f"our model (not the essay) places it #{ranked.rank} of {total} by exposure to automation")
    strongest = max(ranked.factors, key=lambda f: f.weight * (1 - f.value))
    exposing = [f for f in ranked.factors if f is not strongest and f.value > 0.5]
    text = (f"Safety against automation: {where}. What protects it most: {strongest.label} "
            f"({strongest.score}/5): {strongest.rationale}")
    if exposing:
        weakest = max(exposing, key=lambda f: f.contribution)
        text += f" What exposes it most: {weakest.label} ({weakest.score}/5)."
    reasons = [Reason(text, [f"field:{card.id}#factors", *knowledge.essay_rank_passages(card.id)])]
    if card.essay.passages:
        reasons.append(Reason(f"What the essay says: {card.essay.says}", card.essay.passages[:2]))
    return reasons


def recommend(knowledge: Knowledge, profile: Profile, ranking: Ranking, weights: Weights | None = None,
              top: int = 3) -> list[Recommendation]:
    """Fields ranked for this user: weighted fit plus safety against automation (1 - exposure)."""
    weights = weights or Weights.for_profile(profile)
    out = []
    for card in knowledge.fields:
        fit, fit_reasons = fit_score(card, profile)
        ranked = ranking.get(card.id)
        safety = 1.0 - ranked.score
        total = (weights.fit * fit + weights.safety * safety) / (weights.fit + weights.safety)
        if fit == 0 and not profile.is_empty():
            total *= NO_FIT_PENALTY  # safe but nothing in common with you: rarely good advice
            fit_reasons = [Reason("Nothing you told me points to this field; it is here for its safety against "
                                  "automation alone.")]
        out.append(Recommendation(card.id, card.name, total, fit, safety, ranked.rank,
                                  fit_reasons + safety_reasons(card, ranking, knowledge)))
    out.sort(key=lambda r: (-r.total, r.rank * -1, r.field_id))
    return out[:top]


def reading_plan(knowledge: Knowledge, field_ids: list[str], profile: Profile, per_field: int = 3,
                 level: str | None = None) -> list[PlannedReading]:
    """Readings for the fields, intro first, skipping what the user has read; one of each URL."""
    done = set(profile.readings_done)
    seen: set[str] = set()
    plan = []
    for fid in field_ids:
        card = knowledge.field(fid)
        readings = sorted(card.readings, key=lambda r: (LEVELS.index(r.level), r.minutes))
        picked = 0
        for r in readings:
            if r.url in done or r.url in seen or (level and r.level != level):
                continue
            seen.add(r.url)
            plan.append(PlannedReading(card.id, r.title, r.authors, r.year, r.url, r.level, r.minutes))
            picked += 1
            if picked == per_field:
                break
    plan.sort(key=lambda p: (LEVELS.index(p.level), field_ids.index(p.field_id)))
    return plan
