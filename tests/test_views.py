"""The view matrix: every field by every source, each cell traceable to a passage or page of `knowledge/`, the
essay credited only with what it states, no date a source does not give, and agreement counted against our
model's placement. Also `advisor views` as a user runs it, and the web app's "What others say" matrix."""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from advisor.knowledge import Knowledge
from advisor.knowledge.ranking import rank_fields
from advisor.knowledge.views import ESSAY, ViewCell, ViewMatrix, agrees_with_model, known_passages, view_matrix
from advisor.settings import PROJECT_ROOT

SEED = PROJECT_ROOT.parent / "shared" / "seed" / "essay.txt"
YEAR = re.compile(r"\b(?:19|20)\d{2}\b")
RunCli = Callable[..., tuple[int, str, str]]
RunJson = Callable[..., object]


@pytest.fixture(scope="module")
def matrix(knowledge: Knowledge) -> ViewMatrix:
    return view_matrix(knowledge)


def _pages(k: Knowledge) -> set[str]:
    return {k.essay.url} | {a.url for a in k.assessments}


def test_every_field_by_at_least_five_sources(knowledge: Knowledge, matrix: ViewMatrix) -> None:
    assert {r.field_id for r in matrix.fields} == {c.id for c in knowledge.fields}
    assert len(matrix.sources) >= 5 and matrix.sources[0].id == ESSAY
    assert all(len(r.cells) == len(matrix.sources) for r in matrix.fields)
    assert [r.rank for r in matrix.fields] == sorted(r.rank for r in matrix.fields)


def test_every_cell_names_a_passage_or_page_that_exists_in_knowledge(knowledge: Knowledge,
                                                                     matrix: ViewMatrix) -> None:
    passages, pages = known_passages(knowledge), _pages(knowledge)
    for cell in matrix.cells():
        where = f"{cell.source_id} on {cell.field_id}"
        assert cell.passages or cell.page in pages, where
        assert set(cell.passages) <= passages, where
        assert cell.page in pages, where
        assert [q.passage_id for q in cell.quotes] == list(cell.passages), where
        assert all(q.text.strip() for q in cell.quotes), where
        if cell.stance != "silent":
            assert cell.passages and cell.confidence in ("stated", "inferred"), where


def test_essay_quotes_are_the_seed_text_word_for_word(matrix: ViewMatrix) -> None:
    if not SEED.exists():
        pytest.skip("shared/seed/essay.txt is not beside the checkout")
    lines = SEED.read_text(encoding="utf-8").rstrip("\n").split("\n")
    quotes = [q for c in matrix.cells() for q in c.quotes if q.passage_id.startswith("essay-")]
    assert quotes
    for q in quotes:
        assert q.verbatim and q.text == lines[int(q.passage_id[len("essay-"):]) - 1], q.passage_id


def _named_in(cell: ViewCell, knowledge: Knowledge) -> bool:
    """Whether one of the essay passages a cell cites names the field (its name, an alias, or a word of it)."""
    card = knowledge.field(cell.field_id)
    names = [n.lower() for n in (card.name, *card.aliases)] + [card.id.replace("-", " ")]
    texts = " ".join(q.text.lower() for q in cell.quotes if q.verbatim)
    return any(n in texts for n in names)


def test_the_essay_column_holds_only_what_the_essay_states(knowledge: Knowledge, matrix: ViewMatrix) -> None:
    """A speaking essay cell rests on essay passages that name the field; 'more' only for its known #1 (the line
    introducing the ranking cited with it); 'less' only where the author leans to the field as a safer bet."""
    ranks = {r.field: r.rank for r in knowledge.essay.essay_ranks}
    for row in matrix.fields:
        cell = row.cell(ESSAY)
        if cell.stance == "silent":
            assert cell.says.startswith("The surviving text of the essay does not mention it"), row.field_id
            continue
        assert cell.confidence == "stated" and _named_in(cell, knowledge), row.field_id
        if cell.stance == "more":
            assert ranks.get(row.field_id) == 1 and {"essay-20", "essay-22"} <= set(cell.passages), row.field_id
        if cell.stance == "less":
            assert any("safer bets" in q.text for q in cell.quotes), row.field_id


def test_no_date_a_source_does_not_give(knowledge: Knowledge, matrix: ViewMatrix) -> None:
    for cell in matrix.cells():
        if cell.timing:
            years = set(YEAR.findall(cell.timing))
            assert years and years <= set(YEAR.findall(" ".join(q.text for q in cell.quotes))), cell
    for source in matrix.sources:
        if source.timing:
            quoted = " ".join(q.text for c in matrix.cells() for q in c.quotes if q.passage_id in
                              source.timing_passages)
            assert set(YEAR.findall(source.timing)) <= set(YEAR.findall(quoted)) | {str(source.year)}, source.id
    essay = matrix.source(ESSAY)
    assert essay.timing and "avoids" in essay.timing and "essay-12" in essay.timing_passages


def test_agreement_is_counted_against_our_models_half(knowledge: Knowledge, matrix: ViewMatrix) -> None:
    safer = rank_fields(knowledge).safer_half
    for row in matrix.fields:
        assert row.in_safer_half == (row.field_id in safer)
        assert row.agree + row.disagree + row.no_order + row.silent == len(matrix.sources)
        for cell in row.cells:
            expected = {"more": "disagrees" if row.in_safer_half else "agrees",
                        "less": "agrees" if row.in_safer_half else "disagrees",
                        "no-order": "no-order", "silent": "silent"}[cell.stance]
            assert cell.agreement == expected, (row.field_id, cell.source_id)
    assert any(r.disagree for r in matrix.fields), "a disagreement between sources should be visible"


def test_a_claim_that_automation_is_unsafe_neither_agrees_nor_disagrees(knowledge: Knowledge,
                                                                         matrix: ViewMatrix) -> None:
    unsafe = {c.id: c for a in knowledge.assessments for c in a.claims if c.leans == "unsafe-to-automate"}
    assert unsafe
    cells = [c for c in matrix.cells() if set(c.passages) & set(unsafe)]
    assert cells and all(c.agreement == "no-order" for c in cells)
    assert agrees_with_model("unsafe-to-automate", True) is None
    assert agrees_with_model("less-automatable", True) is True and agrees_with_model("more", True) is False


def test_timing_lists_dated_cells_and_every_sources_note(matrix: ViewMatrix) -> None:
    notes = matrix.timing("mechanistic-interpretability")
    assert {s.id for s, cell in notes if cell is None} == {s.id for s in matrix.sources if s.timing}
    dated = [cell for _, cell in notes if cell is not None]
    assert dated and all(c.field_id == "mechanistic-interpretability" and c.timing for c in dated)
    assert not [c for _, c in matrix.timing("field-building") if c is not None]


# --- advisor views ---------------------------------------------------------------------------------------------

def test_views_json_is_the_whole_matrix(run_json: RunJson, knowledge: Knowledge) -> None:
    data = run_json("views")
    assert isinstance(data, dict)
    assert len(data["fields"]) == len(knowledge.fields) and len(data["sources"]) >= 5
    row = data["fields"][0]
    assert {"id", "rank", "model_position", "agreement", "cells"} <= set(row)
    assert {"source", "stance", "confidence", "says", "passages", "page", "quotes", "agreement"} <= set(
        row["cells"][0])


def test_views_of_one_field_by_alias(run_cli: RunCli) -> None:
    code, out, _ = run_cli("views", "evals")
    assert code == 0
    assert out.startswith("Evaluations & dangerous-capability evals: our model puts it #")
    assert "DISAGREES with our model" in out and "[essay-24]" in out and "[wehner-most]" in out
    code, out, _ = run_cli("views")
    assert code == 0 and "Agent foundations" in out and "+ more automatable" in out


def test_views_of_an_unknown_field_names_close_matches(run_cli: RunCli) -> None:
    code, out, err = run_cli("views", "mech interpretabilty")
    assert code != 0 and not out
    assert "Unknown field 'mech interpretabilty'" in err and "mechanistic-interpretability" in err


# --- the web app's matrix --------------------------------------------------------------------------------------

def test_the_matrix_html_shows_every_field_and_escapes_its_text(matrix: ViewMatrix) -> None:
    from advisor.interfaces.web.views_view import views_html

    page = views_html(matrix)
    assert page.count("<details class='adv-vm-row'") == len(matrix.fields)
    assert page.count("class='adv-vm-dot adv-vm-") >= len(matrix.fields) * len(matrix.sources)
    special = [q.text for c in matrix.cells() for q in c.quotes if any(ch in q.text for ch in "'\"&<>")]
    assert special, "no quote with a character HTML must escape: this check would prove nothing"
    for raw in special:
        assert html.escape(raw, quote=True) in page and raw not in page
    assert "<script" not in page


@pytest.fixture(scope="module")
def web_page(indexed_home: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from tests.web_support import chromium, copy_home, running_app

    home = copy_home(indexed_home, tmp_path_factory.mktemp("views-home"))
    with running_app(home) as app, chromium() as browser:
        yield browser, app


@pytest.mark.slow
@pytest.mark.parametrize("size", ["laptop", "phone"])
def test_the_matrix_in_a_browser(web_page: Any, size: str) -> None:
    """The ranking tab shows the matrix; a row opens onto its quotes; it fits a phone's width. Screenshots go to
    tests/artifacts/ (views-laptop.png, views-phone.png)."""
    from tests.web_support import LAPTOP, PHONE, screenshot

    browser, app = web_page
    context = browser.new_context(viewport=LAPTOP if size == "laptop" else PHONE)
    try:
        page = context.new_page()
        page.set_default_timeout(20_000)
        page.goto(app.url)
        page.get_by_role("tab", name="Why fields rank where they do").click()
        page.wait_for_selector("#adv-views details[data-field='evaluations']")
        page.locator("#adv-views details[data-field='evaluations'] > summary").click()
        page.get_by_text("Dangerous-capability evaluations come out among").wait_for()
        assert page.locator("#adv-views details[data-field='evaluations'][open]").count() == 1
        width = page.evaluate("document.querySelector('#adv-views .adv-vm').scrollWidth")
        viewport = page.evaluate("window.innerWidth")
        assert width <= viewport, f"the matrix is {width}px wide in a {viewport}px window"
        page.locator("#adv-views").scroll_into_view_if_needed()
        screenshot(page, f"views-{size}")
    finally:
        context.close()
