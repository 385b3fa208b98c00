"""Every field card says what the work needs today (degree, maths, coding, a typical week), a card without that
fails to load naming the file and key, and the glossary defines the terms people ask about in one plain line."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from advisor.chat.grounding import ground
from advisor.chat.sources import SourceBook
from advisor.knowledge import Knowledge, KnowledgeError, load_knowledge
from advisor.knowledge.base import Requirements
from advisor.settings import PROJECT_ROOT

KNOWLEDGE_DIR = PROJECT_ROOT / "knowledge"
ASPECTS = ("degree", "maths", "coding", "day_to_day")
# Terms newcomers ask about ("what does X mean?"); each must have an entry under the name people write.
ASKED_TERMS = [
    "alignment", "AI safety", "interpretability", "sparse autoencoder", "feature", "circuit", "superposition",
    "jailbreak", "sandbagging", "scheming", "deceptive alignment", "reward hacking", "specification gaming",
    "constitutional AI", "DPO", "debate", "iterated amplification", "eliciting latent knowledge", "corrigibility",
    "situational awareness", "frontier lab", "frontier model", "MATS", "ARENA", "BlueDot", "AISI", "METR",
    "responsible scaling policy", "compute threshold", "emergent misalignment", "alignment faking", "sleeper agents",
    "chain of thought", "faithfulness", "automated alignment research", "research taste", "human interaction",
    "takeoff", "AGI", "LessWrong", "Alignment Forum", "red team", "model organisms", "PGR", "feedback quality",
]


def _sentences(text: str) -> list[str]:
    """Sentences, not counting the full stop in abbreviations such as 'e.g.'."""
    text = re.sub(r"\b(?:e\.g|i\.e|etc|vs)\.", "", text)
    return [s for s in re.split(r"(?<=[.!?])\s+", text.strip()) if s]


def _glossary() -> dict[str, str]:
    data = yaml.safe_load((KNOWLEDGE_DIR / "glossary.yaml").read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


# --- the shipped cards ------------------------------------------------------------------------------------------

def test_every_card_says_what_the_work_needs_in_one_or_two_sentences(knowledge: Knowledge) -> None:
    for card in knowledge.fields:
        assert isinstance(card.requirements, Requirements), card.id
        for aspect in ASPECTS:
            text = getattr(card.requirements, aspect)
            assert text.strip(), (card.id, aspect)
            assert 1 <= len(_sentences(text)) <= 2, (card.id, aspect, text)
            assert "\n" not in text, (card.id, aspect)


def test_requirements_state_no_invented_figures(knowledge: Knowledge) -> None:
    """Hedged words, not statistics: no percentages, counts or salaries that nobody measured."""
    for card in knowledge.fields:
        for aspect in ASPECTS:
            text = getattr(card.requirements, aspect)
            assert not re.search(r"\d|%|percent|\bmost of (?:them|us)\b", text), (card.id, aspect, text)


def test_coding_requirement_agrees_with_the_cards_skills(knowledge: Knowledge) -> None:
    """A field whose skills list PyTorch does not say you need little or no code, and one with no programming skill
    at all does not say you need strong coding."""
    for card in knowledge.fields:
        coding = card.requirements.coding.lower()
        if "pytorch" in card.skills:
            assert not coding.startswith(("none", "little", "no ")), (card.id, coding)
            assert "python" in coding, (card.id, coding)
        if not {"python", "pytorch", "software engineering", "ml engineering"} & set(card.skills):
            assert not coding.startswith(("strong", "solid")), (card.id, coding)


def test_every_degree_line_answers_the_phd_question(knowledge: Knowledge) -> None:
    for card in knowledge.fields:
        degree = card.requirements.degree.lower()
        assert "phd" in degree or "degree" in degree, (card.id, degree)


def test_requirements_survive_grounding_unchanged(knowledge: Knowledge) -> None:
    """Shown in 'what is the work like?' answers, so the grounding checks must not strip any sentence of them."""
    for card in knowledge.fields:
        for aspect in ASPECTS:
            text = getattr(card.requirements, aspect)
            shown, grounder = ground(text, SourceBook(), knowledge)
            assert shown.strip() == text, (card.id, aspect, grounder.flags)


# --- a card without requirements fails loudly -------------------------------------------------------------------

def _card(directory: Path, field_id: str) -> Path:
    return directory / "fields" / f"{field_id}.md"


def test_a_card_without_requirements_names_the_file_and_key(knowledge_copy: Path) -> None:
    path = _card(knowledge_copy, "forecasting")
    text = path.read_text(encoding="utf-8")
    stripped = re.sub(r"(?m)^requirements:\n(?:  .*\n)+", "", text, count=1)
    assert stripped != text
    path.write_text(stripped, encoding="utf-8")
    with pytest.raises(KnowledgeError, match=r"forecasting\.md.*'requirements'.*Field required"):
        load_knowledge(knowledge_copy)


def test_a_missing_or_empty_requirement_names_the_sub_key(knowledge_copy: Path) -> None:
    path = _card(knowledge_copy, "ai-control")
    text = path.read_text(encoding="utf-8")
    without_maths = re.sub(r"(?m)^  maths: .*\n", "", text, count=1)
    assert without_maths != text
    path.write_text(without_maths, encoding="utf-8")
    with pytest.raises(KnowledgeError, match=r"ai-control\.md.*'requirements\.maths'.*Field required"):
        load_knowledge(knowledge_copy)
    blank_coding = re.sub(r"(?m)^  coding: .*\n", '  coding: "   "\n', text, count=1)
    path.write_text(blank_coding, encoding="utf-8")
    with pytest.raises(KnowledgeError, match=r"ai-control\.md.*'requirements\.coding'.*at least 1 character"):
        load_knowledge(knowledge_copy)


def test_an_unknown_requirement_key_fails(knowledge_copy: Path) -> None:
    path = _card(knowledge_copy, "unlearning")
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("requirements:\n", "requirements:\n  salary: high\n", 1), encoding="utf-8")
    with pytest.raises(KnowledgeError, match=r"unlearning\.md.*'requirements\.salary'.*Extra inputs"):
        load_knowledge(knowledge_copy)


# --- the glossary -----------------------------------------------------------------------------------------------

def test_glossary_entries_are_non_empty_one_liners() -> None:
    glossary = _glossary()
    for term, definition in glossary.items():
        assert isinstance(term, str) and term.strip() == term and term, term
        assert isinstance(definition, str) and definition.strip(), term
        assert "\n" not in definition and len(definition) <= 240, term
        assert not definition.endswith("."), term  # the advisor adds the full stop when it lists terms
    lowered = [t.lower() for t in glossary]
    assert len(lowered) == len(set(lowered)), "a term is defined twice (differing only in case)"


def test_glossary_has_no_duplicate_keys_in_the_file() -> None:
    """YAML keeps the last of two equal keys silently; the file must not rely on that."""
    keys = re.findall(r"(?m)^([^#\s][^:]*):", (KNOWLEDGE_DIR / "glossary.yaml").read_text(encoding="utf-8"))
    assert len(keys) == len(set(keys)), sorted(k for k in keys if keys.count(k) > 1)


@pytest.mark.parametrize("term", ASKED_TERMS)
def test_glossary_defines_the_terms_people_ask_about(term: str) -> None:
    assert _glossary().get(term, "").strip(), term


def test_model_organisms_are_not_defined_as_small_deliberately_misaligned_models() -> None:
    definition = _glossary()["model organisms"].lower()
    assert "small" not in definition
    assert "deliberately misaligned models" not in definition
    assert "by accident" in definition or "found" in definition  # not only built on purpose
    assert "detect" in definition  # studied to learn how to detect such failures


def test_pgr_is_the_fraction_of_the_weak_to_strong_gap_recovered() -> None:
    definition = _glossary()["PGR"].lower()
    assert "share of a strong model's ability" not in definition
    assert "gap" in definition and "fraction" in definition
    assert "weak supervisor" in definition and "strong model" in definition
    assert definition.index("weak supervisor") < definition.index("strong model")  # gap: weak score to ceiling


def test_glossary_definitions_survive_grounding(knowledge: Knowledge) -> None:
    """Newcomer mode appends definitions to answers, so grounding must not strip any of them."""
    for term, definition in _glossary().items():
        line = f"{term}: {definition}."
        shown, grounder = ground(line, SourceBook(), knowledge)
        assert shown.strip() == line, (term, grounder.flags)
