"""Knowledge faithfulness: card prose credits the essay only with what a named passage says.

Any sentence in a field card (front-matter strings such as factor rationales and readings' `about` lines,
and the Markdown body) that attributes something to the essay, the post, its author or a commenter must
name the essay passage it rests on (``essay-NN``) in that same sentence. Exceptions: the card's
``essay.says`` value, whose passages are listed in ``essay.passages`` (which must then be non-empty), and
sentences stating that the essay is silent on / does not mention the field. Everything else is our own
assessment and must be worded as such.

This file parses the cards itself with PyYAML on purpose: it does not import the advisor package, so it
checks the data independently of the loader.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

KNOWLEDGE = Path(__file__).resolve().parents[1] / "knowledge"
FIELDS = KNOWLEDGE / "fields"
CARD_PATHS = sorted(FIELDS.glob("*.md"))

PASSAGE_ID = re.compile(r"\bessay-\d{2}\b")
# Who a sentence can credit with a view: the essay / the post / its author / a commenter.
ATTRIBUTION = re.compile(
    r"\b(?:the|this|that)\s+(?:seed\s+)?(?:essay|post|blog\s+post)\b(?!\s+from\s+january)"
    r"|\b(?:the|this)\s+(?:essay's\s+|post's\s+)?author\b(?!s)"
    r"|\b(?:the|a|another|one|other)\s+commenters?\b"
    r"|\bthe\s+comment\s+thread\b"
    r"|\bits\s+author\b(?!s)",
    re.IGNORECASE,
)
# A clause that only says the essay is silent about the field attributes nothing to it.
SILENCE = re.compile(
    r"\b(?:is\s+silent|says\s+nothing|does\s+not\s+(?:mention|discuss|cover|name|address|rank)"
    r"|doesn't\s+(?:mention|discuss|cover|name|address|rank)|never\s+(?:mentions|discusses|names)"
    r"|makes\s+no\s+mention|no\s+mention)\b",
    re.IGNORECASE,
)
CLAUSE_BREAK = re.compile(r"[;,:()]|\s[-–—]\s|\b(?:but|while|whereas|although|though|yet|and)\b", re.IGNORECASE)
# Rank positions. The only passage that gives one is essay-22 (scalable oversight is #1; mech interp was #1 in
# an early draft), so a sentence crediting the essay with a position must cite essay-22.
POSITION = r"(?:#\s?\d+|number\s+\d+|first|second|third|fourth|fifth|last|top|bottom|\d+(?:st|nd|rd|th))"
RANK_CLAIM = re.compile(
    r"#\s?\d"
    r"|\b(?:rank(?:s|ed|ing)?|puts?|plac(?:e|es|ed)|list(?:s|ed)?)(?:\s+[^\s#.;]+){0,4}?\s+(?:at\s+|as\s+)?"
    + POSITION
    + r"\b"
    r"|\b(?:top|bottom|head)\s+of\s+(?:its|the|their|this|that)\s+(?:list|ranking)"
    r"|\b(?:top|first|last)\s+(?:field|spot|place|position)\b",
    re.IGNORECASE,
)
RANK_PASSAGE = "essay-22"
# Bibliographic keys: names and titles, not prose.
SKIP_KEYS = {"id", "url", "title", "authors", "aliases", "last_reviewed", "level", "minutes", "name"}
ABBREVIATIONS = ("e.g.", "i.e.", "et al.", "vs.", "cf.", "etc.", "approx.")


def _split_card(path: Path) -> tuple[dict[str, Any], str]:
    text = path.read_text(encoding="utf-8")
    lines = text.split("\n")
    assert lines and lines[0].strip() == "---", f"{path.name}: no front matter ('---' on the first line)"
    try:
        end = next(i for i in range(1, len(lines)) if lines[i].strip() == "---")
    except StopIteration:
        pytest.fail(f"{path.name}: front matter is not closed by a '---' line")
    front = yaml.safe_load("\n".join(lines[1:end]))
    assert isinstance(front, dict), f"{path.name}: front matter is not a mapping"
    return front, "\n".join(lines[end + 1 :])


def sentences(text: str) -> list[str]:
    """Split prose into sentences, keeping abbreviations such as 'e.g.' and 'et al.' inside them."""
    protected = text
    for i, abbreviation in enumerate(ABBREVIATIONS):
        protected = re.sub(r"(?<!\w)" + re.escape(abbreviation), f"\x00{i}\x00", protected, flags=re.IGNORECASE)
    out: list[str] = []
    for paragraph in re.split(r"\n\s*\n", protected):
        paragraph = re.sub(r"^\s*(?:#+|[-*+]|\d+\.)\s+", "", paragraph, flags=re.MULTILINE)
        paragraph = " ".join(paragraph.split())
        for piece in re.split(r"(?<=[.!?])[\"')\]]*\s+(?=[\"'(\[]?[A-Z0-9#])", paragraph):
            piece = re.sub(r"\x00(\d+)\x00", lambda m: ABBREVIATIONS[int(m.group(1))], piece).strip()
            if piece:
                out.append(piece)
    return out


def _strings(value: Any, key_path: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        yield key_path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            if str(key) in SKIP_KEYS:
                continue
            yield from _strings(item, f"{key_path}.{key}" if key_path else str(key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _strings(item, f"{key_path}[{i}]")


def card_prose(path: Path) -> Iterator[tuple[str, str]]:
    """(where, sentence) for every sentence of the card's prose except `essay.says` itself."""
    front, body = _split_card(path)
    for key_path, value in _strings(front, ""):
        if key_path == "essay.says":
            continue
        for sentence in sentences(value):
            yield key_path, sentence
    for sentence in sentences(body):
        yield "body", sentence


def attributes_to_essay(sentence: str) -> bool:
    return bool(ATTRIBUTION.search(sentence))


def only_states_silence(sentence: str) -> bool:
    """True when every clause that names the essay/author/commenter only says the essay is silent."""
    clauses = [c for c in CLAUSE_BREAK.split(sentence) if c and c.strip()]
    named = [c for c in clauses if ATTRIBUTION.search(c)]
    if not named:  # the subject was split across clauses: judge the whole sentence
        return bool(SILENCE.search(sentence)) and len(ATTRIBUTION.findall(sentence)) == 1
    return all(SILENCE.search(c) for c in named)


def unsupported_attributions(path: Path) -> list[str]:
    problems = []
    for where, sentence in card_prose(path):
        if not attributes_to_essay(sentence) or PASSAGE_ID.search(sentence) or only_states_silence(sentence):
            continue
        problems.append(f"{path.name} [{where}]: {sentence}")
    return problems


def _essay_ids() -> set[str]:
    essay = yaml.safe_load((KNOWLEDGE / "essay.yaml").read_text(encoding="utf-8"))
    return {p["id"] for p in essay["passages"]}


# --- the checker itself ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sentence", "flagged"),
    [
        ("Feedback is slow, which is why the essay's author counts it among the safer bets.", True),
        ("Whether a model misbehaves is easy to check, which is why the essay flags this area.", True),
        ("A commenter thinks reverse-engineering may be more tractable.", True),
        ("The post says evals could rank differently.", True),
        ("The essay is silent on this field.", False),
        ("The essay does not mention this field.", False),
        ("The essay does not mention this field, but the author leans to it as a safer bet.", True),
        ("The essay's author leans to evals as a safer bet (essay-24).", False),
        ("We count it among the safer bets because feedback is slow.", False),
        ("The authors of the paper argue that monitors can be fooled.", False),
        ("Jan Wehner's post rates alignment theory least automatable.", False),
    ],
)
def test_the_checker_flags_unsupported_attributions(sentence: str, flagged: bool) -> None:
    found = attributes_to_essay(sentence) and not PASSAGE_ID.search(sentence) and not only_states_silence(sentence)
    assert found is flagged


def test_sentences_keep_abbreviations_and_split_on_full_stops() -> None:
    text = "Bills et al. score explanations, e.g. by simulation. The essay is silent.\n\n- A bullet (essay-24)."
    assert sentences(text) == [
        "Bills et al. score explanations, e.g. by simulation.",
        "The essay is silent.",
        "A bullet (essay-24).",
    ]


# --- the shipped cards ----------------------------------------------------------------------------------


def test_there_are_cards_to_check() -> None:
    assert len(CARD_PATHS) >= 14


@pytest.mark.parametrize("path", CARD_PATHS, ids=lambda p: p.stem)
def test_card_prose_credits_the_essay_only_with_a_named_passage(path: Path) -> None:
    problems = unsupported_attributions(path)
    assert not problems, (
        "Sentences credit the essay/post/author/commenter without naming the passage (essay-NN) that says so;"
        " cite the passage or word it as our assessment:\n" + "\n".join(problems)
    )


@pytest.mark.parametrize("path", CARD_PATHS, ids=lambda p: p.stem)
def test_essay_says_lists_its_passages(path: Path) -> None:
    front, _ = _split_card(path)
    essay = front.get("essay")
    assert isinstance(essay, dict), f"{path.name}: no essay mapping"
    says, passages = essay.get("says", ""), essay.get("passages") or []
    assert isinstance(says, str) and says.strip(), f"{path.name}: essay.says is empty"
    attributes = any(attributes_to_essay(s) and not only_states_silence(s) for s in sentences(says))
    if attributes or not SILENCE.search(says):
        assert passages, f"{path.name}: essay.says attributes a view to the essay but essay.passages is empty"
    assert set(PASSAGE_ID.findall(says)) <= set(passages), f"{path.name}: essay.says names unlisted passages"


@pytest.mark.parametrize("path", CARD_PATHS, ids=lambda p: p.stem)
def test_passages_named_in_card_prose_are_listed_by_the_card(path: Path) -> None:
    front, _ = _split_card(path)
    listed = set((front.get("essay") or {}).get("passages") or [])
    named = {pid for _, sentence in card_prose(path) for pid in PASSAGE_ID.findall(sentence)}
    assert named <= listed, (
        f"{path.name}: prose names {sorted(named - listed)} but essay.passages lists {sorted(listed)}"
    )


@pytest.mark.parametrize(
    ("sentence", "claims_rank"),
    [
        ("The essay ranks evals second.", True),
        ("The post puts field building at the bottom of its list.", True),
        ("It is #1 on the post's list of fields most likely to be automated first.", True),
        ("The author leans to evals as a safer bet, less likely to be automated first.", False),
        ("The essay says evals could plausibly be ranked differently depending on trust in eval generation.", False),
    ],
)
def test_the_rank_checker(sentence: str, claims_rank: bool) -> None:
    assert bool(RANK_CLAIM.search(sentence)) is claims_rank


@pytest.mark.parametrize("path", CARD_PATHS, ids=lambda p: p.stem)
def test_card_prose_credits_no_rank_position_to_the_essay(path: Path) -> None:
    """The essay's ranked list was lost: the only positions it gives are in essay-22. Nothing else is the essay's."""
    front, _ = _split_card(path)
    essay = front.get("essay") or {}
    says = [(s, RANK_PASSAGE in (essay.get("passages") or [])) for s in sentences(essay.get("says", ""))]
    prose = [(s, RANK_PASSAGE in s) for _, s in card_prose(path)]
    for sentence, cites_rank_passage in says + prose:
        if attributes_to_essay(sentence) and RANK_CLAIM.search(sentence) and not cites_rank_passage:
            pytest.fail(f"{path.name}: credits the essay with a rank position it does not give: {sentence}")


def test_every_referenced_essay_passage_exists() -> None:
    known = _essay_ids()
    assert len(known) == 25
    missing: list[str] = []
    sources = [*CARD_PATHS, *(p for p in KNOWLEDGE.glob("*.yaml") if p.name != "essay.yaml")]
    for path in sources:
        for pid in sorted(set(PASSAGE_ID.findall(path.read_text(encoding="utf-8"))) - known):
            missing.append(f"{path.name}: {pid}")
    essay = yaml.safe_load((KNOWLEDGE / "essay.yaml").read_text(encoding="utf-8"))
    for section in ("lost_in_scrape", "essay_ranks"):
        for entry in essay.get(section) or []:
            if entry["passage_id"] not in known:
                missing.append(f"essay.yaml {section}: {entry['passage_id']}")
    for fact in essay.get("public_facts") or []:
        missing += [f"essay.yaml {fact['id']}: {pid}" for pid in fact.get("supports") or [] if pid not in known]
    assert not missing, "References to essay passages that do not exist:\n" + "\n".join(missing)


# --- the essay's silence, and the assessments' labels ---------------------------------------------------------

SURVIVING_SILENCE = "The surviving text of the essay does not mention it."
# "the essay is silent / does not mention / says nothing", unless it is the *surviving text* that is silent: the
# post's ranked list was lost (essay-20) and may name the field
BARE_SILENCE = re.compile(
    r"(?<!surviving text of )\b(?:the|this)\s+essay\s+(?:is\s+silent|says\s+nothing|does\s+not\s+mention"
    r"|doesn't\s+mention|never\s+mentions)", re.IGNORECASE)
# words a claim about *which comes first* uses, and words of a claim that handing work to AI is not yet safe
ORDER_WORDS = re.compile(
    r"\b(?:most|least|more|less)\s+automatable\b|\blikely\s+to\s+be\s+automated\b|\bautomated\s+(?:first|sooner|"
    r"earlier)\b|\balready\s+beat\b|\bbefore\b", re.IGNORECASE)
SOONER = re.compile(r"\b(?:most|more)\s+automatable\b|\blikely\s+to\s+be\s+automated\b|\balready\s+beat\b",
                    re.IGNORECASE)
LATER = re.compile(r"\b(?:least|less)\s+automatable\b", re.IGNORECASE)
UNSAFE_WORDS = re.compile(r"\b(?:safely|unsafe|cannot\s+yet\s+be\s+handed|must\s+first\s+be\s+trained)\b",
                          re.IGNORECASE)


def leans_problem(text: str, leans: str) -> str | None:
    """Why `leans` misreads a claim whose words are `text` (None when it fits). A claim that handing work to AI is
    not yet safe says nothing about sooner or later, so it must not be read as either."""
    if UNSAFE_WORDS.search(text) and leans != "unsafe-to-automate":
        return "says automating it is not yet safe, which is not an order: label it unsafe-to-automate"
    if leans == "more-automatable" and not (SOONER.search(text) and not LATER.search(text)):
        return "labelled more-automatable but does not say it is automated sooner"
    if leans == "less-automatable" and not (LATER.search(text) and not SOONER.search(text)):
        return "labelled less-automatable but does not say it is automated later"
    if leans == "unsafe-to-automate" and not UNSAFE_WORDS.search(text):
        return "labelled unsafe-to-automate but says nothing about safety"
    return None


def _claims() -> list[tuple[str, str, str]]:
    data = yaml.safe_load((KNOWLEDGE / "assessments.yaml").read_text(encoding="utf-8"))
    return [(c["id"], " ".join(c["text"].split()), c["leans"]) for a in data["assessments"] for c in a["claims"]]


@pytest.mark.parametrize(
    ("text", "leans", "wrong"),
    [
        ("Hard-to-supervise fuzzy tasks cannot yet be handed to AI agents safely.", "less-automatable", True),
        ("Hard-to-supervise fuzzy tasks cannot yet be handed to AI agents safely.", "unsafe-to-automate", False),
        ("Alignment theory comes out as the least automatable safety area.", "less-automatable", False),
        ("Alignment theory comes out as the least automatable safety area.", "more-automatable", True),
        ("Control and evals come out as the most automatable.", "more-automatable", False),
        ("Agents already beat a human baseline on a crisp metric.", "more-automatable", False),
        ("Interpretability research is likely to be automated.", "less-automatable", True),
    ],
)
def test_the_leans_checker(text: str, leans: str, wrong: bool) -> None:
    assert (leans_problem(text, leans) is not None) is wrong


@pytest.mark.parametrize(("claim_id", "text", "leans"), _claims(), ids=lambda x: x if "-" in str(x)[:12] else "")
def test_each_assessment_label_says_what_its_claim_says(claim_id: str, text: str, leans: str) -> None:
    problem = leans_problem(text, leans)
    assert problem is None, f"assessments.yaml {claim_id}: {problem}"


def test_the_silence_checker() -> None:
    assert BARE_SILENCE.search("The essay is silent on this field.")
    assert BARE_SILENCE.search("The essay does not mention unlearning.")
    assert not BARE_SILENCE.search(SURVIVING_SILENCE)


@pytest.mark.parametrize("path", CARD_PATHS, ids=lambda p: p.stem)
def test_a_card_says_only_the_surviving_text_is_silent(path: Path) -> None:
    """The post's ranked list was lost in the scrape (essay-20) and probably names some of these fields: what is
    silent is the surviving text, never "the essay"."""
    front, _ = _split_card(path)
    essay = front.get("essay") or {}
    if not essay.get("passages"):
        assert essay.get("says") == SURVIVING_SILENCE, f"{path.name}: essay.says should be {SURVIVING_SILENCE!r}"
    bare = [s for _, s in card_prose(path) if BARE_SILENCE.search(s)]
    bare += [s for s in sentences(essay.get("says", "")) if BARE_SILENCE.search(s)]
    assert not bare, f"{path.name}: say that the surviving text of the essay does not mention it: {bare}"


def test_the_views_file_says_only_the_surviving_text_is_silent() -> None:
    views = yaml.safe_load((KNOWLEDGE / "views.yaml").read_text(encoding="utf-8"))
    essay = next(s for s in views["sources"] if s["id"] == "essay")
    assert essay["silent"].startswith("The surviving text of the essay does not mention it")
    texts = [s.get("silent", "") for s in views["sources"]] + [c["says"] for c in views["cells"]]
    assert not [t for t in texts if BARE_SILENCE.search(t)]
