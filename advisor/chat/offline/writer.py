"""The offline writer: turns this turn's tool results into an answer that reads like an advisor talking to a
person, from the templates in `prompts/`, citing each claim with the number of the passage that says it. No
internal scores in prose; one point per sentence. Modes: concise, detailed, newcomer (defines the jargon)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from advisor.chat.conversation_tools import Planned
from advisor.chat.events import MODES, Mode
from advisor.chat.offline.planner import Plan
from advisor.chat.sources import SourceBook
from advisor.chat.tools import Compared, Explained, Found, Ranked, ReadingsPlanned, Recommended, ToolResult
from advisor.knowledge import Knowledge
from advisor.knowledge.explain import Explanation
from advisor.knowledge.profile import Profile
from advisor.knowledge.ranking import FactorContribution, RankingInputError, check_weights
from advisor.knowledge.recommend import PlannedReading, Reason, Recommendation, Weights
from advisor.prompts import Prompts

__all__ = ["MODES", "Mode", "TurnResults", "write_answer"]
USER_DOC_SIMILARITY = 0.35  # a passage of the user's own documents is quoted only when it is this close in meaning
PASSAGE_REF = re.compile(r"\s*\((essay-\d+)\)")
INTENT_WORDS = {"career": "advice on which fields suit you", "why_rank": "why a field ranks where it does",
                "why_fit": "why a field suits you", "compare": "a comparison of fields", "readings": "what to read",
                "what_if": "how the ranking changes under a what-if", "essay": "what the essay says",
                "help": "what I can do", "smalltalk": "a chat", "off_topic": "something else"}


@dataclass
class TurnResults:
    """What the writer works from: the tool results of this turn and the sources they numbered."""

    knowledge: Knowledge
    prompts: Prompts
    book: SourceBook
    results: list[ToolResult]
    profile: Profile
    glossary: dict[str, str] = field(default_factory=dict)

    def last(self, payload: type) -> object | None:
        return next((r.payload for r in reversed(self.results) if isinstance(r.payload, payload)), None)

    @property
    def recommended(self) -> list[str]:
        rec = self.last(Recommended)
        return [r.field_id for r in rec.recommendations] if isinstance(rec, Recommended) else []

    def cite(self, passage_ids: list[str]) -> str:
        nums = []
        for pid in passage_ids:
            try:
                nums.append(self.book.add_passage(self.knowledge, pid))
            except KeyError:
                continue
        return "".join(f"[{n}]" for n in dict.fromkeys(nums))

    def cite_hit(self, hit: object) -> str:
        n = self.book.number(str(getattr(hit, "passage_id", "")))
        return f"[{n}]" if n else ""

    def linked(self, text: str) -> str:
        """`text` with each "(essay-NN)" it names turned into that passage's citation number."""
        return PASSAGE_REF.sub(lambda m: " " + self.cite([m.group(1)]), text)

    def say(self, template: str, **values: object) -> str:
        return self.prompts.render(template, **values)


def write_answer(plan: Plan, box: TurnResults, mode: Mode) -> str:
    """The whole answer for this turn's plan and tool results."""
    from advisor.chat.offline import writer_talk as talk

    writers = {"career": _career, "why_fit": _why_fit, "why_rank": _why, "compare": _compare,
               "readings": _readings, "what_if": _what_if, "essay": _essay, "details": talk.details,
               "list_fields": talk.list_fields, "define": talk.define, "other_views": talk.other_views,
               "timing": talk.timing, "decision": talk.decision, "plan": talk.plan_answer, "recap": talk.recap}
    if plan.intent == "readings" and box.last(Planned) is not None:  # readings within a time budget
        body = talk.plan_answer(plan, box, mode)
    elif plan.intent in writers:
        body = writers[plan.intent](plan, box, mode)
    elif plan.intent == "clarify":
        first, second = (INTENT_WORDS.get(i, i) for i in [*plan.alternatives, "help", "help"][:2])
        body = box.say("answer_clarify", first=first, second=second)
    else:
        body = box.say({"help": "answer_help", "smalltalk": "answer_smalltalk"}.get(plan.intent, "answer_off_topic"))
    if mode == "newcomer" and plan.intent not in ("help", "off_topic", "smalltalk", "clarify"):
        body = _with_glossary(body, box)
    return body


def _with_glossary(body: str, box: TurnResults) -> str:
    low = body.lower()
    terms = [(t, d) for t, d in box.glossary.items() if re.search(rf"(?<!\w){re.escape(t.lower())}(?!\w)", low)]
    if not terms:
        return body
    return body + "\n\nTerms used above:\n" + "\n".join(f"- {t}: {d}." for t, d in terms[:6])


def _first_lower(text: str) -> str:
    return text if text[:2].isupper() else text[:1].lower() + text[1:]


def _balance(profile: Profile) -> str:
    w = Weights.for_profile(profile)
    if abs(w.fit - w.safety) < 0.05:
        return "about equally"
    return "with more weight on safety" if w.fit < w.safety else "with more weight on fit"


def understood(profile: Profile, knowledge: Knowledge) -> str:
    """The profile in plain words, for the person to correct."""
    parts = []
    if profile.background:
        parts.append(", ".join(profile.background[:3]))
    if profile.skills:
        parts.append("you know " + ", ".join(profile.skills[:4]))
    parts += [g for g in profile.goals if g.startswith(("wants ", "likes "))][:2]
    if profile.lacks:
        parts.append("no " + ", no ".join(profile.lacks[:3]))
    if profile.interests:
        parts.append("interested in " + ", ".join(knowledge.field(f).name for f in profile.interests[:3]))
    if profile.dislikes:
        parts.append("not " + ", not ".join(knowledge.field(f).name for f in profile.dislikes[:3]))
    c = profile.constraints
    if c.runway_months is not None:
        parts.append(f"{c.runway_months} months of runway")
    if c.hours_per_week is not None:
        parts.append(f"about {c.hours_per_week} hours a week")
    if c.needs_salary:
        parts.append("you need a salary")
    if c.risk_appetite:
        parts.append({"low": "you want to keep risk low", "high": "you are happy to take risks",
                      "medium": "a moderate appetite for risk"}[c.risk_appetite])
    if c.location:
        parts.append(f"based in {c.location}")
    if c.keeps_job:
        parts.append("keeping your job")
    if c.can_relocate is False:
        parts.append("you can't relocate")
    return "; ".join(parts)


def _insisted(plan: Plan, box: TurnResults, mode: Mode) -> str:
    """The person insists on a field they love: an honest path inside it, not a switch to another field."""
    res = box.last(Explained)
    rec = box.last(Recommended)
    if not isinstance(res, Explained) or plan.insisted is None:
        return box.say("answer_help")
    e = res.explanations[0]
    card = box.knowledge.field(e.id)
    half = "safer half" if e.in_safer_half else "more exposed half"
    protecting = min(e.factors, key=lambda f: f.value * f.weight)
    cite = box.cite([f"field:{e.id}#factors"])
    lines = [box.say("answer_insist_head", name=e.name, half=half),
             f"- Aim at the part of the work automation reaches last. For {e.name}, what protects it most is "
             f"{protecting.label.lower()}: {box.linked(protecting.rationale)} {cite}",
             f"- Build judgement, not volume: {card.research_tasks[0][:1].lower()}{card.research_tasks[0][1:]} is the "
             f"kind of task where your taste shows. {box.cite([f'field:{e.id}#work'])}",
             f"- Get in the usual way: {'; '.join(card.entry_paths[:2])}. {box.cite([f'field:{e.id}#entry'])}"]
    hedge = [r for r in (rec.recommendations if isinstance(rec, Recommended) else []) if r.field_id != e.id]
    if hedge:
        lines.append(f"- Keep a hedge: {hedge[0].name} is a safer bet that also fits you, and skills carry over "
                     "if automation moves faster than expected.")
    return "\n".join(lines)


def _career(plan: Plan, box: TurnResults, mode: Mode) -> str:
    if plan.insisted:
        return _insisted(plan, box, mode)
    rec = box.last(Recommended)
    if not isinstance(rec, Recommended):
        return box.say("answer_help")
    recs = rec.recommendations[: plan.shape.top or (2 if mode == "concise" else 3)]
    if plan.shape.sentences:  # "in one sentence": the picks and the reason they share
        total = len(box.knowledge.fields)
        names = " and ".join(f"{r.name} ({r.safety_words(total)})" for r in recs[:2])
        return box.say("answer_career_sentence", names=names, balance=_balance(box.profile))
    lines = []
    if box.profile.is_empty() or not understood(box.profile, box.knowledge):
        lines.append(box.say("answer_career_empty_profile"))
    else:
        lines.append(box.say("answer_understood", understood=understood(box.profile, box.knowledge)))
    if plan.scenario or plan.weights:
        lines += ["", box.say("answer_career_under_whatif", what=_what_if_words(plan, box))]
    lines += ["", box.say("answer_career_intro", balance=_balance(box.profile))]
    total = len(box.knowledge.fields)
    for i, r in enumerate(recs, 1):
        lines.append(box.say("answer_career_item", i=i, name=r.name, fit_words=r.fit_words,
                             safety_words=r.safety_words(total)))
        lines += [f"   - {box.linked(reason.text)} {box.cite(reason.sources)}".rstrip() for reason in _reasons(r, mode)]
    shown = {r.field_id for r in recs}
    asked = [r for res in box.results if isinstance(res.payload, Recommended) and res.payload is not rec
             for r in res.payload.recommendations if r.field_id in plan.fields and r.field_id not in shown]
    for r in asked:  # the field they named is answered, not dropped for our picks
        lines += ["", box.say("answer_career_asked", name=r.name, fit_words=r.fit_words,
                              safety_words=r.safety_words(total)) + f" {box.cite([f'field:{r.field_id}#factors'])}"]
    if not box.profile.is_empty() and all(r.fit < 0.15 for r in recs):
        lines += ["", box.say("answer_career_weak_fit")]
    lines += _user_docs(box)
    plan_result = box.last(ReadingsPlanned)
    if isinstance(plan_result, ReadingsPlanned) and plan_result.plan and plan.shape.top != 1:
        lines += ["", box.say("answer_reading_plan_intro")]
        lines += _reading_lines(box, plan_result.plan[: 2 if mode == "concise" else 3])
    return "\n".join(lines)


def _reasons(r: Recommendation, mode: Mode) -> list[Reason]:
    fit = r.fit_reasons
    safety = [x for x in r.reasons if x.kind == "safety"]
    essay = [x for x in r.reasons if x.kind == "essay"]
    if mode == "concise":
        return fit[:1] + safety
    return fit[:3] + safety + essay[:1]


def _user_docs(box: TurnResults) -> list[str]:
    from advisor.search.semantic import embed_one

    found = [r.payload for r in box.results if r.name == "search_knowledge" and isinstance(r.payload, Found)]
    hits = [h for f in found for h in f.hits if h.kind == "user"
            and float(embed_one(f.query[:500]) @ embed_one(h.text[:1000])) >= USER_DOC_SIMILARITY][:1]
    return ["", *(box.say("answer_user_doc", title=h.title, text=_quote(h.text), cite=box.cite_hit(h))
                  for h in hits)] if hits else []


def _quote(text: str, limit: int = 300) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"


def _reading_lines(box: TurnResults, plan: list[PlannedReading]) -> list[str]:
    return [box.say("answer_reading_item", title=p.title, authors=p.authors, year=p.year, level=p.level,
                    minutes=p.minutes, cite=box.cite([p.url])) for p in plan]


def _readings(plan: Plan, box: TurnResults, mode: Mode) -> str:
    res = box.last(ReadingsPlanned)
    if not isinstance(res, ReadingsPlanned):
        return box.say("answer_help")
    names = ", ".join(box.knowledge.field(f).name for f in res.fields) or "your top fields"
    if not res.plan:
        return box.say("answer_readings_none", fields=names)
    lines = []
    if res.level_asked and res.level_given != res.level_asked:
        lines.append(box.say("answer_readings_nearest", asked=res.level_asked, fields=names, given=res.level_given))
    skipped = f" (skipping {len(box.profile.readings_done)} you have read)" if box.profile.readings_done else ""
    lines.append(box.say("answer_readings_intro", fields=names, skipped=skipped))
    lines += _reading_lines(box, res.plan[: 3 if mode == "concise" else 8])
    return "\n".join(lines)


def _factor_phrase(box: TurnResults, f: FactorContribution) -> str:
    band = "high" if f.score >= 4 else "low" if f.score <= 2 else "mid"
    return box.say(f"factor_{f.factor}_{band}")


def _why_lines(box: TurnResults, e: Explanation, mode: Mode) -> list[str]:
    half = "in the safer half" if e.in_safer_half else "in the more exposed half"
    if e.source_of_rank == "essay":
        source = f"the essay itself puts it #{e.essay_rank} {box.cite(box.knowledge.essay_rank_passages(e.id))}"
    else:
        source = "that position is our model's estimate, because the essay's ranked list was lost"
    lines = [box.say("answer_why_head", name=e.name, rank=e.rank, total=e.total, half=half, source=source)]
    factors = sorted(e.factors, key=lambda f: -abs(f.value - 0.5) * f.weight)
    for f in factors[: 2 if mode == "concise" else 4]:
        phrase = _first_lower(_factor_phrase(box, f))
        lines.append(box.say("answer_why_factor", label=f.label.capitalize(), phrase=phrase,
                             rationale=box.linked(f.rationale),
                             cite=box.cite([f"field:{e.id}#factors"])))
    if e.essay_evidence:
        cites = box.cite([ev.passage_id for ev in e.essay_evidence][:3])
        lines.append(f"What the essay says: {box.linked(e.essay_says)} {cites}")
    else:
        lines.append(e.essay_says)
    if mode != "concise":
        for v in e.other_views:
            lines.append(f"Another view: {v.source} argues that {_first_lower(v.claim)} {box.cite([v.id])}")
    if mode == "detailed":
        lines += [f"Caveat: {c}" for c in e.caveats if "our model's estimate" not in c]
    return lines


def _why(plan: Plan, box: TurnResults, mode: Mode) -> str:
    res = next((r.payload for r in box.results if isinstance(r.payload, Explained)), None)  # the first is the subject
    if not isinstance(res, Explained):
        ranking = box.last(Ranked)
        if not isinstance(ranking, Ranked):
            return box.say("answer_help")
        top = ", ".join(f"#{f.rank} {f.name}" for f in ranking.ranking.fields[:5])
        return f"Most exposed first: {top}. Name a field and I will explain its position."
    beside = [r.payload.explanations[0] for r in box.results if isinstance(r.payload, Explained)
              and r.payload.explanations[0].id != res.explanations[0].id]
    against = [box.say("answer_why_beside", name=b.name, rank=b.rank, total=b.total) for b in beside[:1]]
    return "\n".join([*_why_lines(box, res.explanations[0], mode), *against, *_user_docs(box)])


def _why_fit(plan: Plan, box: TurnResults, mode: Mode) -> str:
    rec = box.last(Recommended)
    if not isinstance(rec, Recommended) or not rec.recommendations:
        return box.say("answer_why_fit_none")
    r = rec.recommendations[0]
    lines = [box.say("answer_why_fit_head", name=r.name)]
    fit = r.fit_reasons
    lines += [f"- {x.text} {box.cite(x.sources)}".rstrip() for x in fit] or [box.say("answer_why_fit_none")]
    lines += [f"- {box.linked(x.text)} {box.cite(x.sources)}".rstrip() for x in r.reasons if x.kind == "safety"]
    return "\n".join(lines)


def _compare(plan: Plan, box: TurnResults, mode: Mode) -> str:
    res = box.last(Explained)
    if not isinstance(res, Explained):
        return box.say("answer_help")
    work = res.work if isinstance(res, Compared) else []
    fits = {r.field_id: r for r in res.fits} if isinstance(res, Compared) else {}
    lines = [box.say("answer_compare_head_for_you" if fits else "answer_compare_head")]
    for i, e in enumerate(res.explanations):
        exposing = max(e.factors, key=lambda f: f.contribution)
        protecting = min(e.factors, key=lambda f: f.value * f.weight)
        exposes, protects = (_first_lower(_factor_phrase(box, f)) for f in (exposing, protecting))
        # nothing exposes a field whose strongest factor protects it too: two protections, not "X, but Y"
        template = "answer_compare_item_safe" if exposing.value < 0.5 else "answer_compare_item"
        lines.append("- " + box.say(template, name=e.name, rank=e.rank, total=e.total, exposes=exposes,
                                    protects=protects, cite=box.cite([f"field:{e.id}#factors"])))
        if i < len(work) and mode != "concise":  # what differs in the work itself
            lines.append(f"  The work: {_first_lower(work[i]).rstrip('.')}. {box.cite([f'field:{e.id}#work'])}")
        fit = fits.get(e.id)
        if fit:
            why = next(iter(fit.fit_reasons), None)
            because = f", since {_first_lower(why.text).rstrip('.')} {box.cite(why.sources)}" if why else ""
            lines.append(f"  For you: {fit.fit_words}{because}.".replace(" .", "."))
    safer = max(res.explanations, key=lambda e: e.rank)
    if fits:
        best = max(fits.values(), key=lambda r: r.total)
        total = res.explanations[0].total
        template = "answer_compare_verdict_both" if best.field_id == safer.id else "answer_compare_verdict_for_you"
        lines.append(box.say(template, best=best.name, fit=best.fit_words, safety=best.safety_words(total),
                             safer=safer.name))
    else:
        lines.append(box.say("answer_compare_verdict", safer=safer.name))
    return "\n".join(lines)


def _what_if(plan: Plan, box: TurnResults, mode: Mode) -> str:
    if plan.supposed is not None:  # "what if I had 20 hours a week?": picks for the supposed profile
        from advisor.chat.offline.writer_talk import supposed_picks

        return supposed_picks(plan, box, mode)
    ranking = box.last(Ranked)
    if not isinstance(ranking, Ranked):
        try:
            check_weights(plan.weights or {})
        except RankingInputError as exc:  # "what if feedback_quality=5000?": say what is wrong
            return f"I can't rank with that weight. {exc}"
        return box.say("answer_help")
    if ranking.scenario:
        s = box.knowledge.scenario(ranking.scenario)
        lines = [box.say("answer_whatif_head", what=_first_lower(s.name)), f"{s.description} {box.cite(s.passage_ids)}"]
    elif plan.weights:
        lines = [box.say("answer_whatif_head", what=_what_if_words(plan, box))]
    else:
        return ("Tell me what to change, for example \"what if feedback quality mattered more?\" or \"what if "
                "automated eval generation works?\".")
    moves = ranking.moves
    if not moves:
        return "\n".join([*lines, box.say("answer_whatif_none")])
    if ranking.scenario:  # field by field: the ones whose scores changed, and why
        for m in moves[: 3 if mode == "concise" else 6]:
            changed = [f for f in ranking.ranking.get(m.field_id).factors if f.changed_from is not None]
            why = "; ".join(_first_lower(_factor_phrase(box, f)) for f in changed)
            name = box.knowledge.field(m.field_id).name
            lines.append(f"- {name} moves from #{m.old_rank} to #{m.new_rank}"
                         + (f", because {why}." if why else ", as the fields around it move."))
    else:  # one change of weight moves everything for the same reason: say it once
        shown = moves[: 4 if mode == "concise" else 8]
        listed = ", ".join(f"{box.knowledge.field(m.field_id).name} (#{m.old_rank} to #{m.new_rank})" for m in shown)
        template = "answer_whatif_weights" if len(shown) == len(moves) else "answer_whatif_weights_some"
        lines.append(box.say(template, count=len(moves), moves=listed))
    lines += _for_your_picks(plan, box, ranking)
    lines.append(box.say("answer_whatif_rest"))
    return "\n".join(lines)


def _for_your_picks(plan: Plan, box: TurnResults, ranking: Ranked) -> list[str]:
    """What a what-if means for the person's own picks: where each moves, and whether it stays a safer bet."""
    if not plan.picks:
        return []
    from advisor.knowledge.ranking import rank_fields

    before = rank_fields(box.knowledge)
    total = len(before.fields)
    lines = [box.say("answer_whatif_mine")]
    for fid in list(dict.fromkeys([*plan.picks[:3], *plan.fields]))[:4]:
        old, new = before.get(fid).rank, ranking.ranking.get(fid).rank
        name = box.knowledge.field(fid).name
        half = "still in the safer half" if fid in ranking.ranking.safer_half else "now in the more exposed half"
        if old == new:
            lines.append(f"- {name} stays at #{new} of {total} on our model's estimate, {half.replace('now ', '')}.")
        else:
            way = "safer" if new > old else "more exposed"
            lines.append(f"- {name} moves from #{old} to #{new} of {total} on our model's estimate ({way}), {half}.")
    return lines


def _what_if_words(plan: Plan, box: TurnResults) -> str:
    if plan.scenario:
        return box.knowledge.scenario(plan.scenario).name.lower()
    return "; ".join(f"{name.replace('_', ' ')} counts {'more' if w > 2 else 'less'} than in our model"
                     for name, w in (plan.weights or {}).items())


def _essay(plan: Plan, box: TurnResults, mode: Mode) -> str:
    k = box.knowledge
    hits = [h for r in box.results if isinstance(r.payload, Found) for h in r.payload.hits if h.kind == "essay"]
    lines: list[str] = []
    aspect = plan.essay_aspect
    if aspect == "source":
        fact = next(f for f in k.essay.public_facts if f.id == "fact-january-post")
        lines.append(box.say("essay_source", cite_essay=box.cite(fact.supports), fact=fact.claim,
                             cite_fact=box.cite([fact.id])))
        hits = [h for h in hits if h.passage_id not in (*fact.supports, fact.id)]  # not quoted twice
    elif aspect in ("author", "when", "count", "position", "first", "factors", "numbers"):
        lines.append(box.say(f"essay_{aspect}"))
        if aspect == "first":
            lines[-1] += " " + box.cite(k.essay_rank_passages())
    elif plan.fields:
        card = k.field(plan.fields[0])
        if not card.essay.passages:
            return box.say("essay_silent", name=card.name)
        lines.append(box.say("essay_field", name=card.name, says=card.essay.says) + " " + box.cite(card.essay.passages))
        hits = [h for h in hits if h.passage_id not in card.essay.passages]
    if aspect in ("author", "when", "count", "position", "numbers", "source") and mode != "detailed":
        return "\n".join(lines)
    quotes = hits[: 2 if mode == "concise" or lines else 4]
    if quotes:
        lines += ["", box.say("answer_essay_head")]
    for h in quotes:
        p = k.passage(h.passage_id) if h.passage_id.startswith("essay-") else None
        who = ("the post" if p.kind == "post" else "the author, in the comments" if p.author == "post-author"
               else "another commenter") if p else "public facts about the post"
        lines.append(box.say("answer_essay_item", who=who, text=_quote(h.text, 400), cite=box.cite_hit(h)))
    return "\n".join([*lines, *_user_docs(box)]).strip()
