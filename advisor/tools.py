"""The advisor's tools, with typed inputs, called alike by an LLM (as LangChain tools) and the offline planner.

Each tool returns text for a model to read, in which every passage carries its source number [n], and the
structured data the offline writer uses. Sources are collected in the turn's `SourceBook`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, Field

from advisor.explain import explain_rank, rank_moves
from advisor.knowledge import Knowledge
from advisor.profile import Constraints, Profile
from advisor.ranking import Ranking, check_weights, rank_fields, scenario_overrides
from advisor.recommend import Weights, reading_plan, recommend
from advisor.retrieve import Retriever
from advisor.sources import SourceBook


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
    fit_weight: float | None = Field(default=None, ge=0, le=1, description="how much fit matters vs safety")


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


@dataclass
class ToolResult:
    name: str
    text: str
    data: dict[str, Any] = field(default_factory=dict)


@dataclass
class Toolbox:
    """The state tools work on for one turn: knowledge, retrieval, the user's profile, the sources."""

    knowledge: Knowledge
    retriever_factory: Callable[[], Retriever]
    profile: Profile
    book: SourceBook = field(default_factory=SourceBook)
    results: list[ToolResult] = field(default_factory=list)
    recommended: list[str] = field(default_factory=list)
    _retriever: Retriever | None = None

    def retriever(self) -> Retriever:
        if self._retriever is None:
            self._retriever = self.retriever_factory()
        return self._retriever

    def _ranking(self, weights: dict[str, float] | None = None, scenario: str | None = None) -> Ranking:
        overrides = scenario_overrides(self.knowledge, [scenario]) if scenario else None
        return rank_fields(self.knowledge, check_weights(weights or {}), overrides)

    def _done(self, result: ToolResult) -> ToolResult:
        self.results.append(result)
        return result

    def search_knowledge(self, args: SearchInput) -> ToolResult:
        hits = self.retriever().search(args.query, k=args.k, kinds=[args.kind] if args.kind else None,
                                       field=args.field)
        lines = []
        for h in hits:
            n = self.book.add(h.title, h.source, h.text, h.passage_id, h.kind)
            lines.append(f"[{n}] {h.title}: {h.text}")
        return self._done(ToolResult("search_knowledge", "\n".join(lines) or "No passages found.",
                                     {"hits": [h.to_dict() for h in hits]}))

    def rank(self, args: RankInput) -> ToolResult:
        ranking = self._ranking(args.weights, args.scenario)
        stated = "".join(f"[{self.book.add_passage(self.knowledge, p)}]" for p in self.knowledge.essay_rank_passages())
        lines = [f"Exposure ranking (1 = most likely automated first). Only #1 comes from the essay {stated}; "
                 "every other position is our model's estimate."]
        for f in ranking.fields:
            n = self.book.add_passage(self.knowledge, f"field:{f.id}#factors")
            lines.append(f"#{f.rank} {f.name} (exposure {f.score:.2f}) [{n}]")
        data: dict[str, Any] = {"fields": [f.to_dict() for f in ranking.fields], "scenario": args.scenario,
                                "weights": ranking.weights}
        if args.scenario or args.weights:  # a what-if: what moved against the default ranking, and why
            moves = rank_moves(rank_fields(self.knowledge), ranking).values()
            data["moves"] = [asdict(m) for m in sorted(moves, key=lambda m: m.new_rank) if m.old_rank != m.new_rank]
        return self._done(ToolResult("rank_fields", "\n".join(lines), data))

    def explain(self, args: ExplainInput) -> ToolResult:
        ranking = self._ranking(args.weights, args.scenario)
        e = explain_rank(self.knowledge, args.field, ranking)
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
        return self._done(ToolResult("explain_field", "\n".join(lines), e.to_dict()))

    def compare(self, args: CompareInput) -> ToolResult:
        ranking = self._ranking()
        ids = [self.knowledge.field(f).id for f in args.fields]
        explanations = [explain_rank(self.knowledge, fid, ranking) for fid in ids]
        lines = []
        for e in explanations:
            n = self.book.add_passage(self.knowledge, f"field:{e.id}#factors")
            scores = ", ".join(f"{f.label} {f.score}/5" for f in e.factors)
            lines.append(f"{e.name}: #{e.rank} of {e.total}, exposure {e.score:.2f}; {scores} [{n}]")
        return self._done(ToolResult("compare_fields", "\n".join(lines),
                                     {"fields": [e.to_dict() for e in explanations]}))

    def recommend_fields(self, args: RecommendInput) -> ToolResult:
        ranking = self._ranking()
        weights = Weights(args.fit_weight, 1 - args.fit_weight) if args.fit_weight is not None else None
        recs = recommend(self.knowledge, self.profile, ranking, weights, top=args.top)
        self.recommended = [r.field_id for r in recs]
        lines = [f"Profile: {self.profile.describe()}"]
        for i, r in enumerate(recs, 1):
            lines.append(f"{i}. {r.name}: fit {r.fit:.2f}, safety {r.safety:.2f}, exposure rank #{r.rank}")
            for reason in r.reasons:
                nums = [self.book.add_passage(self.knowledge, s) for s in reason.sources]
                lines.append(f"   - {reason.text} {''.join(f'[{n}]' for n in nums)}".rstrip())
        data = {"recommendations": [asdict(r) for r in recs], "profile": self.profile.model_dump()}
        return self._done(ToolResult("recommend_fields", "\n".join(lines), data))

    def recommend_readings(self, args: ReadingsInput) -> ToolResult:
        ids = [self.knowledge.field(f).id for f in args.fields] or self.recommended
        if not ids:
            ids = [r.field_id for r in recommend(self.knowledge, self.profile, self._ranking(), top=3)]
        plan = reading_plan(self.knowledge, ids, self.profile, level=args.level)
        lines = []
        for p in plan:
            n = self.book.add_passage(self.knowledge, p.url)
            lines.append(f"[{n}] ({p.level}, ~{p.minutes} min, {p.field_id}) {p.title}, {p.authors} {p.year}: {p.url}")
        return self._done(ToolResult("recommend_readings", "\n".join(lines) or "Nothing left to read there.",
                                     {"plan": [asdict(p) for p in plan], "fields": ids}))

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
                         readings_done=args.readings_done, fit_weight=args.fit_weight)
        self.profile = self.profile.merge(update)
        return self._done(ToolResult("update_profile", f"Profile now: {self.profile.describe()}",
                                     {"profile": self.profile.model_dump()}))

    def langchain_tools(self) -> list[Any]:
        """The same tools as LangChain `StructuredTool`s, for a model that calls tools itself."""
        from langchain_core.tools import StructuredTool

        tools = []
        for spec in TOOL_SPECS:

            def run(_name: str = spec.name, **kwargs: Any) -> str:
                return self.call(_name, kwargs).text

            tools.append(StructuredTool.from_function(func=run, name=spec.name, description=spec.description,
                                                      args_schema=spec.schema))
        return tools

    def call(self, name: str, args: dict[str, Any]) -> ToolResult:
        """Run a tool by name with raw arguments, validated against its input model."""
        spec = next((t for t in TOOL_SPECS if t.name == name), None)
        if spec is None:
            raise KeyError(f"Unknown tool {name!r}")
        method: Callable[[Any], ToolResult] = getattr(self, spec.method)
        return method(spec.schema(**args))


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
)
