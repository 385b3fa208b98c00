"""The automation-exposure model: which fields are likely to be automated first, and why.

Each field has a score from 1 to 5 on four factors. The essay's two factors (feedback quality, economic
incentive) raise exposure; our two secondary factors (reliance on research taste, dependence on human and
institutional interaction) lower it. A field's exposure score is the weighted mean of its factor values,
each mapped to 0..1 so that 1 always means "easier to automate". Rank 1 = most likely automated first.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

from advisor.errors import InputError
from advisor.knowledge.base import FactorName, FieldCard, Knowledge


@dataclass(frozen=True)
class Factor:
    name: FactorName
    label: str
    raises_exposure: bool
    source: str  # "essay" (one of the essay's two factors) or "model" (ours)
    meaning: str
    default_weight: float


FACTORS: tuple[Factor, ...] = (
    Factor(
        "feedback_quality", "feedback quality", True, "essay",
        "how easy it is to verify the field's research outputs", 3.0,
    ),
    Factor(
        "economic_incentive", "economic incentive", True, "essay",
        "how much reason frontier labs have to automate the research", 3.0,
    ),
    Factor(
        "research_taste", "reliance on research taste", False, "model",
        "how much the work rests on research taste and new concepts", 1.5,
    ),
    Factor(
        "human_interaction", "human and institutional interaction", False, "model",
        "how much the work is done with people and institutions", 1.5,
    ),
)
FACTOR_BY_NAME: dict[str, Factor] = {f.name: f for f in FACTORS}
DEFAULT_WEIGHTS: dict[str, float] = {f.name: f.default_weight for f in FACTORS}
MAX_WEIGHT = 1000.0  # weights are relative; anything larger is a typo, not a preference
WEIGHTS_FORM = (f"FACTOR=NUMBER[,FACTOR=NUMBER...], each NUMBER from 0 to {MAX_WEIGHT:g}, at least one above 0, "
                f"FACTOR one of {', '.join(FACTOR_BY_NAME)} (e.g. feedback_quality=6,research_taste=0)")

Overrides = Mapping[str, Mapping[str, int]]  # field id -> factor -> score 1..5


class RankingInputError(InputError, ValueError):
    """Weights or overrides that cannot be used; the message says what is accepted."""


def parse_weights(text: str) -> dict[str, float]:
    """`feedback_quality=2,economic_incentive=1` -> a full weight table (unnamed factors keep defaults)."""
    weights = dict(DEFAULT_WEIGHTS)
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, sep, value = part.partition("=")
        name = name.strip()
        if not sep or name not in FACTOR_BY_NAME:
            raise RankingInputError(f"Bad weight {part!r}: expected {WEIGHTS_FORM}")
        try:
            weights[name] = float(value)
        except ValueError as exc:
            raise RankingInputError(f"Bad weight {part!r}: {value.strip()!r} is not a number; expected {WEIGHTS_FORM}"
                                    ) from exc
        if not _usable(weights[name]):
            raise RankingInputError(f"Bad weight {part!r}: expected {WEIGHTS_FORM}")
    return check_weights(weights)


def _usable(w: object) -> bool:
    return isinstance(w, int | float) and not isinstance(w, bool) and math.isfinite(w) and 0 <= w <= MAX_WEIGHT


def check_weights(weights: Mapping[str, float]) -> dict[str, float]:
    """The full weight table, or a `RankingInputError` naming the bad weight and the accepted form."""
    unknown = set(weights) - set(FACTOR_BY_NAME)
    if unknown:
        raise RankingInputError(f"Unknown factor(s) {sorted(unknown)}; expected {WEIGHTS_FORM}")
    full = {**DEFAULT_WEIGHTS, **weights}
    for name, w in full.items():
        if not _usable(w):
            raise RankingInputError(f"Bad weight {name}={w!r}: expected {WEIGHTS_FORM}")
    if sum(full.values()) <= 0:
        raise RankingInputError(f"Every weight is 0: at least one must be above 0; expected {WEIGHTS_FORM}")
    return {name: float(w) for name, w in full.items()}


def parse_override(text: str, knowledge: Knowledge) -> tuple[str, str, int]:
    """`evals.feedback_quality=5` -> (field id, factor, score); the field may be named by alias."""
    target, sep, value = text.partition("=")
    field_part, dot, factor = target.strip().rpartition(".")
    if not sep or not dot or factor not in FACTOR_BY_NAME:
        raise RankingInputError(
            f"Bad score override {text!r}: expected FIELD.FACTOR=SCORE, FACTOR one of {', '.join(FACTOR_BY_NAME)}"
        )
    try:
        score = int(value)
    except ValueError as exc:
        raise RankingInputError(f"Bad score override {text!r}: score must be a whole number 1-5") from exc
    if not 1 <= score <= 5:
        raise RankingInputError(f"Bad score override {text!r}: score must be between 1 and 5")
    return knowledge.field(field_part).id, factor, score


@dataclass(frozen=True)
class FactorContribution:
    factor: str
    label: str
    source: str
    score: int
    weight: float
    value: float  # 0..1, 1 = pushes towards automation
    contribution: float  # share of the exposure score
    rationale: str
    changed_from: int | None = None  # the card's score when a what-if changed it

    def to_dict(self) -> dict[str, object]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class RankedField:
    id: str
    name: str
    rank: int
    score: float
    factors: tuple[FactorContribution, ...]

    def to_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "name": self.name,
            "rank": self.rank,
            "score": round(self.score, 4),
            "factors": {f.factor: f.score for f in self.factors},
            "contributions": {f.factor: round(f.contribution, 4) for f in self.factors},
        }


@dataclass(frozen=True)
class Ranking:
    fields: tuple[RankedField, ...]
    weights: dict[str, float]
    overrides: dict[str, dict[str, int]] = field(default_factory=dict)

    def get(self, field_id: str) -> RankedField:
        return next(f for f in self.fields if f.id == field_id)

    @property
    def safer_half(self) -> set[str]:
        """Fields in the less-exposed half of the ranking."""
        n = len(self.fields)
        return {f.id for f in self.fields if f.rank > n // 2}


def exposure(card: FieldCard, weights: Mapping[str, float], overrides: Mapping[str, int] | None = None) -> RankedField:
    """A field's exposure score with each factor's contribution (rank is filled in by `rank_fields`)."""
    overrides = overrides or {}
    top = max(weights.values())  # scaled to at most 1 before summing: no overflow, no underflow to 0
    share = {name: w / top for name, w in weights.items()}
    total = sum(share.values())
    parts = []
    for f in FACTORS:
        card_score = card.factors[f.name].score
        score = overrides.get(f.name, card_score)
        value = (score - 1) / 4 if f.raises_exposure else (5 - score) / 4
        parts.append(
            FactorContribution(
                factor=f.name, label=f.label, source=f.source, score=score, weight=weights[f.name], value=value,
                contribution=share[f.name] / total * value, rationale=card.factors[f.name].rationale,
                changed_from=card_score if score != card_score else None,
            )
        )
    return RankedField(card.id, card.name, 0, sum(p.contribution for p in parts), tuple(parts))


def rank_fields(
    knowledge: Knowledge,
    weights: Mapping[str, float] | None = None,
    overrides: Overrides | None = None,
) -> Ranking:
    """All fields ranked by exposure, most likely automated first; ties broken by feedback quality, then id."""
    full = check_weights(weights or {})
    plain = {k: dict(v) for k, v in (overrides or {}).items()}
    scored = [exposure(card, full, plain.get(card.id)) for card in knowledge.fields]
    scored.sort(key=lambda r: (-round(r.score, 9), -r.factors[0].score, r.id))
    ranked = tuple(
        RankedField(r.id, r.name, i + 1, r.score, r.factors) for i, r in enumerate(scored)
    )
    return Ranking(ranked, full, plain)


def scenario_overrides(knowledge: Knowledge, scenario_ids: list[str]) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {}
    for sid in scenario_ids:
        for change in knowledge.scenario(sid).changes:
            out.setdefault(change.field, {})[change.factor] = change.score
    return out
