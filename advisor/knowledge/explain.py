"""Why a field ranks where it does: factor contributions, the essay's evidence, other views, caveats, what-ifs.

Never claims an essay rank position the essay does not give: `source_of_rank` is "essay" only for fields in
`essay.yaml`'s `essay_ranks`, and everything else is labelled as our model's estimate.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from advisor.knowledge.base import Knowledge
from advisor.knowledge.ranking import DEFAULT_WEIGHTS, FACTOR_BY_NAME, FactorContribution, Ranking, rank_fields
from advisor.knowledge.views import agrees_with_model
from advisor.prompts import DEFAULT_PROMPTS, Prompts


@dataclass(frozen=True)
class Evidence:
    passage_id: str
    text: str
    provenance: str


@dataclass(frozen=True)
class OtherView:
    id: str
    source: str
    title: str
    url: str
    claim: str
    leans: str
    agrees_with_model: bool | None  # None: the source says nothing about sooner or later for this field


@dataclass(frozen=True)
class Move:
    field_id: str
    old_rank: int
    new_rank: int
    reasons: list[str]
    sentence: str


@dataclass(frozen=True)
class Explanation:
    id: str
    name: str
    rank: int
    total: int
    score: float
    in_safer_half: bool
    factors: list[FactorContribution]
    essay_says: str
    essay_evidence: list[Evidence]
    essay_rank: int | None
    source_of_rank: str  # "essay" or "model"
    caveats: list[str]
    other_views: list[OtherView] = field(default_factory=list)
    what_if: Move | None = None

    def to_dict(self) -> dict[str, object]:
        out = asdict(self)
        out["score"] = round(self.score, 4)
        out["factors"] = [f.to_dict() for f in self.factors]
        return out


def rank_moves(baseline: Ranking, ranking: Ranking, prompts: Prompts = DEFAULT_PROMPTS) -> dict[str, Move]:
    """For every field, how and why its rank differs between `baseline` and `ranking`."""
    moves = {}
    for now in ranking.fields:
        before = baseline.get(now.id)
        reasons = [
            prompts.render("whatif_score_changed", label=f.label, score=f.score, was=f.changed_from)
            for f in now.factors
            if f.changed_from is not None
        ]
        reasons += [
            prompts.render("whatif_weight_changed", label=FACTOR_BY_NAME[name].label, weight=w,
                           was=baseline.weights[name])
            for name, w in ranking.weights.items()
            if w != baseline.weights[name]
        ]
        if now.rank == before.rank:
            sentence = prompts.render("whatif_stayed", rank=now.rank)
        else:
            because = "; ".join(reasons) or prompts.render("whatif_others_moved")
            sentence = prompts.render("whatif_moved", old=before.rank, new=now.rank, reasons=because)
        moves[now.id] = Move(now.id, before.rank, now.rank, reasons, sentence)
    return moves


def explain_rank(knowledge: Knowledge, field_query: str, ranking: Ranking | None = None,
                 prompts: Prompts = DEFAULT_PROMPTS) -> Explanation:
    """Explain one field's position in `ranking` (default: the default-weight ranking)."""
    card = knowledge.field(field_query)
    ranking = ranking or rank_fields(knowledge)
    ranked = ranking.get(card.id)
    total = len(ranking.fields)
    safer = card.id in ranking.safer_half
    essay_rank = knowledge.essay_rank(card.id)

    caveats = []
    if essay_rank is None:
        caveats.append(prompts.render("caveat_model_rank", rank=ranked.rank, total=total))
    elif essay_rank != ranked.rank:
        caveats.append(prompts.render("caveat_essay_rank", name=card.name, essay_rank=essay_rank, rank=ranked.rank))

    views = []
    for a in knowledge.assessments:
        for claim in a.claims:
            if card.id not in claim.fields:
                continue
            agrees = agrees_with_model(claim.leans, safer)
            views.append(OtherView(claim.id, a.authors, a.title, a.url, claim.text, claim.leans, agrees))
            if agrees is False:
                caveats.append(prompts.render("caveat_disagreement", authors=a.authors, title=a.title,
                                              claim=claim.text))
    for s in knowledge.scenarios:
        if any(c.field == card.id for c in s.changes):
            caveats.append(
                prompts.render("caveat_scenario", scenario=s.name, passages=", ".join(s.passage_ids), scenario_id=s.id)
            )
    caveats.append(prompts.render("caveat_judgement", reviewed=card.last_reviewed.isoformat()))

    what_if = None
    if ranking.overrides or ranking.weights != DEFAULT_WEIGHTS:
        what_if = rank_moves(rank_fields(knowledge), ranking, prompts)[card.id]

    evidence = [
        Evidence(pid, (p := knowledge.passage(pid)).text, p.provenance) for pid in card.essay.passages
    ]
    return Explanation(
        id=card.id, name=card.name, rank=ranked.rank, total=total, score=ranked.score, in_safer_half=safer,
        factors=list(ranked.factors), essay_says=card.essay.says, essay_evidence=evidence,
        essay_rank=essay_rank, source_of_rank="essay" if essay_rank is not None else "model",
        caveats=caveats, other_views=views, what_if=what_if,
    )
