"""What each public source says about each field, side by side: the view matrix behind `advisor views`, the web
app's "What others say" and the chat's "other views" and "why trust this?" answers.

The cells are data (`knowledge/views.yaml`, loaded and checked with the rest of the knowledge base); this module
fills in the silent ones, attaches each cell's quote, and counts per field how many sources agree with our model's
placement (safer half or more exposed half), disagree, speak without an order, or are silent. Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field

from advisor.knowledge.base import KnowledgeError, _parse, _read_yaml

if TYPE_CHECKING:
    from advisor.knowledge.base import Knowledge
    from advisor.knowledge.ranking import Ranking

Stance = Literal["more", "less", "no-order", "silent"]
Confidence = Literal["stated", "inferred"]
Agreement = Literal["agrees", "disagrees", "no-order", "silent"]
ESSAY = "essay"  # the source id of the essay's column
STANCE_WORDS: dict[str, str] = {
    "more": "more automatable (sooner)", "less": "less automatable (later)",
    "no-order": "speaks of it, gives no order", "silent": "silent",
}
# a claim's `leans` (assessments.yaml) as the stance a cell citing it for one of the claim's fields must take
LEANS_STANCE: dict[str, Stance] = {"more-automatable": "more", "less-automatable": "less", "mixed": "no-order",
                                   "unsafe-to-automate": "no-order"}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class SourceEntry(_Strict):
    """One column: the essay (`essay`) or an assessment of `assessments.yaml`, by its id."""

    id: str
    label: str = Field(min_length=1)
    short: str = Field(min_length=1, max_length=8, description="the column heading on a phone")
    silent: str = Field(min_length=1, description="what a cell says when this source says nothing of the field")
    silent_passages: list[str] = Field(default_factory=list)
    timing: str | None = None
    timing_passages: list[str] = Field(default_factory=list)


class CellEntry(_Strict):
    source: str
    field: str
    stance: Literal["more", "less", "no-order"]
    confidence: Confidence
    says: str = Field(min_length=1)
    passages: list[str] = Field(min_length=1)
    timing: str | None = None


class ViewsFile(_Strict):
    sources: list[SourceEntry] = Field(min_length=1)
    cells: list[CellEntry] = Field(default_factory=list)


def load_views(path: Path, text: str | None = None, *, removed: Iterable[str] = ()) -> ViewsFile:
    """Read `knowledge/views.yaml`. Cells for the field ids in `removed` (cards deleted from a copy of the shipped
    knowledge base) are dropped; everything else is checked against the knowledge base by `check_views`."""
    raw = _read_yaml(path, text)
    gone = set(removed)
    if isinstance(raw, dict) and isinstance(raw.get("cells"), list):
        raw = {**raw, "cells": [c for c in raw["cells"] if not (isinstance(c, dict) and c.get("field") in gone)]}
    views: ViewsFile = _parse(ViewsFile, raw, path)
    return views


def known_passages(k: Knowledge) -> set[str]:
    """Every id a cell may cite: essay passages, public facts about the post, assessment claims."""
    return ({p.id for p in k.essay.passages} | {f.id for f in k.essay.public_facts}
            | {c.id for a in k.assessments for c in a.claims})


def check_views(views: ViewsFile, k: Knowledge, path: Path) -> None:
    """Fail with the file, the entry and the key when a source, field or passage does not exist, a cell is given
    twice, or a cell contradicts the claim it cites (a stance other than the claim's `leans` for one of the claim's
    own fields; for a field the claim neither lists nor names, the cell is our mapping and must say `inferred`)."""
    sources = {a.id for a in k.assessments} | {ESSAY}
    fields = {c.id for c in k.fields}
    passages = known_passages(k)
    claims = {c.id: c for a in k.assessments for c in a.claims}
    seen_sources: set[str] = set()
    for i, s in enumerate(views.sources):
        where = f"{path}: source #{i + 1} ({s.id})"
        if s.id not in sources:
            raise KnowledgeError(f"{where}: key 'id': not 'essay' nor an assessment id in assessments.yaml")
        if s.id in seen_sources:
            raise KnowledgeError(f"{where}: key 'id': listed twice")
        seen_sources.add(s.id)
        for key, ids in (("silent_passages", s.silent_passages), ("timing_passages", s.timing_passages)):
            for pid in ids:
                if pid not in passages:
                    raise KnowledgeError(f"{where}: key '{key}': unknown passage id {pid!r}")
    seen: set[tuple[str, str]] = set()
    for i, c in enumerate(views.cells):
        where = f"{path}: cell #{i + 1} ({c.source} on {c.field})"
        if c.source not in seen_sources:
            raise KnowledgeError(f"{where}: key 'source': not one of the listed sources")
        if c.field not in fields:
            raise KnowledgeError(f"{where}: key 'field': unknown field {c.field!r}")
        if (c.source, c.field) in seen:
            raise KnowledgeError(f"{where}: given twice")
        seen.add((c.source, c.field))
        for pid in c.passages:
            if pid not in passages:
                raise KnowledgeError(f"{where}: key 'passages': unknown passage id {pid!r}")
            claim = claims.get(pid)
            if claim is None:
                continue
            if c.field in claim.fields and LEANS_STANCE[claim.leans] != c.stance:
                raise KnowledgeError(f"{where}: key 'stance': {c.stance!r}, but claim {pid!r} leans "
                                     f"{claim.leans!r} (stance {LEANS_STANCE[claim.leans]!r})")
            card = next(f for f in k.fields if f.id == c.field)
            named = any(name.lower() in claim.text.lower() for name in (card.name, *card.aliases))
            if c.field not in claim.fields and not named and c.confidence != "inferred":
                raise KnowledgeError(f"{where}: key 'confidence': claim {pid!r} neither lists nor names this field, "
                                     "so the cell is our reading and must say 'inferred'")


def agrees_with_model(stance_or_leans: str, in_safer_half: bool) -> bool | None:
    """Whether a source's stance (or a claim's `leans`) agrees with our model placing a field in the safer half
    (`in_safer_half`) or the more exposed half; None when it says nothing about sooner or later."""
    stance = LEANS_STANCE.get(stance_or_leans, stance_or_leans)
    if stance == "more":
        return not in_safer_half
    if stance == "less":
        return in_safer_half
    return None


@dataclass(frozen=True)
class Quote:
    """The text a cell rests on: an essay passage word for word, or a claim or fact in our words."""

    passage_id: str
    text: str
    where: str
    verbatim: bool


@dataclass(frozen=True)
class Source:
    id: str
    label: str
    short: str
    title: str
    authors: str
    url: str
    year: int
    timing: str | None
    timing_passages: tuple[str, ...]


@dataclass(frozen=True)
class ViewCell:
    source_id: str
    field_id: str
    stance: Stance
    confidence: Confidence | None  # None for a silent cell
    says: str
    passages: tuple[str, ...]
    page: str  # the source's address
    quotes: tuple[Quote, ...]
    timing: str | None
    agreement: Agreement

    @property
    def stance_words(self) -> str:
        return STANCE_WORDS[self.stance]

    def to_dict(self) -> dict[str, object]:
        return {"source": self.source_id, "field": self.field_id, "stance": self.stance,
                "confidence": self.confidence, "says": self.says, "passages": list(self.passages),
                "page": self.page, "timing": self.timing, "agreement": self.agreement,
                "quotes": [q.__dict__ for q in self.quotes]}


@dataclass(frozen=True)
class FieldViews:
    """One row: a field, where our model puts it, and what every source says of it (in the sources' order)."""

    field_id: str
    name: str
    rank: int
    total: int
    in_safer_half: bool
    cells: tuple[ViewCell, ...]

    @property
    def model_position(self) -> str:
        return "safer half" if self.in_safer_half else "more exposed half"

    def cell(self, source_id: str) -> ViewCell:
        return next(c for c in self.cells if c.source_id == source_id)

    def count(self, agreement: Agreement) -> int:
        return sum(c.agreement == agreement for c in self.cells)

    @property
    def agree(self) -> int:
        return self.count("agrees")

    @property
    def disagree(self) -> int:
        return self.count("disagrees")

    @property
    def no_order(self) -> int:
        return self.count("no-order")

    @property
    def silent(self) -> int:
        return self.count("silent")

    @property
    def speaking(self) -> tuple[ViewCell, ...]:
        return tuple(c for c in self.cells if c.stance != "silent")

    def to_dict(self) -> dict[str, object]:
        return {"id": self.field_id, "name": self.name, "rank": self.rank, "total": self.total,
                "model_position": self.model_position,
                "agreement": {"agree": self.agree, "disagree": self.disagree, "no_order": self.no_order,
                              "silent": self.silent},
                "cells": [c.to_dict() for c in self.cells]}


@dataclass(frozen=True)
class ViewMatrix:
    sources: tuple[Source, ...]
    fields: tuple[FieldViews, ...]  # in our model's rank order, most exposed first

    def for_field(self, field_id: str) -> FieldViews:
        """The row of one field, by card id (resolve names and aliases with `Knowledge.field` first)."""
        for row in self.fields:
            if row.field_id == field_id:
                return row
        raise KeyError(field_id)

    def source(self, source_id: str) -> Source:
        return next(s for s in self.sources if s.id == source_id)

    def cells(self) -> Iterator[ViewCell]:
        for row in self.fields:
            yield from row.cells

    def timing(self, field_id: str | None = None) -> list[tuple[Source, ViewCell | None]]:
        """What the sources say about *when*: each source's general note (cell None) and every cell with a date,
        for one field or for all. Nothing here is a date a source does not give."""
        notes: list[tuple[Source, ViewCell | None]] = [(s, None) for s in self.sources if s.timing]
        dated = [c for c in self.cells() if c.timing and field_id in (None, c.field_id)]
        return notes + [(self.source(c.source_id), c) for c in dated]

    def to_dict(self) -> dict[str, object]:
        return {"sources": [s.__dict__ | {"timing_passages": list(s.timing_passages)} for s in self.sources],
                "stances": STANCE_WORDS, "fields": [f.to_dict() for f in self.fields]}


def view_matrix(knowledge: Knowledge, ranking: Ranking | None = None) -> ViewMatrix:
    """Every field by every source, with agreement against `ranking` (default: the default-weight ranking)."""
    from advisor.knowledge.ranking import rank_fields

    ranking = ranking or rank_fields(knowledge)
    safer = ranking.safer_half
    entries = knowledge.views.sources if knowledge.views is not None else _default_sources(knowledge)
    sources = tuple(_source(knowledge, s) for s in entries)
    given = {(c.source, c.field): c for c in knowledge.views.cells} if knowledge.views is not None else {}
    rows = []
    for ranked in ranking.fields:
        cells = []
        for entry, source in zip(entries, sources, strict=True):
            c = given.get((source.id, ranked.id))
            if c is None:
                cells.append(ViewCell(source.id, ranked.id, "silent", None, entry.silent,
                                      tuple(entry.silent_passages), source.url,
                                      _quotes(knowledge, entry.silent_passages), None, "silent"))
                continue
            agrees = agrees_with_model(c.stance, ranked.id in safer)
            agreement: Agreement = "no-order" if agrees is None else "agrees" if agrees else "disagrees"
            cells.append(ViewCell(source.id, ranked.id, c.stance, c.confidence, c.says, tuple(c.passages),
                                  source.url, _quotes(knowledge, c.passages), c.timing, agreement))
        rows.append(FieldViews(ranked.id, ranked.name, ranked.rank, len(ranking.fields), ranked.id in safer,
                               tuple(cells)))
    return ViewMatrix(sources, tuple(rows))


def _default_sources(k: Knowledge) -> list[SourceEntry]:
    """Columns for a knowledge base without views.yaml: the essay and each assessment, every cell silent."""
    return [SourceEntry(id=ESSAY, label="The essay", short="Essay",
                        silent="The surviving text of the essay does not mention it.")] + [
        SourceEntry(id=a.id, label=f"{a.authors} {a.date.year}", short=a.authors.split()[0][:8],
                    silent="Nothing recorded for this field.") for a in k.assessments]


def _source(k: Knowledge, s: SourceEntry) -> Source:
    if s.id == ESSAY:
        return Source(s.id, s.label, s.short, k.essay.title, "the essay's author", k.essay.url, k.essay.year,
                      s.timing, tuple(s.timing_passages))
    a = next(a for a in k.assessments if a.id == s.id)
    return Source(s.id, s.label, s.short, a.title, a.authors, a.url, a.date.year, s.timing, tuple(s.timing_passages))


def _quotes(k: Knowledge, passage_ids: Iterable[str]) -> tuple[Quote, ...]:
    out = []
    for pid in passage_ids:
        if pid.startswith("essay-"):
            p = k.passage(pid)
            out.append(Quote(pid, p.text, f"the essay, line {p.line} ({p.provenance})", True))
            continue
        fact = next((f for f in k.essay.public_facts if f.id == pid), None)
        if fact is not None:
            out.append(Quote(pid, fact.claim, f"a public fact about the essay ({fact.source}), in our words", False))
            continue
        for a in k.assessments:
            for claim in a.claims:
                if claim.id == pid:
                    out.append(Quote(pid, claim.text.strip(), f"{a.authors}, \"{a.title}\", in our words", False))
    return tuple(out)
