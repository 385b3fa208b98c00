"""Recommendations: fit to the user's profile × safety against automation × the user's own weights, with
reasons that cite the essay or the field cards, and an ordered reading plan that skips what was read."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from advisor.knowledge.base import LEVELS, FieldCard, Knowledge
from advisor.knowledge.profile import Profile
from advisor.knowledge.ranking import Ranking

NO_FIT_PENALTY = 0.5
LACKS_PENALTY = 0.7
FIT_GATE = 0.3  # when some field fits this well...
FIT_SHARE = 0.55  # ...fields that fit at least this share as well come first, safest first
FIT_FEW = 5  # ...but only the few that fit best


ReasonKind = Literal["interest", "skills", "background", "affinity", "lacks", "dislike", "no_fit", "safety", "essay"]


@dataclass(frozen=True)
class Reason:
    kind: ReasonKind
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

    @property
    def fit_reasons(self) -> list[Reason]:
        """The reasons about the person (not the field's safety, not what the essay says)."""
        return [x for x in self.reasons if x.kind not in ("safety", "essay")]

    @property
    def fit_words(self) -> str:
        return ("a strong fit" if self.fit >= 0.6 else "a good fit" if self.fit >= 0.35 else
                "some fit" if self.fit >= 0.15 else "little fit so far")

    def safety_words(self, total: int) -> str:
        share = (self.rank - 1) / max(total - 1, 1)  # 0 = most exposed, 1 = safest
        return ("among the safest" if share >= 0.75 else "safer than most" if share >= 0.5 else
                "more exposed than most" if share >= 0.25 else "among the most exposed")


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


NEEDS = {  # what a field's skills imply, for people who say they lack it
    "programming": {"python", "pytorch", "software engineering", "ml engineering"},
    "machine learning": {"pytorch", "ml engineering"},
    "mathematics": {"mathematics", "linear algebra", "probability"},
    "teaching": {"teaching", "community building"},
    "policy work": {"policy analysis", "law"},
}


PEOPLE_FACING = re.compile(r"people|human|face-to-face|in person|patients|communit|teach|mentor|relationship")


def fit_score(card: FieldCard, profile: Profile, affinity: float | None = None) -> tuple[float, list[Reason]]:
    """How well a field fits the user (0..1), with the reasons, from what they said they like, do and lack,
    and (`affinity`, 0..1) how close their own description is to the field's work in meaning."""
    score, reasons = 0.0, []
    name = card.name[0].lower() + card.name[1:] if not card.name[:2].isupper() else card.name
    if card.id in profile.interests:
        score += 0.45
        reasons.append(Reason("interest", f"You said {name} interests you."))
    skills = [s for s in card.skills if s in profile.skills]
    if skills:
        score += 0.25 * min(1.0, len(skills) / 2)
        reasons.append(Reason("skills", f"It uses what you already do: {', '.join(skills)}.",
                              [f"field:{card.id}#work"]))
    backgrounds = [b for b in card.backgrounds if b in profile.background]
    if backgrounds:
        score += 0.15
        reasons.append(Reason("background", f"People with your background ({', '.join(backgrounds)}) do this work.",
                              [f"field:{card.id}#work"]))
    if affinity is not None:
        score += 0.45 * affinity ** 2
        if affinity >= 0.7 and not backgrounds:
            reasons.append(Reason("affinity", "What you told me about yourself is close to the people this work "
                                  "suits.", [f"field:{card.id}#suits"]))
    if any(PEOPLE_FACING.search(g) for g in profile.goals) and card.factors["human_interaction"].score >= 4:
        score += 0.2 if card.factors["human_interaction"].score >= 5 else 0.1
        reasons.append(Reason("interest", "You want work with people, and this field runs on people and "
                                          "institutions.", [f"field:{card.id}#factors"]))
    for lack in profile.lacks:
        needed = NEEDS.get(lack, set()) & set(card.skills)
        if needed and len(needed) >= (2 if lack == "programming" else 1):
            score -= 0.35 if lack in ("programming", "machine learning", "mathematics") else 0.25
            reasons.append(Reason("lacks", f"It asks for {lack}, which you said you don't have yet.",
                                  [f"field:{card.id}#work"]))
    if card.id in profile.dislikes:
        score -= 1.0
        reasons.append(Reason("dislike", "You said you don't want this, so I leave it out."))
    return max(0.0, min(1.0, score)), reasons


def safety_reasons(card: FieldCard, ranking: Ranking, knowledge: Knowledge) -> list[Reason]:
    ranked = ranking.get(card.id)
    total = len(ranking.fields)
    essay_rank = knowledge.essay_rank(card.id)
    words = Recommendation(card.id, card.name, 0, 0, 1 - ranked.score, ranked.rank, []).safety_words(total)
    if essay_rank:
        where = f"the essay ranks it #{essay_rank}, the most likely to be automated first"
    else:
        where = f"our model (not the essay) puts it {words} of the {total} fields"
    if ranked.rank <= total // 2:  # among the more exposed: what exposes it, not a protection it barely has
        strongest = max(ranked.factors, key=lambda f: f.contribution)
        verb = "exposes it most"
    else:
        strongest = max(ranked.factors, key=lambda f: f.weight * (1 - f.value))
        verb = "protects it most"
    text = f"On automation, {where}. What {verb} is {strongest.label}: {_sentence(strongest.rationale)}"
    reasons = [Reason("safety", text, [f"field:{card.id}#factors", *knowledge.essay_rank_passages(card.id)])]
    if card.essay.passages:
        reasons.append(Reason("essay", f"What the essay says: {card.essay.says}", card.essay.passages[:2]))
    return reasons


def _sentence(text: str) -> str:
    text = text.strip()
    return (text[0].lower() + text[1:] if text[:2] != text[:2].upper() else text).rstrip(".") + "."


def recommend(knowledge: Knowledge, profile: Profile, ranking: Ranking, weights: Weights | None = None,
              top: int = 3, affinity: dict[str, float] | None = None,
              only: list[str] | None = None) -> list[Recommendation]:
    """Fields ranked for this user: weighted fit plus safety against automation (1 - exposure). Fields they
    said they do not want are left out; `only` scores just those fields (e.g. to explain one)."""
    weights = weights or Weights.for_profile(profile)
    out = []
    for card in knowledge.fields:
        if only and card.id not in only:
            continue
        if card.id in profile.dislikes and not only:
            continue
        fit, fit_reasons = fit_score(card, profile, (affinity or {}).get(card.id) if affinity else None)
        ranked = ranking.get(card.id)
        safety = 1.0 - ranked.score
        total = (weights.fit * fit + weights.safety * safety) / (weights.fit + weights.safety)
        if _asks_for_a_lack(fit_reasons):
            total *= LACKS_PENALTY  # it asks for what you said you lack: not a pick for its safety alone
        if fit < 0.1 and not profile.is_empty():
            total *= NO_FIT_PENALTY  # safe but nothing in common with you: rarely good advice
            fit_reasons = [r for r in fit_reasons if r.kind in ("lacks", "dislike")] + [
                Reason("no_fit", "Nothing you told me points to this field; it is here for its safety from "
                                 "automation.")]
        out.append(Recommendation(card.id, card.name, total, fit, safety, ranked.rank,
                                  fit_reasons + safety_reasons(card, ranking, knowledge)))
    out.sort(key=lambda r: (-r.total, r.rank * -1, r.field_id))
    best = max((r.fit for r in out), default=0.0)
    if best >= FIT_GATE and not only and weights.fit >= 0.35:  # the safer bets among the fields that fit you first
        few = {r.field_id for r in sorted(out, key=lambda r: -r.fit)[:FIT_FEW] if r.fit >= FIT_SHARE * best}
        fitting = [r for r in out if r.field_id in few]  # safest first, as `out` is ordered
        # then the next best fits, those that ask for what the user lacks last
        rest = sorted((r for r in out if r not in fitting),
                      key=lambda r: (_asks_for_a_lack(r.reasons), -r.fit))
        out = fitting + rest
    liked = [r for r in out if r.field_id in profile.interests]
    if liked and not only and top >= 2 and not any(r in out[:top] for r in liked):
        out = [*out[: top - 1], liked[0]]  # a field they asked for keeps a place, with its exposure told plainly
    return out[:top]


def _asks_for_a_lack(reasons: list[Reason]) -> bool:
    return any(r.kind == "lacks" for r in reasons)


def nearest_level(knowledge: Knowledge, field_ids: list[str], profile: Profile, level: str) -> str:
    """`level` if the fields have unread readings at it, else the nearest level that has some."""
    done = set(profile.readings_done)
    have = {r.level for fid in field_ids for r in knowledge.field(fid).readings if r.url not in done}
    order = sorted(LEVELS, key=lambda lv: (abs(LEVELS.index(lv) - LEVELS.index(level)), -LEVELS.index(lv)))
    return next((lv for lv in order if lv in have), level)


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
