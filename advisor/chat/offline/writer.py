"""The offline writer: turns the planner's tool results into an answer, from the templates in `prompts/`,
citing each claim with the number of the passage that says it. Modes: concise, detailed, newcomer."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from advisor.chat.events import Mode
from advisor.chat.offline.planner import Plan
from advisor.chat.sources import SourceBook
from advisor.chat.tools import ToolResult
from advisor.knowledge import Knowledge
from advisor.knowledge.profile import Profile
from advisor.knowledge.recommend import Weights
from advisor.prompts import Prompts


@dataclass
class TurnResults:
    """What the writer works from: the tool results of this turn and the sources they numbered."""

    knowledge: Knowledge
    prompts: Prompts
    book: SourceBook
    results: list[ToolResult]
    profile: Profile

    @property
    def recommended(self) -> list[str]:
        rec = _result(self, "recommend_fields")
        return [r["field_id"] for r in rec.data["recommendations"]] if rec else []


def _cite(box: TurnResults, passage_ids: list[str]) -> str:
    nums = []
    for pid in passage_ids:
        try:
            nums.append(box.book.add_passage(box.knowledge, pid))
        except KeyError:
            continue
    return "".join(f"[{n}]" for n in dict.fromkeys(nums))


def _result(box: TurnResults, name: str) -> ToolResult | None:
    return next((r for r in reversed(box.results) if r.name == name), None)


def write_answer(plan: Plan, box: TurnResults, mode: Mode) -> str:
    """The whole answer for this turn's plan and tool results."""
    writers = {
        "career": _career, "why_rank": _why, "compare": _compare, "readings": _readings,
        "what_if": _what_if, "essay": _essay,
    }
    if plan.intent in writers:
        body = writers[plan.intent](box, mode)
    else:
        body = box.prompts.render("answer_help" if plan.intent == "help" else "answer_off_topic")
    if mode == "newcomer" and plan.intent not in ("help", "off_topic"):
        body = f"{body}\n\n{box.prompts.render('glossary')}"
    return body


def _career(box: TurnResults, mode: Mode) -> str:
    rec = _result(box, "recommend_fields")
    if rec is None:
        return box.prompts.render("answer_help")
    recs = rec.data["recommendations"][: 2 if mode == "concise" else 3]
    lines = []
    if box.profile.is_empty():
        lines.append(box.prompts.render("answer_career_empty_profile"))
    w = Weights.for_profile(box.profile)
    lines.append(box.prompts.render("answer_career_intro", profile=box.profile.describe(), fit_weight=f"{w.fit:.0%}",
                        safety_weight=f"{w.safety:.0%}"))
    for i, r in enumerate(recs, 1):
        lines.append(box.prompts.render("answer_career_item", i=i, name=r["name"], fit=f"{r['fit']:.2f}",
                            safety=f"{r['safety']:.2f}"))
        reasons = r["reasons"]
        if mode == "concise":  # the strongest fit reason and the safety reason
            fit = [x for x in reasons if not x["text"].startswith(("Safety", "What the essay"))][:1]
            reasons = fit + [x for x in reasons if x["text"].startswith("Safety")]
        lines += [f"   - {reason['text']} {_cite(box, reason['sources'])}".rstrip() for reason in reasons]
    plan = _result(box, "recommend_readings")
    if plan and plan.data["plan"]:
        lines += ["", box.prompts.render("answer_reading_plan_intro")]
        lines += _reading_lines(box, plan.data["plan"][: 2 if mode == "concise" else 4])
    return "\n".join(lines)


def _reading_lines(box: TurnResults, plan: list[dict[str, Any]]) -> list[str]:
    return [
        box.prompts.render("answer_reading_item", title=p["title"], authors=p["authors"], year=p["year"],
                           level=p["level"], minutes=p["minutes"], cite=_cite(box, [p["url"]]))
        for p in plan
    ]


def _readings(box: TurnResults, mode: Mode) -> str:
    res = _result(box, "recommend_readings")
    assert res is not None
    names = ", ".join(box.knowledge.field(f).name for f in res.data["fields"]) or "your top fields"
    if not res.data["plan"]:
        return box.prompts.render("answer_readings_none", fields=names)
    skipped = f" (skipping {len(box.profile.readings_done)} you have read)" if box.profile.readings_done else ""
    lines = [box.prompts.render("answer_readings_intro", fields=names, skipped=skipped)]
    lines += _reading_lines(box, res.data["plan"][: 3 if mode == "concise" else 8])
    return "\n".join(lines)


def _why_lines(box: TurnResults, e: dict[str, Any], mode: Mode) -> list[str]:
    k: Knowledge = box.knowledge
    half = "in the safer half" if e["in_safer_half"] else "in the more exposed half"
    if e["source_of_rank"] == "essay":
        source = f"the essay itself puts it #{e['essay_rank']} {_cite(box, k.essay_rank_passages(e['id']))}"
    else:
        source = "this position is our model's estimate, because the essay's ranked list was lost"
    lines = [box.prompts.render("answer_why_head", name=e["name"], rank=e["rank"], total=e["total"], half=half,
                                source=source)]
    factors = sorted(e["factors"], key=lambda f: -abs(f["value"] - 0.5) * f["weight"])
    for f in factors[: 2 if mode == "concise" else 4]:
        lines.append(box.prompts.render("answer_why_factor", label=f["label"].capitalize(), score=f["score"],
                            rationale=f["rationale"], cite=_cite(box, [f"field:{e['id']}#factors"])))
    if e["essay_evidence"]:
        cites = _cite(box, [ev["passage_id"] for ev in e["essay_evidence"]][:3])
        lines.append(box.prompts.render("answer_why_essay", says=e["essay_says"], cites=cites))
    else:
        lines.append(e["essay_says"])
    if mode != "concise":
        for v in e["other_views"]:
            claim = v["claim"][0].lower() + v["claim"][1:]
            lines.append(box.prompts.render("answer_why_other", source=v["source"], claim=claim,
                                            cite=_cite(box, [v["id"]])))
    if mode == "detailed":
        lines += [f"Caveat: {c}" for c in e["caveats"] if "our model's estimate" not in c]
    return lines


def _why(box: TurnResults, mode: Mode) -> str:
    res = _result(box, "explain_field")
    if res is None:
        ranking = _result(box, "rank_fields")
        assert ranking is not None
        top = ", ".join(f"#{f['rank']} {f['name']}" for f in ranking.data["fields"][:5])
        return f"Most exposed first: {top}. Name a field and I will explain its position."
    return "\n".join(_why_lines(box, res.data, mode))


def _compare(box: TurnResults, mode: Mode) -> str:
    res = _result(box, "compare_fields")
    assert res is not None
    lines = [box.prompts.render("answer_compare_head")]
    fields = res.data["fields"]
    for e in fields:
        up = max(e["factors"], key=lambda f: f["contribution"])
        down = min(e["factors"], key=lambda f: f["value"])
        lines.append(box.prompts.render("answer_compare_item", name=e["name"], rank=e["rank"], total=e["total"],
                            score=f"{e['score']:.2f}", up=f"{up['label']} ({up['score']}/5)",
                            down=f"{down['label']} ({down['score']}/5)", cite=_cite(box, [f"field:{e['id']}#factors"])))
    safer = max(fields, key=lambda e: e["rank"])
    lines.append(box.prompts.render("answer_compare_verdict", safer=safer["name"]))
    return "\n".join(lines)


def _what_if(box: TurnResults, mode: Mode) -> str:
    ranking = _result(box, "rank_fields")
    assert ranking is not None
    scenario = ranking.data.get("scenario")
    if scenario:
        s = box.knowledge.scenario(scenario)
        what = f"{s.name} ({s.description}) {_cite(box, s.passage_ids)}"
    else:
        weights = ranking.data["weights"]
        what = "factor weights " + ", ".join(f"{k}={v:g}" for k, v in weights.items())
    lines = [box.prompts.render("answer_whatif_head", what=what)]
    explain = _result(box, "explain_field")
    if explain and explain.data.get("what_if"):
        lines.append(f"- {explain.data['name']} {explain.data['what_if']['sentence']}")
    moves = ranking.data.get("moves", [])
    shown = {explain.data["id"]} if explain else set()
    for m in moves[: 3 if mode == "concise" else 8]:
        if m["field_id"] not in shown:
            lines.append(f"- {box.knowledge.field(m['field_id']).name} {m['sentence']}")
    if not moves:
        lines.append(box.prompts.render("answer_whatif_none"))
    if explain:
        lines += ["", *_why_lines(box, explain.data, "concise")]
    return "\n".join(lines)


def _essay(box: TurnResults, mode: Mode) -> str:
    res = _result(box, "search_knowledge")
    k = box.knowledge
    lines = [box.prompts.render("answer_essay_head", title=k.essay.title, url=k.essay.url)]
    for h in res.data["hits"][: 2 if mode == "concise" else 4] if res else []:
        who = "public facts about the post"
        if h["passage_id"].startswith("essay-"):
            p = k.passage(h["passage_id"])
            who = "the post" if p.kind == "post" else (
                "the author, in the comments" if p.author == "post-author" else "another commenter")
        n = box.book.number(h["passage_id"])
        lines.append(box.prompts.render("answer_essay_item", who=who, text=h["text"], cite=f"[{n}]" if n else ""))
    lines.append(box.prompts.render("answer_essay_lost"))
    return "\n".join(lines)
