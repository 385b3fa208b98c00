"""Grounding checks on an answer before the user sees it: citations must point at sources that were given,
and no sentence may credit the essay with a rank position it does not give."""

from __future__ import annotations

import re

from advisor.knowledge import Knowledge
from advisor.profile import field_mentions
from advisor.sources import SourceBook

CITATION = re.compile(r"\[(\d+)\]")


def check_citations(answer: str, book: SourceBook) -> tuple[str, list[int], list[str]]:
    """Remove citation numbers that were never given; returns (answer, numbers cited, flags)."""
    cited: list[int] = []
    flags: list[str] = []

    def keep(m: re.Match[str]) -> str:
        n = int(m.group(1))
        if book.get(n) is None:
            flags.append(f"Removed citation [{n}]: no source [{n}] was given to the model.")
            return ""
        if n not in cited:
            cited.append(n)
        return m.group(0)

    cleaned = CITATION.sub(keep, answer)
    return re.sub(r"[ \t]+([.,;:])", r"\1", cleaned), cited, flags


def renumber(answer: str, cited: list[int]) -> tuple[str, dict[int, int]]:
    """Number the cited sources 1, 2, 3... in order of first citation; returns (answer, old -> new)."""
    mapping = {old: new for new, old in enumerate(cited, 1)}
    return CITATION.sub(lambda m: f"[{mapping.get(int(m.group(1)), int(m.group(1)))}]", answer), mapping


ESSAY_RANK_CLAIM = re.compile(
    r"\b(?:essay|author|post)\b.*?\b(?:rank(?:s|ed|ing)?|puts?|plac(?:e|es|ed)|list(?:s|ed)?)\b"
    r"(?:\s+[^\s#]+){0,4}?\s+(?:at\s+|as\s+)?(#\s?\d+|number\s+\d+|first|second|third|fourth|fifth|last|top|bottom)\b",
    re.IGNORECASE,
)
ORDINALS = {"first": 1, "top": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5}


def check_essay_ranks(answer: str, knowledge: Knowledge) -> tuple[str, list[str]]:
    """Remove sentences that credit the essay with a rank it does not give; returns (answer, flags)."""
    stated = {(r.field, r.rank) for r in knowledge.essay.essay_ranks}
    flags: list[str] = []
    lines = []
    for line in answer.split("\n"):
        kept = []
        for sentence in re.split(r"(?<=[.!?])\s+", line):
            m = ESSAY_RANK_CLAIM.search(sentence)
            fields = field_mentions(sentence, knowledge) if m else []
            if m and fields:
                token = m.group(1).lower().replace(" ", "")
                rank = int(re.sub(r"\D", "", token)) if re.search(r"\d", token) else ORDINALS.get(token)
                if not any((f, rank) in stated for f in fields):
                    flags.append(f"Removed a claim the essay does not make: {sentence.strip()!r}")
                    continue
            kept.append(sentence)
        lines.append(" ".join(kept))
    return ("\n".join(lines) if flags else answer), flags
