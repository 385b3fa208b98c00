"""The tools for what career-changers ask after the first answer: what a field's work is like and what it
requires, the list of fields, what a term means, what other sources think, when fields may be automated, quit
or keep the job, a plan sized to their hours, and a recap of the conversation. Same shape as `tools.py`: typed
input, text for a model to read with numbered sources, and a typed payload for the offline writer."""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, Field

from advisor.chat.fit import picks
from advisor.knowledge.base import Assessment, Claim, FieldCard
from advisor.knowledge.ranking import Ranking
from advisor.knowledge.recommend import PlannedReading
from advisor.knowledge.transition import Decision, TransitionPlan, quit_or_keep, readings_within, transition_plan
from advisor.knowledge.views import FieldViews, view_matrix

if TYPE_CHECKING:
    from advisor.chat.sources import SourceBook
    from advisor.chat.tools import ToolResult
    from advisor.knowledge import Knowledge
    from advisor.knowledge.profile import Profile

Aspect = Literal["day_to_day", "degree", "maths", "coding", "organisations", "entry"]
YEAR = re.compile(r"\b(20[2-9]\d)\b")


class DetailsInput(BaseModel):
    field: str = Field(description="a field id, name or alias")
    aspects: list[Aspect] = Field(default_factory=list, description="what the user asked about; empty = all")


class ListInput(BaseModel):
    pass


class DefineInput(BaseModel):
    term: str = Field(description="the term to define, as the user wrote it")


class ViewsInput(BaseModel):
    field: str | None = Field(default=None, description="a field id, name or alias; none = the ranking as a whole")


class TimingInput(BaseModel):
    field: str | None = None
    year: int | None = Field(default=None, ge=2024, le=2100, description="the year the user asked about")


class DecideInput(BaseModel):
    field: str | None = Field(default=None, description="the field the user is aiming for")


class PlanInput(BaseModel):
    fields: list[str] = Field(default_factory=list, description="field ids; empty = the user's recommendations")
    hours_per_week: int | None = Field(default=None, ge=1, le=100)
    weeks: int | None = Field(default=None, ge=1, le=104)
    minutes_total: int | None = Field(default=None, ge=5, le=6000,
                                      description="a reading budget in minutes instead of a plan")


class RecapInput(BaseModel):
    pass


@dataclass(frozen=True)
class Detailed:
    card: FieldCard
    aspects: list[str]


@dataclass(frozen=True)
class Listed:
    ranking: Ranking


@dataclass(frozen=True)
class Defined:
    term: str
    definition: str | None
    field_id: str | None


@dataclass(frozen=True)
class Views:
    field_id: str | None
    claims: list[tuple[Assessment, Claim]]
    model_position: str  # "safer half" / "more exposed half" / ""
    row: FieldViews | None = None  # the field's row of the views matrix: what each source says of it
    labels: dict[str, str] = field(default_factory=dict)  # source id -> its label ("Wehner 2026, factor model")
    sides: tuple[int, int] = (0, 0)  # over every field: placements the sources agree / disagree with


@dataclass(frozen=True)
class Timed:
    field_id: str | None
    year: int | None
    claims: list[tuple[Assessment, Claim]]  # claims that speak of dates


@dataclass(frozen=True)
class Decided:
    decision: Decision


@dataclass(frozen=True)
class Planned:
    plan: TransitionPlan | None
    readings: list[PlannedReading] = field(default_factory=list)  # a reading budget instead of a plan
    minutes: int | None = None


@dataclass(frozen=True)
class Recapped:
    turns: list[dict[str, Any]]  # what each earlier answer contained: intent, recommendations, fields


class ConversationTools:
    """Mixed into `Toolbox`: the answer types beyond recommending, ranking and reading."""

    if TYPE_CHECKING:  # what `Toolbox` provides
        knowledge: Knowledge
        book: SourceBook
        profile: Profile
        recommended: list[str]
        glossary: dict[str, str]
        conversation: list[dict[str, Any]]

        def _discuss(self, *field_ids: str) -> None: ...
        def _ranking(self, weights: dict[str, float] | None = None, scenario: str | None = None) -> Ranking: ...
        def _done(self, result: ToolResult) -> ToolResult: ...

    def field_details(self, args: DetailsInput) -> ToolResult:
        from advisor.chat.tools import ToolResult

        card = self.knowledge.field(args.field)
        self._discuss(card.id)
        aspects: list[str] = [str(a) for a in args.aspects] or ["day_to_day", "degree", "maths", "coding", "entry"]
        r = card.requirements
        n_req = self.book.add_passage(self.knowledge, f"field:{card.id}#requirements")
        n_work = self.book.add_passage(self.knowledge, f"field:{card.id}#work")
        n_entry = self.book.add_passage(self.knowledge, f"field:{card.id}#entry")
        lines = [f"{card.name}:", f"Day to day [{n_req}]: {r.day_to_day}", f"Degree [{n_req}]: {r.degree}",
                 f"Maths [{n_req}]: {r.maths}", f"Coding [{n_req}]: {r.coding}",
                 f"Typical tasks [{n_work}]: {'; '.join(card.research_tasks)}",
                 f"Ways in [{n_entry}]: {'; '.join(card.entry_paths)}",
                 f"Organisations [{n_entry}]: {', '.join(card.organisations)}"]
        return self._done(ToolResult("field_details", "\n".join(lines), Detailed(card, aspects)))

    def list_fields(self, args: ListInput) -> ToolResult:
        from advisor.chat.tools import ToolResult

        ranking = self._ranking()
        lines = ["The fields, most exposed to automation first. Only #1 is the essay's; the rest of the order is "
                 "our model's estimate."]
        for f in ranking.fields:
            n = self.book.add_passage(self.knowledge, f"field:{f.id}#overview")
            lines.append(f"#{f.rank} {f.name} [{n}]: {self.knowledge.field(f.id).summary}")
        return self._done(ToolResult("list_fields", "\n".join(lines), Listed(ranking)))

    def define_term(self, args: DefineInput) -> ToolResult:
        from advisor.chat.tools import ToolResult

        term = args.term.strip().strip("'\"?").strip()
        definition = _glossary_entry(self.glossary, term)
        field_id = None
        for variant in (term, f"{term}s", term.removesuffix("s")):  # "an eval" is the field "evals"
            with contextlib.suppress(KeyError):
                field_id = field_id or self.knowledge.field(variant).id
        if field_id:
            self._discuss(field_id)
            n = self.book.add_passage(self.knowledge, f"field:{field_id}#overview")
            card = self.knowledge.field(field_id)
            text = f"{card.name} [{n}]: {card.summary}" + (f" In plain words: {definition}." if definition else "")
        else:
            text = f"{term}: {definition}" if definition else f"No definition of {term!r} in the glossary."
        return self._done(ToolResult("define_term", text, Defined(term, definition, field_id)))

    def other_views(self, args: ViewsInput) -> ToolResult:
        from advisor.chat.tools import ToolResult

        fid = self.knowledge.field(args.field).id if args.field else None
        matrix = view_matrix(self.knowledge, self._ranking())
        labels = {s.id: s.label for s in matrix.sources}
        if fid:  # one field: what each source says of it, from the views matrix, and how many agree
            self._discuss(fid)
            row = matrix.for_field(fid)
            lines = []
            for cell in row.speaking:
                numbers = [self.book.add_passage(self.knowledge, p) for p in cell.passages]
                lines.append(f"{labels[cell.source_id]} {''.join(f'[{n}]' for n in numbers)}: {cell.says} "
                             f"({cell.agreement})")
            lines.append(f"Agree with our model: {row.agree}; disagree: {row.disagree}; no order: {row.no_order}; "
                         f"silent: {row.silent}.")
            return self._done(ToolResult("other_views", "\n".join(lines),
                                         Views(fid, [], row.model_position, row, labels)))
        claims = [(a, c) for a in self.knowledge.assessments for c in a.claims]
        lines = []
        for a, c in claims:
            n = self.book.add_passage(self.knowledge, c.id)
            lines.append(f"{a.authors} ({a.date.year}) [{n}]: {c.text}")
        agreements = [c.agreement for c in matrix.cells()]
        sides = (agreements.count("agrees"), agreements.count("disagrees"))
        return self._done(ToolResult("other_views", "\n".join(lines) or "No other assessment speaks of this.",
                                     Views(None, claims, "", None, labels, sides)))

    def timing(self, args: TimingInput) -> ToolResult:
        from advisor.chat.tools import ToolResult

        fid = self.knowledge.field(args.field).id if args.field else None
        if fid:
            self._discuss(fid)
        dated = [(a, c) for a in self.knowledge.assessments for c in a.claims
                 if YEAR.search(c.text) and (fid is None or fid in c.fields)]
        lines = ["The essay gives no dates."]
        for a, c in dated:
            n = self.book.add_passage(self.knowledge, c.id)
            lines.append(f"{a.authors} [{n}]: {c.text}")
        return self._done(ToolResult("timing", "\n".join(lines), Timed(fid, args.year, dated)))

    def decide_job(self, args: DecideInput) -> ToolResult:
        from advisor.chat.tools import ToolResult

        fid = self.knowledge.field(args.field).id if args.field else self._main_field()
        d = quit_or_keep(self.knowledge, self.profile, fid)
        self.book.add_passage(self.knowledge, f"field:{fid}#entry")
        text = (f"Keep the job: {d.keep_job}. Over {d.months} months: {d.part_time_hours} hours part-time at "
                f"{d.hours_per_week} h a week, or {d.full_time_hours} hours full-time. Reasons: "
                f"{'; '.join(d.reasons) or 'none against quitting'}.")
        return self._done(ToolResult("decide_job", text, Decided(d)))

    def make_plan(self, args: PlanInput) -> ToolResult:
        from advisor.chat.tools import ToolResult

        ids = [self.knowledge.field(f).id for f in args.fields] or self.recommended or [self._main_field()]
        if args.minutes_total:
            readings = readings_within(self.knowledge, self.profile, ids[:3], args.minutes_total)
            for r in readings:
                self.book.add_passage(self.knowledge, r.url)
            text = "; ".join(f"{r.title} ({r.minutes} min)" for r in readings) or "No reading fits that time."
            return self._done(ToolResult("make_plan", text, Planned(None, readings, args.minutes_total)))
        plan = transition_plan(self.knowledge, self.profile, ids, args.hours_per_week, args.weeks)
        self._discuss(*plan.fields)
        lines = [f"{plan.hours_per_week} hours a week for {plan.weeks} weeks ({plan.total_hours} hours in all):"]
        for s in plan.steps:
            nums = "".join(f"[{self.book.add_passage(self.knowledge, src)}]" for src in s.sources)
            lines.append(f"Weeks {s.start_week}-{s.end_week} ({s.phase}, {s.hours} h): {s.text} {nums}")
        lines.append(f"Decision point: {plan.decision}")
        return self._done(ToolResult("make_plan", "\n".join(lines), Planned(plan)))

    def recap(self, args: RecapInput) -> ToolResult:
        from advisor.chat.tools import ToolResult

        lines = [f"Profile: {self.profile.describe()}"]
        for i, t in enumerate(self.conversation, 1):
            lines.append(f"Answer {i} ({t.get('intent')}): recommended {t.get('recommendations') or []}, "
                         f"talked about {t.get('fields') or []}")
        for fid in dict.fromkeys(f for t in self.conversation for f in t.get("recommendations") or []):
            self.book.add_passage(self.knowledge, f"field:{fid}#factors")
        return self._done(ToolResult("recap", "\n".join(lines), Recapped(list(self.conversation))))

    def _main_field(self) -> str:
        """The field the person is aiming at: the last recommendations, else the best pick for them now."""
        if self.recommended:
            return self.recommended[0]
        for t in reversed(self.conversation):
            if t.get("recommendations"):
                return str(t["recommendations"][0])
        return picks(self.knowledge, self.profile, self._ranking(), top=1)[0].field_id


def _glossary_entry(glossary: dict[str, str], term: str) -> str | None:
    low = term.lower()
    for key, value in glossary.items():
        if key.lower() == low:
            return value
    for key, value in glossary.items():  # "sparse autoencoders" for "sparse autoencoder", "an SAE"
        k = key.lower()
        if re.search(rf"(?<!\w){re.escape(k)}s?(?!\w)", low) or re.search(rf"(?<!\w){re.escape(low)}(?!\w)", k):
            return value
    return None


CONVERSATION_TOOL_SPECS: tuple[tuple[str, str, type[BaseModel], str], ...] = (
    ("field_details", "What the work in a field is like day to day, and what it requires (degree, PhD, maths, "
                      "coding), who employs people, how people get in.", DetailsInput, "field_details"),
    ("list_fields", "List every field the advisor knows, with one line each.", ListInput, "list_fields"),
    ("define_term", "Define a term in plain words (a field name or glossary term).", DefineInput, "define_term"),
    ("other_views", "What other public assessments (not the essay) say about a field or about the ranking.",
     ViewsInput, "other_views"),
    ("timing", "What the sources say about WHEN fields may be automated (the essay gives no dates).",
     TimingInput, "timing"),
    ("decide_job", "Quit or keep the job: the trade-off in the user's own numbers (runway, hours).",
     DecideInput, "decide_job"),
    ("make_plan", "A phased plan sized to the user's hours a week and weeks, or readings within a time budget.",
     PlanInput, "make_plan"),
    ("recap", "What the conversation so far contained: the profile, the recommendations and what was discussed.",
     RecapInput, "recap"),
)
