"""The grounding check catches every way of crediting the essay with a rank position it does not give
(paraphrases included), and lets true statements through: the essay's #1, our model's positions, and what
the essay does not say."""

from __future__ import annotations

import pytest

from advisor.chat.grounding import Grounder, essay_rank_violation, ground
from advisor.chat.sources import SourceBook
from advisor.knowledge import Knowledge

INVENTED = [
    "The essay's #2 is mechanistic interpretability.",
    "The essay's #2 is…",
    "Mech interp comes 2nd in the post.",
    "Evals is number two on the author's list.",
    "Mech interp is the author's second pick.",
    "The essay ranked it below scalable oversight, at 3.",
    "The essay ranks evals #3 on its list.",
    "The author puts mech interp second.",
    "In the essay, field building is placed last.",
    "The post puts field building at the bottom of its list.",
    "The essay ranks scalable oversight first and mech interp second.",
    "The essay ranks evals first, not scalable oversight.",
    "According to the essay, mech interp is second.",
    "The essay says evals is the second-most likely to be automated.",
    "In the post, evals sits in third place.",
    "The author's list has mech interp at number 4.",
    "Mech interp is #3 in the essay.",
    "The essay places evals in its top three.",
    "The essay says evals is most likely to be automated first.",
    "The essay ranks it second.",
    "The blog post lists interpretability as No. 2.",
    "Per the essay, evals ranks 5.",
    "The author ranks technical governance last.",
    "Scalable oversight is first and evals is second on the essay's list.",
    "Mech interp is the essay's runner-up.",
    "The author ranks evals just behind scalable oversight.",
]

TRUE = [
    "The essay ranks scalable oversight first.",
    "Our model puts evals at #9.",
    "The essay does not give mech interp's position.",
    "The essay's #2 is unknown: its list was lost.",
    "The essay doesn't say evals is #2, only that scalable oversight is #1.",
    "The essay ranks scalable oversight first; our model puts evals at #9.",
    "Evals is #9 of 16 by exposure to automation (safer half); our model's estimate, not the essay's.",
    "The essay's ranked list was lost in the scrape, so this position (#9 of 16) is our model's estimate.",
    "The essay puts Scalable oversight at #1 (most likely to be automated first).",
    "In the essay, scalable oversight is at the top of the list.",
    "The author leans to evals as a safer bet, less likely to be automated first.",
    "The essay says evals could plausibly be ranked differently depending on trust in eval generation.",
    "The essay's second factor is economic incentive.",
    "The author's second reply says mech interp remains a big interest.",
    "The essay names two factors: first, feedback quality; second, economic incentive.",
    "The essay says mech interp was first at an earlier draft.",
    "The essay is about which fields will be automated first.",
    "At first glance the essay seems to favour mech interp.",
    "The author's last comment mentions field building.",
    "Wehner's model puts dangerous-capability evals among the most automatable areas, while the essay's author "
    "leans to evals as a safer bet.",
]


@pytest.mark.parametrize("sentence", INVENTED)
def test_paraphrased_essay_positions_are_caught(sentence: str, knowledge: Knowledge) -> None:
    assert essay_rank_violation(sentence, knowledge)


@pytest.mark.parametrize("sentence", TRUE)
def test_true_statements_pass(sentence: str, knowledge: Knowledge) -> None:
    assert not essay_rank_violation(sentence, knowledge)


def test_a_paraphrase_streamed_in_pieces_is_never_shown(knowledge: Knowledge) -> None:
    grounder = Grounder(SourceBook(), knowledge)
    shown = ""
    answer = "Scalable oversight leads. Mech interp is the author's second pick. Evals is #9 in our model."
    for i in range(0, len(answer), 5):
        shown += grounder.feed(answer[i:i + 5])
    shown += grounder.finish()
    assert shown == "Scalable oversight leads. Evals is #9 in our model."
    assert len(grounder.flags) == 1 and "rank position it does not state" in grounder.flags[0]


def test_the_knowledge_base_itself_passes(knowledge: Knowledge) -> None:
    """Every sentence the advisor could quote from its own knowledge is let through (no false alarms)."""
    from advisor.search.chunking import knowledge_chunks

    for chunk in knowledge_chunks(knowledge):
        _, grounder = ground(chunk.extra.get("quote", chunk.text), SourceBook(), knowledge)
        assert not grounder.flags, (chunk.passage_id, grounder.flags)
