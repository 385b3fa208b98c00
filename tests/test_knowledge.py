"""The knowledge base loads, says what the essay says, and bad data fails loudly with file and key."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from advisor.knowledge import Knowledge, KnowledgeError, UnknownFieldError, load_knowledge
from advisor.settings import PROJECT_ROOT

SEED = PROJECT_ROOT.parent / "shared" / "seed" / "essay.txt"
REQUIRED_FIELDS = {
    "mechanistic-interpretability", "automated-interpretability", "scalable-oversight", "ai-control",
    "evaluations", "model-organisms", "adversarial-robustness", "rlhf-preference-learning", "agent-foundations",
    "technical-governance", "compute-governance", "field-building", "forecasting", "cooperative-ai", "unlearning",
}
READINGS_REFERENCE = PROJECT_ROOT.parent / "shared" / "reference" / "readings.md"


def test_at_least_fourteen_fields_cover_the_required_areas(knowledge: Knowledge) -> None:
    ids = {c.id for c in knowledge.fields}
    assert len(ids) >= 14
    assert ids >= REQUIRED_FIELDS


def test_essay_passages_are_the_seed_text_verbatim_with_provenance(knowledge: Knowledge) -> None:
    passages = knowledge.essay.passages
    assert len(passages) == 25
    if SEED.exists():  # shared/ sits beside the checkout on the team's machines and in CI
        lines = SEED.read_text(encoding="utf-8").rstrip("\n").split("\n")
        assert [p.text for p in passages] == lines
    by_line = {p.line: p for p in passages}
    assert all(by_line[n].kind == "comment" for n in range(1, 13))
    assert all(by_line[n].kind == "post" for n in range(13, 26))
    assert by_line[1].author == "commenter-1"
    assert {by_line[n].author for n in range(5, 9)} == {"commenter-2"}
    assert {by_line[n].author for n in (2, 3, 4, 9, 10, 11, 12)} == {"post-author"}


def test_essay_metadata_gives_only_the_known_rank(knowledge: Knowledge) -> None:
    assert knowledge.essay.url == "https://www.lesswrong.com/posts/EnBCpnZooXdMaERbZ/"
    assert [(r.field, r.rank) for r in knowledge.essay.essay_ranks] == [("scalable-oversight", 1)]
    assert {lost.passage_id for lost in knowledge.essay.lost_in_scrape} == {"essay-15", "essay-20"}


def test_every_card_cites_real_passages_and_is_complete(knowledge: Knowledge) -> None:
    for card in knowledge.fields:
        assert 2 <= len(card.readings) <= 5, card.id
        if not card.essay.passages:  # only the surviving text is silent: the lost list may have named the field
            assert card.essay.says == "The surviving text of the essay does not mention it.", card.id
        for reading in card.readings:
            assert reading.url.startswith("https://"), (card.id, reading.title)


def test_cards_never_claim_an_essay_rank_the_essay_lacks(knowledge: Knowledge) -> None:
    pattern = re.compile(r"(#\s?\d+|\branked? (first|second|third|last|\d))", re.IGNORECASE)
    for card in knowledge.fields:
        if card.id == "scalable-oversight":
            continue
        assert not pattern.search(card.essay.says), (card.id, card.essay.says)


def test_every_reading_is_in_the_confirmed_reference(knowledge: Knowledge) -> None:
    """No invented readings: each URL is in readings.md, or in our list of URLs confirmed by search."""
    assert READINGS_REFERENCE.exists(), f"{READINGS_REFERENCE} is missing: the suite needs ../shared beside it"
    reference = READINGS_REFERENCE.read_text(encoding="utf-8")
    confirmed = yaml.safe_load((PROJECT_ROOT / "knowledge" / "confirmed_readings.yaml").read_text())
    confirmed_urls = {c["url"] for c in confirmed["confirmed"]}
    for card in knowledge.fields:
        for reading in card.readings:
            if reading.url in confirmed_urls:
                continue
            arxiv = re.search(r"arxiv\.org/abs/(\d{4}\.\d{4,5})", reading.url)
            post = re.search(r"lesswrong\.com/posts/(\w+)", reading.url)
            key = (arxiv or post).group(1) if (arxiv or post) else re.sub(r"^https?://(www\.)?", "", reading.url)
            assert key.rstrip("/") in reference, f"{card.id}: {reading.title} ({reading.url}) is not confirmed"


@pytest.mark.parametrize(
    ("query", "expected"),
    [("mech interp", "mechanistic-interpretability"), ("Evals", "evaluations"), ("scalable-oversight",
     "scalable-oversight"), ("Scalable Oversight", "scalable-oversight"), ("RLHF", "rlhf-preference-learning")],
)
def test_fields_resolve_by_id_name_or_alias(knowledge: Knowledge, query: str, expected: str) -> None:
    assert knowledge.field(query).id == expected


def test_unknown_field_suggests_the_closest(knowledge: Knowledge) -> None:
    with pytest.raises(UnknownFieldError) as info:
        knowledge.field("mech interpretabilty")
    assert "mechanistic-interpretability" in info.value.suggestions
    assert "advisor fields" in str(info.value)


def _card(directory: Path, field_id: str = "evaluations") -> Path:
    return directory / "fields" / f"{field_id}.md"


def test_a_bad_factor_score_names_the_file_and_key(knowledge_copy: Path) -> None:
    path = _card(knowledge_copy)
    text = path.read_text()
    path.write_text(re.sub(r"(feedback_quality:\s*\n\s*score:)\s*\d", r"\1 9", text, count=1))
    with pytest.raises(KnowledgeError) as info:
        load_knowledge(knowledge_copy)
    message = str(info.value)
    assert "evaluations.md" in message and "factors.feedback_quality.score" in message
    assert "less than or equal to 5" in message


def test_a_missing_key_names_the_file_and_key(knowledge_copy: Path) -> None:
    path = _card(knowledge_copy, "unlearning")
    path.write_text(re.sub(r"(?m)^summary:.*\n", "", path.read_text(), count=1))
    with pytest.raises(KnowledgeError, match=r"unlearning\.md.*'summary'.*Field required"):
        load_knowledge(knowledge_copy)


def test_broken_yaml_and_missing_front_matter_fail_loudly(knowledge_copy: Path) -> None:
    path = _card(knowledge_copy, "forecasting")
    path.write_text("no front matter here\n")
    with pytest.raises(KnowledgeError, match=r"forecasting\.md.*front matter"):
        load_knowledge(knowledge_copy)
    path.write_text("---\nid: [unclosed\n---\nbody\n")
    with pytest.raises(KnowledgeError, match=r"forecasting\.md.*not valid YAML"):
        load_knowledge(knowledge_copy)


def test_a_citation_of_a_passage_that_does_not_exist_fails(knowledge_copy: Path) -> None:
    path = _card(knowledge_copy, "field-building")
    path.write_text(re.sub(r"essay-24", "essay-99", path.read_text(), count=1))
    with pytest.raises(KnowledgeError, match=r"field-building\.md.*essay-99"):
        load_knowledge(knowledge_copy)


def test_an_alias_used_by_two_fields_fails(knowledge_copy: Path) -> None:
    path = _card(knowledge_copy, "unlearning")
    path.write_text(path.read_text().replace("aliases: [", "aliases: [evals, ", 1))
    with pytest.raises(KnowledgeError, match=r"'evals' is already a name of field 'evaluations'"):
        load_knowledge(knowledge_copy)


def test_a_card_whose_id_differs_from_its_file_name_fails(knowledge_copy: Path) -> None:
    path = _card(knowledge_copy, "cooperative-ai")
    path.rename(path.with_name("coop.md"))
    with pytest.raises(KnowledgeError, match=r"coop\.md.*must equal the file name"):
        load_knowledge(knowledge_copy)


def test_every_assessment_label_is_one_the_loader_knows(knowledge: Knowledge) -> None:
    labels = {c.leans for a in knowledge.assessments for c in a.claims}
    assert labels <= {"more-automatable", "less-automatable", "mixed", "unsafe-to-automate"}
    fuzzy = next(c for a in knowledge.assessments for c in a.claims if c.id == "aisi-fuzzy")
    assert fuzzy.leans == "unsafe-to-automate"  # the paper says unsafe to hand over, not automated later


def test_glossary_defines_pgr_and_model_organisms_correctly() -> None:
    glossary = yaml.safe_load((PROJECT_ROOT / "knowledge" / "glossary.yaml").read_text(encoding="utf-8"))
    pgr = glossary["PGR"].lower()
    assert "gap" in pgr and "weak supervisor" in pgr and "fraction" in pgr and "share of the strong" not in pgr
    organisms = glossary["model organisms"].lower()
    assert "deliberately misaligned" not in organisms and "by accident" in organisms


def test_a_view_citing_a_missing_passage_names_the_file_and_key(knowledge_copy: Path) -> None:
    path = knowledge_copy / "views.yaml"
    path.write_text(path.read_text().replace("passages: [wehner-least]", "passages: [wehner-nowhere]", 1))
    with pytest.raises(KnowledgeError, match=r"views\.yaml: cell #\d+ \(wehner-2026 on agent-foundations\): key "
                                             r"'passages': unknown passage id 'wehner-nowhere'"):
        load_knowledge(knowledge_copy)


def test_a_view_contradicting_the_claim_it_cites_fails(knowledge_copy: Path) -> None:
    path = knowledge_copy / "views.yaml"
    text = path.read_text()
    cell = "    field: ai-control\n    stance: more\n"
    assert cell in text
    path.write_text(text.replace(cell, "    field: ai-control\n    stance: less\n", 1))
    with pytest.raises(KnowledgeError, match=r"views\.yaml.*ai-control.*'stance'.*'wehner-most' leans"):
        load_knowledge(knowledge_copy)


def test_a_deleted_card_takes_its_views_with_it(knowledge_copy: Path) -> None:
    (knowledge_copy / "fields" / "field-building.md").unlink()
    k = load_knowledge(knowledge_copy)
    assert k.views is not None and all(c.field != "field-building" for c in k.views.cells)
