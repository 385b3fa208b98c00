"""The numbered sources of one answer: every passage a tool showed, deduplicated, so citations [n] in the
answer can be checked against what was really given."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from advisor.errors import DataError
from advisor.knowledge import FieldCard, Knowledge


@dataclass(frozen=True)
class Source:
    n: int
    title: str
    source: str  # URL or file
    text: str
    passage_id: str
    kind: str

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


class SourceBook:
    def __init__(self) -> None:
        self._by_passage: dict[str, Source] = {}
        self.touched: list[int] = []  # numbers handed out since the last clear (what one tool call showed)

    def add(self, title: str, source: str, text: str, passage_id: str, kind: str) -> int:
        """The number of this passage, adding it if it is new."""
        if passage_id not in self._by_passage:
            n = len(self._by_passage) + 1
            self._by_passage[passage_id] = Source(n, title, source, text, passage_id, kind)
        n = self._by_passage[passage_id].n
        self.touched.append(n)
        return n

    def add_passage(self, knowledge: Knowledge, passage_id: str) -> int:
        """Add an essay passage, a field-card section (`field:<id>#section`), an assessment claim, a public fact
        about the post, a programme (`programme:<id>`) or a reading."""
        if passage_id.startswith("essay-"):
            p = knowledge.passage(passage_id)
            who = "post" if p.kind == "post" else "comment"
            return self.add(f"{knowledge.essay.title} ({who}, line {p.line})", knowledge.essay.url, p.text,
                            passage_id, "essay")
        if passage_id.startswith("field:"):
            fid, _, section = passage_id[len("field:"):].partition("#")
            card = knowledge.field(fid)
            return self.add(f"{card.name} ({section})", f"knowledge/fields/{card.id}.md",
                            card_section(card, section), passage_id, "field")
        for a in knowledge.assessments:
            for claim in a.claims:
                if claim.id == passage_id:
                    return self.add(f"{a.title} ({a.authors})", a.url, claim.text, claim.id, "assessment")
        if passage_id.startswith("programme:") and knowledge.programmes is not None:
            prog = knowledge.programmes.programme(passage_id[len("programme:"):])
            return self.add(f"{prog.name} ({prog.organiser})", prog.url,
                            f"{prog.summary} {prog.time_commitment}; applications: {prog.applications}", passage_id,
                            "programme")
        for fact in knowledge.essay.public_facts:
            if fact.id == passage_id:
                return self.add(f"{knowledge.essay.title} (public facts)", fact.source, fact.claim, fact.id, "fact")
        for card in knowledge.fields:
            for r in card.readings:
                if r.url == passage_id:
                    return self.add(r.title, r.url, f"{r.title}, {r.authors}, {r.year} ({r.level})", r.url, "reading")
        raise UnknownPassageError(f"No passage {passage_id!r} in the knowledge base")

    def number(self, passage_id: str) -> int | None:
        source = self._by_passage.get(passage_id)
        return source.n if source else None

    def get(self, n: int) -> Source | None:
        return next((s for s in self._by_passage.values() if s.n == n), None)

    def all(self) -> list[Source]:
        return sorted(self._by_passage.values(), key=lambda s: s.n)

    def __len__(self) -> int:
        return len(self._by_passage)


def card_section(card: FieldCard, section: str) -> str:
    if section == "factors":
        return " ".join(f"{name.replace('_', ' ')} {f.score}/5: {f.rationale}" for name, f in card.factors.items())
    if section == "work":
        return (f"Typical tasks: {'; '.join(card.research_tasks)}. Skills: {', '.join(card.skills)}. "
                f"Backgrounds: {', '.join(card.backgrounds)}.")
    if section == "entry":
        return f"Ways in: {'; '.join(card.entry_paths)}. Organisations: {', '.join(card.organisations)}."
    if section == "suits":
        return f"Who it suits: {card.suits}" if card.suits else f"Backgrounds: {', '.join(card.backgrounds)}."
    if section == "essay":
        return card.essay.says
    if section == "requirements":
        r = card.requirements
        return f"Day to day: {r.day_to_day} Degree: {r.degree} Maths: {r.maths} Coding: {r.coding}"
    return f"{card.summary} {card.description.split(chr(10))[0]}"


class UnknownPassageError(DataError, KeyError):
    """A passage id that names nothing in the knowledge base."""
