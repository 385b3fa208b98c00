"""How the offline advisor reads a person: what it keeps of their self-description for matching by meaning,
how a field scores against it, and which clauses tell rather than ask. The case set in evals/ measures this
at scale; these pin the mechanisms."""

from __future__ import annotations

import pytest

from advisor.chat.fit import affinity, card_facets, card_people
from advisor.chat.offline.intents import load_intent_model
from advisor.chat.offline.text import clauses, normalise
from advisor.chat.offline.understanding import load_lexicon, read_profile
from advisor.knowledge import Knowledge
from tests.conftest import KNOWLEDGE_DIR


def profile_of(text: str, knowledge: Knowledge):  # type: ignore[no-untyped-def]
    return read_profile(text, knowledge, load_lexicon(KNOWLEDGE_DIR))


def test_negated_and_disliking_clauses_are_left_out_of_what_is_matched_by_meaning(knowledge: Knowledge) -> None:
    profile = profile_of("I write Python tooling for a security team. I do not want policy work, "
                         "and I hate writing regulation briefs.", knowledge)
    assert profile.about, "a self-description is kept for matching by meaning"
    kept = " ".join(profile.about)
    assert "python tooling" in kept
    assert "policy" not in kept and "regulation" not in kept


def test_a_statement_about_oneself_without_a_question_counts_as_a_self_description(knowledge: Knowledge) -> None:
    assert profile_of("Diplomat - 12 yrs at the foreign ministry, arms-control talks mostly.", knowledge).about
    assert profile_of("I farm sheep and rig up sensors with a Raspberry Pi.", knowledge).about
    assert not profile_of("starter readings for multi-agent safety", knowledge).about
    assert not profile_of("suppose labs stop caring about automating safety research", knowledge).about


def test_a_field_scores_by_its_closest_facet_not_its_average(knowledge: Knowledge) -> None:
    """Each research task of a card, said in the first person, makes that card the closest field."""
    for card in knowledge.fields:
        task = card.research_tasks[0]
        profile = profile_of(f"My job is this: {task[0].lower()}{task[1:]}.", knowledge)
        scores = affinity(knowledge, profile)
        top = sorted(scores, key=lambda f: -scores[f])[:1]
        assert card.id in top, (card.id, task, top)


def test_facets_leave_out_who_a_field_is_not_for_and_people_come_from_the_suits_line(knowledge: Knowledge) -> None:
    card = knowledge.field("forecasting")
    assert not any(f.lower().startswith("not for") for f in card_facets(card))
    assert "statisticians" in card_people(card) and "economists" in card_people(card)


@pytest.mark.parametrize("text", ["What I like is figuring out what structure a network has learned.",
                                  "What really gets me going is red-teaming models."])
def test_what_i_like_is_tells_rather_than_asks(text: str) -> None:
    assert not clauses(text)[0].question
    assert clauses(text.rstrip(".") + "?")[0].question


def test_material_in_a_job_description_is_not_a_reading_request() -> None:
    model = load_intent_model(KNOWLEDGE_DIR)
    text = "I verify that declared nuclear material matches what is actually there: seals and inspections."
    assert model.guess(text, normalise(text)).intent != "readings"
    ask = "any good reading material on compute governance?"
    assert model.guess(ask, normalise(ask)).intent == "readings"
