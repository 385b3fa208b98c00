"""The grounding check catches every way of crediting the essay with a rank position it does not give
(paraphrases, lists, context and look-alike letters included), and lets true statements through: the essay's
#1, our model's positions, other assessments, the advisor's own picks, and what the essay does not say.

Three layers: hand-picked sentences (below), a labelled corpus of phrasings kept in `grounding_corpus.yaml`,
and property tests that build claims and honest sentences from parts, with random look-alike letters and
invisible characters."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from advisor.chat.essay_claims import normalise
from advisor.chat.grounding import Grounder, essay_rank_violation, ground
from advisor.chat.sources import SourceBook
from advisor.knowledge import Knowledge, load_knowledge
from advisor.settings import PROJECT_ROOT

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


def test_text_is_read_as_a_person_sees_it() -> None:
    """Look-alike letters, invisible characters and compatibility forms read as the Latin text they show."""
    tricky = ("\u0422he \uff45s\u200bs\u0251\u0443\u2019s \u2116\u00a02 is \U0001d41e\u0475\u03b1ls, "
              "r\u0430nked se\u00adcond")
    assert normalise(tricky) == "The essay's No 2 is evals, ranked second"
    assert normalise('The essay "Which technical AI safety fields are going to be automated first?"') == (
        "The essay the essay")


# ------------------------------------------------------------------------------------------------ the corpus

CORPUS: dict[str, list[dict[str, Any]]] = yaml.safe_load((Path(__file__).with_name("grounding_corpus.yaml"))
                                                         .read_text(encoding="utf-8"))
RANK_FLAG = "rank position it does not state"


def _cases(label: str) -> list[Any]:
    return [pytest.param(case, id=f"{label}-{i:03d}-{case['kind']}") for i, case in enumerate(CORPUS[label])]


def _streamed(text: str, knowledge: Knowledge, size: int) -> tuple[str, Grounder]:
    """The text as a model streams it, `size` characters at a time."""
    grounder = Grounder(SourceBook(), knowledge)
    shown = "".join(grounder.feed(text[i:i + size]) for i in range(0, len(text), size)) + grounder.finish()
    assert shown == grounder.displayed
    return shown, grounder


def test_the_corpus_holds_at_least_100_labelled_phrasings() -> None:
    assert len(CORPUS["invented"]) + len(CORPUS["honest"]) >= 100
    assert min(len(CORPUS["invented"]), len(CORPUS["honest"])) >= 40
    assert all(set(case) <= {"text", "kind", "shown"} for label in CORPUS for case in CORPUS[label])


@pytest.mark.parametrize("case", _cases("invented"))
def test_an_invented_essay_position_is_never_shown(case: dict[str, Any], knowledge: Knowledge) -> None:
    """Removed before display and flagged, whether the answer comes whole or a few characters at a time."""
    for size in (len(case["text"]), 3):
        shown, grounder = _streamed(case["text"], knowledge, size)
        assert shown.strip() == case.get("shown", ""), f"chunks of {size}"
        assert any(RANK_FLAG in flag for flag in grounder.flags), f"chunks of {size}"


@pytest.mark.parametrize("case", _cases("honest"))
def test_honest_text_is_shown_unchanged(case: dict[str, Any], knowledge: Knowledge) -> None:
    for size in (len(case["text"]), 3):
        shown, grounder = _streamed(case["text"], knowledge, size)
        assert shown == case["text"] and not grounder.flags, f"chunks of {size}"


# ------------------------------------------------------------------------------------------ property tests

KNOWLEDGE = load_knowledge(PROJECT_ROOT / "knowledge")  # hypothesis strategies are built before any fixture
FIRST = {r.field for r in KNOWLEDGE.essay.essay_ranks if r.rank == 1}
NAMES = sorted({n for card in KNOWLEDGE.fields for n in (card.name, *card.aliases)})
NOT_FIRST_NAMES = sorted({n for card in KNOWLEDGE.fields if card.id not in FIRST for n in (card.name, *card.aliases)})

SOURCES = ["the essay", "the post", "the author", "the blog post", "the LessWrong post", "the essay's author",
           "the article", "the writer"]
ORDINALS = ["second", "third", "fourth", "fifth", "ninth", "twelfth", "last"]
# (position as said after "ranks X ...", position as a noun phrase)
POSITIONS = [("second", "second"), ("third", "third"), ("#2", "#2"), ("# 3", "#3"), ("No. 2", "No. 2"),
             ("No 4", "No 4"), ("No2", "number two"), ("2 of 16", "2 of 16"), ("3/16", "3 out of 16"),
             ("in 5th place", "in 5th place"), ("at position 6", "at position 6"), ("last", "last on the list"),
             ("at the bottom", "at the bottom of the list"), ("just below scalable oversight", "the runner-up"),
             ("right after oversight", "second only to scalable oversight"), ("2nd", "the second most likely to "
             "be automated")]
CLAIMS = [
    "{Src} ranks {field} {pos}.",
    "{Src} puts {field} {pos}.",
    "According to {src}, {field} is {noun}.",
    "In {src}'s ranking, {field} is {noun}.",
    "{field} comes {pos} in {src}.",
    "{Src} says {field} will be automated {ordinal}.",
    "{Src}'s #{n} is {field}.",
    "{Src}'s ranked list is: 1. Scalable oversight 2. {field} 3. {other}",
    "{Src} ranks the fields like this:\n1. Scalable oversight\n{n}. {field}\n",
    "According to {src}, scalable oversight will be automated first. {Field} will be automated {ordinal}.",
]
FIRST_CLAIMS = [
    "{Src} ranks {field} first.",
    "{Src}'s #1 is {field}.",
    "{Src} says {field} will be automated first.",
    "According to {src}, {field} tops the list.",
]
HONEST = [
    "Our model puts {field} {pos}.",
    "Our model (not the essay) ranks {field} #{n}.",
    "The essay does not give the position of {field}; our model places it #{n} of 16.",
    "Wehner's post ranks {field} among the most automatable.",
    "{Field} is #{n} of 16 on exposure to automation; that position is our model's estimate, not the essay's.",
    "The essay's #{n} is unknown, so nobody can say whether {field} is {ordinal}.",
    "Scalable oversight is the essay's #1; {field} is #{n} in our model.",
    "1. {Field}: a good fit for you.\n2. {Other}: a fair fit for you.\n",
    "My top picks for you: 1. {Field} 2. {Other}.",
    "The essay names {field} as one of the safer bets, but its position on the list is not known.",
    "The second factor the essay names is economic incentive; it matters for {field}.",
]

# Look-alikes written out here, independently of the checker's own table: Latin letter -> letters that look
# the same in Cyrillic or Greek.
LOOKALIKES = {"a": "аα", "c": "сϲ", "e": "еε", "i": "іι", "o": "оο", "p": "рρ", "s": "ѕ", "x": "хχ", "y": "у",
              "h": "һ", "j": "ј", "A": "АΑ", "B": "ВΒ", "E": "ЕΕ", "H": "НΗ", "K": "КΚ", "M": "МΜ", "O": "ОΟ",
              "P": "РΡ", "T": "ТΤ", "X": "ХΧ", "N": "Ν", "I": "І"}
INVISIBLE = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad"]


@st.composite
def disguised(draw: st.DrawFn, text: str) -> str:
    """`text` with some letters swapped for look-alikes, invisible characters slipped in, or a word in
    full-width letters."""
    chars = list(text)
    for _ in range(draw(st.integers(0, 6))):
        i = draw(st.integers(0, len(chars) - 1))
        trick = draw(st.sampled_from(["lookalike", "invisible", "fullwidth"]))
        if trick == "lookalike" and chars[i] in LOOKALIKES:
            chars[i] = draw(st.sampled_from(LOOKALIKES[chars[i]]))
        elif trick == "invisible" and chars[i].isalnum():
            chars[i] = chars[i] + draw(st.sampled_from(INVISIBLE))
        elif trick == "fullwidth" and chars[i].isascii() and chars[i].isalnum():
            chars[i] = chr(ord(chars[i]) + 0xFEE0)
    return "".join(chars)


def _fill(template: str, src: str, field: str, other: str, pos: tuple[str, str], ordinal: str, n: int) -> str:
    return template.format(Src=src[:1].upper() + src[1:], src=src, field=field, Field=field[:1].upper() + field[1:],
                           other=other, Other=other[:1].upper() + other[1:], pos=pos[0], noun=pos[1],
                           ordinal=ordinal, n=n)


@st.composite
def invented_claims(draw: st.DrawFn) -> str:
    src = draw(st.sampled_from(SOURCES))
    if draw(st.booleans()):
        text = _fill(draw(st.sampled_from(CLAIMS)), src, draw(st.sampled_from(NAMES)),
                     draw(st.sampled_from(NAMES)), draw(st.sampled_from(POSITIONS)),
                     draw(st.sampled_from(ORDINALS)), draw(st.integers(2, 16)))
    else:
        text = _fill(draw(st.sampled_from(FIRST_CLAIMS)), src, draw(st.sampled_from(NOT_FIRST_NAMES)), "",
                     ("", ""), "", 1)
    return draw(disguised(text))


@st.composite
def honest_sentences(draw: st.DrawFn) -> str:
    field, other = draw(st.sampled_from(NAMES)), draw(st.sampled_from(NAMES))
    text = _fill(draw(st.sampled_from(HONEST)), "", field, other, draw(st.sampled_from(POSITIONS[:11])),
                 draw(st.sampled_from(ORDINALS)), draw(st.integers(2, 16)))
    return draw(disguised(text))


PROPERTY = settings(max_examples=300, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(invented_claims(), st.integers(1, 12))
def test_any_built_claim_is_caught(text: str, chunk: int) -> None:
    shown, grounder = _streamed(text, KNOWLEDGE, chunk)
    assert any(RANK_FLAG in flag for flag in grounder.flags), repr(text)
    plain = normalise(shown).lower()
    assert not any(w in plain for w in ("second", "#2", "2 of", "last", "no2", "runner")), repr(shown)


@PROPERTY
@given(honest_sentences(), st.integers(1, 12))
def test_any_built_honest_sentence_passes(text: str, chunk: int) -> None:
    shown, grounder = _streamed(text, KNOWLEDGE, chunk)
    assert not grounder.flags and shown == text, repr(text)
