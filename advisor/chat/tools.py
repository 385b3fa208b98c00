"""The advisor's tools, with typed inputs, called alike by an LLM and the offline model (as LangChain tools).

Each tool returns text for a model to read, in which every passage carries its source number [n] and says
what kind of source it is, and a `ToolResult` (the LangChain artifact) with the structured data the offline
writer uses. Sources are collected in the turn's `SourceBook`. A bad argument never ends the turn: the
error goes back to the model as the tool's answer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, Field

from advisor.chat.conversation_tools import (
    CONVERSATION_TOOL_SPECS,
    ConversationTools,
    Decided,
    Defined,
    Detailed,
    Listed,
    Planned,
    Recapped,
    Timed,
    Views,
)
from advisor.chat.events import Citation, ToolCalled, ToolFinished
from advisor.chat.fit import affinity, picks
from advisor.chat.grounding import quote_source
from advisor.chat.sources import SourceBook
from advisor.errors import AdvisorError
from advisor.knowledge import Knowledge
from advisor.knowledge.explain import Explanation, Move, explain_rank, rank_moves
from advisor.knowledge.profile import Constraints, Profile
from advisor.knowledge.ranking import Ranking, check_weights, rank_fields, scenario_overrides
from advisor.knowledge.recommend import (
    PlannedReading,
    Recommendation,
    Weights,
    nearest_level,
    reading_plan,
    recommend,
)
from advisor.prompts import DEFAULT_PROMPTS, Prompts
from advisor.search.retrieve import Hit, Retriever


class SearchInput(BaseModel):
    query: str = Field(description="what to look for, in the user's words")
    k: int = Field(default=5, ge=1, le=10)
    kind: Literal["essay", "field", "reading", "assessment", "user"] | None = None
    field: str | None = Field(default=None, description="a field id, name or alias")


class RankInput(BaseModel):
    weights: dict[str, float] | None = Field(default=None, description="factor -> weight, e.g. feedback_quality: 6")
    scenario: str | None = Field(default=None, description="a named what-if, e.g. trusted-eval-generation")


class ExplainInput(BaseModel):
    field: str = Field(description="a field id, name or alias, e.g. 'mech interp'")
    scenario: str | None = None
    weights: dict[str, float] | None = None


class CompareInput(BaseModel):
    fields: list[str] = Field(min_length=2, max_length=4)


class RecommendInput(BaseModel):
    top: int = Field(default=3, ge=1, le=8)
    scenario: str | None = Field(default=None, description="recommend under a named what-if")
    weights: dict[str, float] | None = Field(default=None, description="recommend under these factor weights")
    only: list[str] = Field(default_factory=list, description="score just these fields (ids, names or aliases)")
    fit_weight: float | None = Field(default=None, ge=0, le=1, description="how much fit matters vs safety")
    assume: dict[str, Any] = Field(default_factory=dict, description="a supposed change to the user's profile "
                                   "(profile keys), for 'what if I had 20 hours a week?': used for this answer only, "
                                   "never stored")


class ReadingsInput(BaseModel):
    fields: list[str] = Field(default_factory=list, description="field ids; empty = the user's recommendations")
    level: Literal["intro", "intermediate", "advanced"] | None = None


class ProfileInput(BaseModel):
    interests: list[str] = Field(default_factory=list, description="field ids or names the user likes")
    dislikes: list[str] = Field(default_factory=list)
    skills: list[str] = Field(default_factory=list)
    background: list[str] = Field(default_factory=list)
    constraints: Constraints = Field(default_factory=Constraints)
    goals: list[str] = Field(default_factory=list)
    readings_done: list[str] = Field(default_factory=list)
    fit_weight: float | None = Field(default=None, ge=0, le=1, description="how much fit matters vs safety")
    lacks: list[str] = Field(default_factory=list, description="skills or experience the user says they lack")
    about: list[str] = Field(default_factory=list, description="the user's own words about themselves")


@dataclass(frozen=True)
class Found:
    """search_knowledge: the passages found, best first."""

    hits: list[Hit]
    query: str = ""


@dataclass(frozen=True)
class Ranked:
    """rank_fields: the ranking (under a what-if, with what moved and why)."""

    ranking: Ranking
    scenario: str | None
    weights: dict[str, float]
    moves: list[Move]


@dataclass(frozen=True)
class Explained:
    """explain_field and compare_fields: one explanation per field."""

    explanations: list[Explanation]


@dataclass(frozen=True)
class Compared(Explained):
    """compare_fields: each field's explanation, what its work is, and (for a person the advisor knows) how well
    it fits them, in the same order."""

    work: list[str] = field(default_factory=list)
    fits: list[Recommendation] = field(default_factory=list)


@dataclass(frozen=True)
class Recommended:
    """recommend_fields: the picks for the user's profile, with reasons."""

    recommendations: list[Recommendation]
    profile: Profile


@dataclass(frozen=True)
class ReadingsPlanned:
    """recommend_readings: the plan, the fields it covers, the level asked and the level given."""

    plan: list[PlannedReading]
    fields: list[str]
    level_asked: str | None
    level_given: str | None


@dataclass(frozen=True)
class ProfileUpdated:
    profile: Profile


Payload = (Found | Ranked | Explained | Recommended | ReadingsPlanned | ProfileUpdated | Detailed | Listed | Defined |
           Views | Timed | Decided | Planned | Recapped)


@dataclass
class ToolResult:
    name: str
    text: str
    payload: Payload | None = None
    error: str | None = None
    numbers: list[int] = field(default_factory=list)  # the sources this call showed, by number
    book: SourceBook | None = field(default=None, repr=False, compare=False)  # the turn's numbered sources


@dataclass
class Toolbox(ConversationTools):
    """The state tools work on for one turn: knowledge, retrieval, the user's profile, the sources, and what the
    earlier answers of the conversation contained."""

    knowledge: Knowledge
    retriever_factory: Callable[[], Retriever]
    profile: Profile
    book: SourceBook = field(default_factory=SourceBook)
    results: list[ToolResult] = field(default_factory=list)
    recommended: list[str] = field(default_factory=list)
    fields_discussed: list[str] = field(default_factory=list)
    what_if: dict[str, Any] | None = None  # the what-if this turn ranked under, if any
    prompts: Prompts = DEFAULT_PROMPTS
    listener: Callable[[Any], None] | None = None  # receives ToolCalled / ToolFinished events
    glossary: dict[str, str] = field(default_factory=dict)
    conversation: list[dict[str, Any]] = field(default_factory=list)  # each earlier answer's contents

    def retriever(self) -> Retriever:
        return self.retriever_factory()

    def _discuss(self, *field_ids: str) -> None:
        self.fields_discussed = list(dict.fromkeys([*self.fields_discussed, *field_ids]))

    def _ranking(self, weights: dict[str, float] | None = None, scenario: str | None = None) -> Ranking:
        overrides = scenario_overrides(self.knowledge, [scenario]) if scenario else None
        return rank_fields(self.knowledge, check_weights(weights or {}), overrides)

    def _done(self, result: ToolResult) -> ToolResult:
        result.book = self.book
        result.numbers = list(dict.fromkeys(self.book.touched))
        self.results.append(result)
        return result

    def search_knowledge(self, args: SearchInput) -> ToolResult:
        hits = self.retriever().search(args.query, k=args.k, kinds=[args.kind] if args.kind else None,
                                       field=args.field)
        lines = []
        for h in hits:
            n = self.book.add(h.title, h.source, h.text, h.passage_id, h.kind)
            lines.append(quote_source(n, SOURCE_KINDS.get(h.kind, h.kind), h.title, h.source, h.text))
        return self._done(ToolResult("search_knowledge", "\n".join(lines) or "No passages found.",
                                     Found(hits, args.query)))

    def rank(self, args: RankInput) -> ToolResult:
        ranking = self._ranking(args.weights, args.scenario)
        if args.scenario or args.weights:
            self.what_if = {"scenario": args.scenario, "weights": args.weights}
        stated = "".join(f"[{self.book.add_passage(self.knowledge, p)}]" for p in self.knowledge.essay_rank_passages())
        lines = [f"Exposure ranking (1 = most likely automated first). Only #1 comes from the essay {stated}; "
                 "every other position is our model's estimate."]
        for f in ranking.fields:
            n = self.book.add_passage(self.knowledge, f"field:{f.id}#factors")
            lines.append(f"#{f.rank} {f.name} (exposure {f.score:.2f}) [{n}]")
        moves: list[Move] = []
        if args.scenario or args.weights:  # a what-if: what moved against the default ranking, and why
            found = rank_moves(rank_fields(self.knowledge), ranking, self.prompts).values()
            if args.scenario:
                for pid in self.knowledge.scenario(args.scenario).passage_ids:
                    self.book.add_passage(self.knowledge, pid)
            moves = [m for m in sorted(found, key=lambda m: m.new_rank) if m.old_rank != m.new_rank]
        return self._done(ToolResult("rank_fields", "\n".join(lines),
                                     Ranked(ranking, args.scenario, ranking.weights, moves)))

    def explain(self, args: ExplainInput) -> ToolResult:
        ranking = self._ranking(args.weights, args.scenario)
        e = explain_rank(self.knowledge, args.field, ranking, self.prompts)
        self._discuss(e.id)
        for pid in self.knowledge.essay_rank_passages(e.id):
            self.book.add_passage(self.knowledge, pid)
        factors_n = self.book.add_passage(self.knowledge, f"field:{e.id}#factors")
        lines = [f"{e.name}: #{e.rank} of {e.total} ({'essay' if e.source_of_rank == 'essay' else 'our model'}), "
                 f"exposure {e.score:.2f}. Factors [{factors_n}]:"]
        lines += [f"- {f.label}: {f.score}/5, share {f.contribution:.2f}: {f.rationale}" for f in e.factors]
        for ev in e.essay_evidence:
            n = self.book.add_passage(self.knowledge, ev.passage_id)
            lines.append(f"Essay [{n}] ({ev.provenance}): {ev.text}")
        for v in e.other_views:
            n = self.book.add_passage(self.knowledge, v.id)
            lines.append(f"{v.source} [{n}]: {v.claim}")
        lines += [f"Caveat: {c}" for c in e.caveats]
        if e.what_if:
            lines.append(f"What-if: {e.name} {e.what_if.sentence}")
        return self._done(ToolResult("explain_field", "\n".join(lines), Explained([e])))

    def compare(self, args: CompareInput) -> ToolResult:
        ranking = self._ranking()
        ids = [self.knowledge.field(f).id for f in args.fields]
        self._discuss(*ids)
        explanations = [explain_rank(self.knowledge, fid, ranking, self.prompts) for fid in ids]
        work = [self.knowledge.field(fid).research_tasks[0] for fid in ids]
        fits: list[Recommendation] = []
        if not self.profile.is_empty():
            found = {r.field_id: r for r in recommend(self.knowledge, self.profile, ranking, top=len(ids),
                                                      affinity=affinity(self.knowledge, self.profile), only=ids)}
            fits = [found[fid] for fid in ids if fid in found]
        lines = []
        for i, e in enumerate(explanations):
            n = self.book.add_passage(self.knowledge, f"field:{e.id}#factors")
            w = self.book.add_passage(self.knowledge, f"field:{e.id}#work")
            scores = ", ".join(f"{f.label} {f.score}/5" for f in e.factors)
            fit = next((f"; {r.fit_words} for the user" for r in fits if r.field_id == e.id), "")
            lines.append(f"{e.name}: #{e.rank} of {e.total}, exposure {e.score:.2f}; {scores} [{n}]{fit}; "
                         f"the work: {work[i]} [{w}]")
        return self._done(ToolResult("compare_fields", "\n".join(lines), Compared(explanations, work, fits)))

    def recommend_fields(self, args: RecommendInput) -> ToolResult:
        ranking = self._ranking(args.weights, args.scenario)
        if args.scenario or args.weights:
            self.what_if = {"scenario": args.scenario, "weights": args.weights}
        weights = Weights(args.fit_weight, 1 - args.fit_weight) if args.fit_weight is not None else None
        only = [self.knowledge.field(f).id for f in args.only]
        profile = self.profile.merge(Profile.model_validate(args.assume)) if args.assume else self.profile
        recs = recommend(self.knowledge, profile, ranking, weights, top=args.top,
                         affinity=affinity(self.knowledge, profile), only=only or None)
        if only or args.assume:  # a supposed profile's picks are not the person's picks
            self._discuss(*(only or [r.field_id for r in recs]))
        else:
            self.recommended = [r.field_id for r in recs]
        lines = [f"Profile{' (supposed, for this answer only)' if args.assume else ''}: {profile.describe()}"]
        total = len(ranking.fields)
        for i, r in enumerate(recs, 1):
            lines.append(f"{i}. {r.name}: {r.fit_words} for the user; safety from automation: {r.safety_words(total)}"
                         f" (exposure rank #{r.rank} of {total})")
            for reason in r.reasons:
                nums = [self.book.add_passage(self.knowledge, s) for s in reason.sources]
                lines.append(f"   - {reason.text} {''.join(f'[{n}]' for n in nums)}".rstrip())
        return self._done(ToolResult("recommend_fields", "\n".join(lines), Recommended(recs, profile)))

    def recommend_readings(self, args: ReadingsInput) -> ToolResult:
        ids = [self.knowledge.field(f).id for f in args.fields] or self.recommended
        if not ids:
            ids = [r.field_id for r in picks(self.knowledge, self.profile, self._ranking(), top=3)]
        if args.fields:
            self._discuss(*ids)
        level = nearest_level(self.knowledge, ids, self.profile, args.level) if args.level else None
        plan = reading_plan(self.knowledge, ids, self.profile, level=level)
        lines = []
        for p in plan:
            n = self.book.add_passage(self.knowledge, p.url)
            lines.append(f"[{n}] ({p.level}, ~{p.minutes} min, {p.field_id}) {p.title}, {p.authors} {p.year}: {p.url}")
        return self._done(ToolResult("recommend_readings", "\n".join(lines) or "Nothing left to read there.",
                                     ReadingsPlanned(plan, ids, args.level, level)))

    def update_profile(self, args: ProfileInput) -> ToolResult:
        def resolve(names: list[str]) -> list[str]:
            out = []
            for name in names:
                try:
                    out.append(self.knowledge.field(name).id)
                except KeyError:
                    continue
            return out

        update = Profile(interests=resolve(args.interests), dislikes=resolve(args.dislikes), skills=args.skills,
                         background=args.background, constraints=args.constraints, goals=args.goals,
                         readings_done=args.readings_done, fit_weight=args.fit_weight, lacks=args.lacks,
                         about=args.about)
        self.profile = self.profile.merge(update)
        return self._done(ToolResult("update_profile", f"Profile now: {self.profile.describe()}",
                                     ProfileUpdated(self.profile)))

    def langchain_tools(self) -> list[Any]:
        """The same tools as LangChain `StructuredTool`s, for a model that calls tools itself."""
        from langchain_core.tools import StructuredTool

        tools = []
        for spec in TOOL_SPECS:

            def run(_name: str = spec.name, **kwargs: Any) -> tuple[str, ToolResult]:
                result = self.call(_name, kwargs)
                return result.text, result

            tools.append(StructuredTool.from_function(func=run, name=spec.name, description=spec.description,
                                                      args_schema=spec.schema, response_format="content_and_artifact"))
        return tools

    def call(self, name: str, args: dict[str, Any]) -> ToolResult:
        """Run a tool by name with raw arguments, validated against its input model. A bad argument or an
        unknown tool gives a result whose text is the error, for the model to read and correct."""
        from pydantic import ValidationError

        if self.listener:
            self.listener(ToolCalled(name=name, args=args))
        spec = next((t for t in TOOL_SPECS if t.name == name), None)
        self.book.touched.clear()
        try:
            if spec is None:
                raise ToolArgumentError(f"There is no tool {name!r}. Tools: {', '.join(t.name for t in TOOL_SPECS)}")
            method: Callable[[Any], ToolResult] = getattr(self, spec.method)
            result = method(spec.schema(**args))
        except ValidationError as exc:
            err = exc.errors()[0]
            result = self._failed(name, f"{'.'.join(map(str, err['loc'])) or 'arguments'}: {err['msg']}")
        except AdvisorError as exc:
            result = self._failed(name, str(exc))
        if self.listener:
            self.listener(ToolFinished(name=name, summary=_summary(result), error=result.error,
                                       passages=[_citation(s) for s in self.book.all() if s.n in result.numbers]))
        return result

    def _failed(self, name: str, error: str) -> ToolResult:
        return self._done(ToolResult(name, f"Error: {error} Correct the arguments and call the tool again, or "
                                           "answer without it.", error=error))


@dataclass(frozen=True)
class ToolSpec:
    name: str
    description: str
    schema: type[BaseModel]
    method: str


TOOL_SPECS: tuple[ToolSpec, ...] = (
    ToolSpec("search_knowledge", "Search the essay, field cards, readings, assessments and the user's documents.",
             SearchInput, "search_knowledge"),
    ToolSpec("rank_fields", "Rank all fields by exposure to automation, optionally under a what-if.",
             RankInput, "rank"),
    ToolSpec("explain_field", "Explain why one field ranks where it does, with the essay's evidence.",
             ExplainInput, "explain"),
    ToolSpec("compare_fields", "Compare two to four fields side by side.", CompareInput, "compare"),
    ToolSpec("recommend_fields", "Recommend fields for the user's profile, safer bets against automation first.",
             RecommendInput, "recommend_fields"),
    ToolSpec("recommend_readings", "A levelled reading plan for fields, skipping what the user has read.",
             ReadingsInput, "recommend_readings"),
    ToolSpec("update_profile", "Record what the user said about their interests, skills, background, constraints.",
             ProfileInput, "update_profile"),
    *(ToolSpec(*spec) for spec in CONVERSATION_TOOL_SPECS),
)


class ToolArgumentError(AdvisorError):
    """A tool call the model made with a name or arguments that cannot be used."""


SOURCE_KINDS = {"essay": "the essay", "field": "a field card", "reading": "a reading", "assessment":
                "another assessment", "user": "the user's own document, not the essay"}


FOUND_WORDS = {"essay": ("essay passage", "essay passages"), "field": ("field card passage", "field card passages"),
               "reading": ("reading", "readings"), "assessment": ("other assessment", "other assessments"),
               "user": ("passage from your documents", "passages from your documents")}  # one, many


def _citation(s: Any) -> Citation:
    return Citation(n=s.n, title=s.title, source=s.source, text=s.text, passage_id=s.passage_id, kind=s.kind)


def _summary(result: ToolResult) -> str:
    if result.error:
        return f"could not run: {result.error}"
    p = result.payload
    if isinstance(p, Found):
        kinds = [h.kind for h in p.hits]
        return ", ".join(f"{kinds.count(k)} {FOUND_WORDS.get(k, (k, k))[kinds.count(k) > 1]}"
                         for k in dict.fromkeys(kinds)) or "nothing found"
    if isinstance(p, Ranked):
        return f"ranking of {len(p.ranking.fields)} fields"
    if isinstance(p, Explained):
        return ("why " + p.explanations[0].name + " ranks where it does" if len(p.explanations) == 1 else
                "comparison of " + ", ".join(e.name for e in p.explanations))
    if isinstance(p, Recommended):
        return f"{len(p.recommendations)} recommended field(s)"
    if isinstance(p, ReadingsPlanned):
        return f"{len(p.plan)} readings"
    if isinstance(p, ProfileUpdated):
        return "profile updated"
    return {"field_details": "what the work is like and what it requires", "list_fields": "the list of fields",
            "define_term": "a definition", "other_views": "what other sources say", "timing": "what sources say about "
            "when", "decide_job": "the trade-off of quitting or keeping the job", "make_plan": "a plan",
            "recap": "the conversation so far"}.get(result.name, result.name)
