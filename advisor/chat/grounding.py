"""Grounding before display: an answer is released sentence by sentence, each only once it is complete and
checked. Citations must point at sources a tool gave (they are renumbered 1, 2, 3 in reading order), and no
sentence may credit the essay with a rank position it does not give. What is removed is flagged, never shown.
"""

from __future__ import annotations

import re

from advisor.chat.events import Citation
from advisor.chat.sources import SourceBook
from advisor.knowledge import Knowledge
from advisor.knowledge.names import field_mentions

CITATION = re.compile(r"\[(\d+)\]")
# A sentence ends at . ! ? (then optional closing marks and citations) followed by white space, or at a newline.
SENTENCE_END = re.compile(r"(?:[.!?][)\"'’”]*(?:\s*\[\d+\])*[ \t]+|\n)")

ESSAY_RANK_CLAIM = re.compile(
    r"\b(?:essay|author|post|blog)\b.*?\b(?:rank(?:s|ed|ing)?|puts?|plac(?:e|es|ed)|list(?:s|ed)?)\b"
    r"(?:\s+[^\s#]+){0,4}?\s+(?:at\s+|as\s+)?(#\s?\d+|number\s+\d+|first|second|third|fourth|fifth|last|top|bottom)\b",
    re.IGNORECASE,
)
ORDINALS = {"first": 1, "top": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5}


def essay_rank_violation(sentence: str, knowledge: Knowledge) -> bool:
    """True when `sentence` credits the essay with a rank position it does not give."""
    m = ESSAY_RANK_CLAIM.search(sentence)
    if not m:
        return False
    fields = field_mentions(sentence, knowledge)
    if not fields:
        return False
    stated = {(r.field, r.rank) for r in knowledge.essay.essay_ranks}
    token = m.group(1).lower().replace(" ", "")
    rank = int(re.sub(r"\D", "", token)) if re.search(r"\d", token) else ORDINALS.get(token)
    return not any((f, rank) in stated for f in fields)


class Grounder:
    """Takes an answer as it streams and releases only checked sentences.

    `feed(text)` returns the grounded text that became releasable; `finish()` the rest. `citations()` are the
    sources cited in what was released, numbered in reading order; `flags` say what was removed.
    """

    def __init__(self, book: SourceBook, knowledge: Knowledge) -> None:
        self.book = book
        self.knowledge = knowledge
        self.flags: list[str] = []
        self.displayed = ""
        self._pending = ""
        self._numbers: dict[int, int] = {}  # the tool's number -> the number shown

    def feed(self, text: str) -> str:
        self._pending += text
        out = []
        while True:
            m = SENTENCE_END.search(self._pending)
            if m is None:
                break
            sentence, self._pending = self._pending[: m.end()], self._pending[m.end():]
            out.append(self._check(sentence))
        return self._release("".join(out))

    def finish(self) -> str:
        rest, self._pending = self._pending, ""
        return self._release(self._check(rest) if rest else "")

    def _release(self, text: str) -> str:
        self.displayed += text
        return text

    def _check(self, sentence: str) -> str:
        if essay_rank_violation(sentence, self.knowledge):
            self.flags.append("Removed a claim the essay does not make: a sentence that gave the essay a rank "
                              "position it does not state (only its #1, scalable oversight, is known).")
            return "\n" if sentence.endswith("\n") else ""
        return self._cite(sentence)

    def _cite(self, sentence: str) -> str:
        def number(m: re.Match[str]) -> str:
            n = int(m.group(1))
            if self.book.get(n) is None:
                self.flags.append(f"Removed citation [{n}]: no source [{n}] was given to the model.")
                return ""
            shown = self._numbers.setdefault(n, len(self._numbers) + 1)
            return f"[{shown}]"

        cleaned = CITATION.sub(number, sentence)
        return re.sub(r"[ \t]+([.,;:])", r"\1", cleaned) if cleaned != sentence else cleaned

    def cited(self) -> list[int]:
        """The tool numbers of the sources cited so far, in the order they were shown."""
        return list(self._numbers)

    def citations(self) -> list[Citation]:
        out = []
        for n, shown in self._numbers.items():
            s = self.book.get(n)
            if s is not None:
                out.append(Citation(n=shown, title=s.title, source=s.source, text=s.text, passage_id=s.passage_id,
                                    kind=s.kind))
        return out

    def cite_all(self) -> None:
        """List every source the tools gave (for a model that cited none), numbered in the order given."""
        for s in self.book.all():
            self._numbers.setdefault(s.n, len(self._numbers) + 1)


def ground(answer: str, book: SourceBook, knowledge: Knowledge) -> tuple[str, Grounder]:
    """Ground a whole answer at once (the same checks as streaming)."""
    g = Grounder(book, knowledge)
    text = g.feed(answer) + g.finish()
    return text, g
