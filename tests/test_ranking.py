"""The exposure model agrees with everything the essay states, explains itself, and answers what-ifs."""

from __future__ import annotations

import re

import pytest

from advisor.knowledge import Knowledge
from advisor.knowledge.explain import explain_rank
from advisor.knowledge.ranking import (
    DEFAULT_WEIGHTS,
    RankingInputError,
    parse_override,
    parse_weights,
    rank_fields,
    scenario_overrides,
)


def test_default_ranking_agrees_with_the_essay(knowledge: Knowledge) -> None:
    ranking = rank_fields(knowledge)
    assert ranking.fields[0].id == "scalable-oversight"
    assert ranking.get("mechanistic-interpretability").rank <= 5
    assert {"technical-governance", "evaluations", "field-building"} <= ranking.safer_half
    assert [f.rank for f in ranking.fields] == list(range(1, len(ranking.fields) + 1))


def test_scores_are_weighted_means_that_stay_in_range(knowledge: Knowledge) -> None:
    for f in rank_fields(knowledge).fields:
        assert 0.0 <= f.score <= 1.0
        assert f.score == pytest.approx(sum(c.contribution for c in f.factors))
    card = knowledge.field("agent-foundations")
    ranked = rank_fields(knowledge).get(card.id)
    # agent foundations: hardest to verify, least incentive, most taste: the least exposed field
    assert ranked.rank == len(knowledge.fields)


def test_no_explanation_claims_an_essay_rank_the_essay_lacks(knowledge: Knowledge) -> None:
    stated = {r.field for r in knowledge.essay.essay_ranks}
    for card in knowledge.fields:
        e = explain_rank(knowledge, card.id)
        if card.id in stated:
            assert e.source_of_rank == "essay" and e.essay_rank == 1
        else:
            assert e.source_of_rank == "model" and e.essay_rank is None
            assert any("our model's estimate" in c for c in e.caveats)
            text = " ".join([e.essay_says, *(ev.text for ev in e.essay_evidence)])
            assert not re.search(r"essay (ranks|puts|places)", text, re.IGNORECASE)


def test_explanation_carries_factors_evidence_and_other_views(knowledge: Knowledge) -> None:
    e = explain_rank(knowledge, "evals")
    assert e.id == "evaluations"
    assert {f.factor for f in e.factors} == set(DEFAULT_WEIGHTS)
    assert {ev.passage_id for ev in e.essay_evidence} >= {"essay-21", "essay-24"}
    assert all(ev.text == knowledge.passage(ev.passage_id).text for ev in e.essay_evidence)
    # Wehner's model disagrees with putting evals in the safer half: the user must see it, cited
    wehner = [v for v in e.other_views if "Wehner" in v.source]
    assert wehner and not wehner[0].agrees_with_model
    assert any("Wehner" in c for c in e.caveats)
    assert any("trusted-eval-generation" in c for c in e.caveats)
    # the UK AISI paper says fuzzy tasks are unsafe to hand over, not that evals are automated later: no side taken
    aisi = [v for v in e.other_views if v.id == "aisi-fuzzy"]
    assert aisi and aisi[0].agrees_with_model is None
    assert not any("Automated Alignment is Harder" in c for c in e.caveats)


def test_raising_feedback_quality_weight_moves_fields_and_says_why(knowledge: Knowledge) -> None:
    base = rank_fields(knowledge)
    heavy = rank_fields(knowledge, parse_weights("feedback_quality=9"))
    moved = [f.id for f in heavy.fields if f.rank != base.get(f.id).rank]
    assert moved
    e = explain_rank(knowledge, moved[0], heavy)
    assert e.what_if is not None and e.what_if.old_rank != e.what_if.new_rank
    assert "weight of feedback quality is 9.0 instead of 3.0" in e.what_if.sentence


def test_trusting_automated_eval_generation_moves_evals_up(knowledge: Knowledge) -> None:
    base = rank_fields(knowledge)
    what_if = rank_fields(knowledge, overrides=scenario_overrides(knowledge, ["trusted-eval-generation"]))
    before, after = base.get("evaluations").rank, what_if.get("evaluations").rank
    assert after < before
    e = explain_rank(knowledge, "evaluations", what_if)
    assert e.what_if is not None
    assert f"moves from #{before} to #{after}" in e.what_if.sentence
    assert "feedback quality scored 5 instead of 3" in e.what_if.sentence


def test_a_single_score_override_by_alias(knowledge: Knowledge) -> None:
    field_id, factor, score = parse_override("mech interp.research_taste=5", knowledge)
    assert (field_id, factor, score) == ("mechanistic-interpretability", "research_taste", 5)
    base = rank_fields(knowledge).get(field_id)
    changed = rank_fields(knowledge, overrides={field_id: {factor: score}}).get(field_id)
    assert changed.score < base.score and changed.rank > base.rank


@pytest.mark.parametrize(
    "text", ["feedback_quality", "novelty=2", "feedback_quality=lots", "feedback_quality=-1",
             "feedback_quality=0,economic_incentive=0,research_taste=0,human_interaction=0"],
)
def test_bad_weights_are_rejected_with_the_accepted_form(text: str) -> None:
    with pytest.raises(RankingInputError):
        parse_weights(text)


@pytest.mark.parametrize("text", ["evals.feedback_quality=6", "evals.speed=3", "evals=3", "evals.research_taste=x"])
def test_bad_overrides_are_rejected(knowledge: Knowledge, text: str) -> None:
    with pytest.raises(RankingInputError):
        parse_override(text, knowledge)


def test_a_field_among_the_more_exposed_is_told_by_what_exposes_it(knowledge: Knowledge) -> None:
    from advisor.knowledge.recommend import safety_reasons

    ranking = rank_fields(knowledge)
    exposed, safe = ranking.fields[1], ranking.fields[-1]
    exposed_text = safety_reasons(knowledge.field(exposed.id), ranking, knowledge)[0].text
    top = max(exposed.factors, key=lambda f: f.contribution)
    assert f"What exposes it most is {top.label}" in exposed_text
    assert "What protects it most" in safety_reasons(knowledge.field(safe.id), ranking, knowledge)[0].text


def test_a_field_the_user_asked_for_keeps_a_place_among_the_picks(knowledge: Knowledge) -> None:
    from advisor.knowledge.profile import Profile
    from advisor.knowledge.recommend import recommend

    ranking = rank_fields(knowledge)
    exposed = ranking.fields[1].id  # among the most exposed, so safer fits would push it out
    every_skill = sorted({s for card in knowledge.fields for s in card.skills})
    close_to_all = {card.id: 1.0 for card in knowledge.fields}
    plain = recommend(knowledge, Profile(skills=every_skill), ranking, affinity=close_to_all)
    assert exposed not in [r.field_id for r in plain], "without the wish it is not a pick"
    wished = recommend(knowledge, Profile(skills=every_skill, interests=[exposed]), ranking, affinity=close_to_all)
    assert exposed in [r.field_id for r in wished] and len(wished) == 3
