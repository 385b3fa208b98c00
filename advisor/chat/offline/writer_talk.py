"""The offline writer for what people ask after the first answer: the work and its requirements, the list of
fields, definitions, other views, timing, quit or keep the job, a plan sized to their hours, and a recap in the
shape asked. Each answer is written from this turn's typed tool results and cites what it says."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from advisor.chat.conversation_tools import Decided, Defined, Detailed, Listed, Planned, Recapped, Timed, Views
from advisor.chat.events import Mode
from advisor.chat.fit import affinity
from advisor.chat.offline.requests import Shape
from advisor.chat.tools import Found, Recommended
from advisor.knowledge.profile import Constraints
from advisor.knowledge.ranking import rank_fields
from advisor.knowledge.recommend import recommend

if TYPE_CHECKING:
    from advisor.chat.offline.planner import Plan
    from advisor.chat.offline.writer import TurnResults
    from advisor.knowledge.views import FieldViews

ASPECT_LABELS = {"day_to_day": "Day to day", "degree": "Degrees", "maths": "Maths", "coding": "Coding"}
INTENT_DONE = {"compare": "compared {fields}", "why_rank": "looked at the automation ranking of {fields}",
               "why_fit": "went through how {fields} fits you", "readings": "picked readings for {fields}",
               "what_if": "tried a what-if", "details": "looked at the day-to-day work and requirements of {fields}",
               "plan": "made a plan for {fields}", "decision": "weighed quitting against keeping your job",
               "other_views": "looked at what other sources say", "timing": "looked at what sources say about timing",
               "define": "defined a term"}


def details(plan: Plan, box: TurnResults, mode: Mode) -> str:
    found = [r.payload for r in box.results if isinstance(r.payload, Detailed)]
    if not found:
        return box.say("answer_help")
    return "\n\n".join(_details_of(res, box, mode) for res in found)


def _details_of(res: Detailed, box: TurnResults, mode: Mode) -> str:
    card, r = res.card, res.card.requirements
    cite_req = box.cite([f"field:{card.id}#requirements"])
    asked = [a for a in res.aspects if a in ASPECT_LABELS]
    focused = len(res.aspects) < 4
    lines = [box.say("answer_details_head", name=card.name)]
    for aspect in asked or list(ASPECT_LABELS):
        lines.append(f"- {ASPECT_LABELS[aspect]}: {getattr(r, aspect)} {cite_req}")
    if not focused or "day_to_day" in asked:
        tasks = "; ".join(t[:1].lower() + t[1:] for t in card.research_tasks[: 2 if mode == "concise" else 3])
        lines.append(f"- Typical tasks: {tasks}. {box.cite([f'field:{card.id}#work'])}")
    if not focused or {"organisations", "entry"} & set(res.aspects):
        lines.append(f"- Ways in: {'; '.join(card.entry_paths[:3])}. {box.cite([f'field:{card.id}#entry'])}")
        lines.append(f"- Who hires: {', '.join(card.organisations[:5])}. {box.cite([f'field:{card.id}#entry'])}")
    lacks = " ".join(box.profile.lacks).lower()
    if ("coding" in asked or not focused) and any(w in lacks for w in ("programming", "coding", "code")):
        lines.append(f"You told me you don't code, so weigh the coding line above: it is the gap to close first "
                     f"for {card.name}.")
    return "\n".join(lines)


def list_fields(plan: Plan, box: TurnResults, mode: Mode) -> str:
    res = box.last(Listed)
    if not isinstance(res, Listed):
        return box.say("answer_help")
    lines = [box.say("answer_list_head", count=len(res.ranking.fields))]
    for f in res.ranking.fields:
        card = box.knowledge.field(f.id)
        summary = "" if mode == "concise" else f": {card.summary}"
        lines.append(f"{f.rank}. {card.name}{summary} {box.cite([f'field:{f.id}#overview'])}".rstrip())
    return "\n".join(lines)


def define(plan: Plan, box: TurnResults, mode: Mode) -> str:
    res = box.last(Defined)
    if not isinstance(res, Defined):
        return box.say("answer_help")
    if res.field_id:
        card = box.knowledge.field(res.field_id)
        plain = f" In plain words: {res.definition}." if res.definition else ""
        return f"{card.name}: {card.summary}{plain} {box.cite([f'field:{card.id}#overview'])}".strip()
    if res.definition:
        return f"{res.term[:1].upper()}{res.term[1:]}: {res.definition}."
    hits = [h for r in box.results if isinstance(r.payload, Found) for h in r.payload.hits]
    if hits:
        return f"I have no short definition of \"{res.term}\", but this passage speaks of it: " \
               f"\"{hits[0].text[:300]}\" {box.cite_hit(hits[0])}"
    return box.say("answer_define_none", term=res.term)


def other_views(plan: Plan, box: TurnResults, mode: Mode) -> str:
    res = box.last(Views)
    if not isinstance(res, Views):
        return box.say("answer_help")
    name = box.knowledge.field(res.field_id).name if res.field_id else None
    if res.row is not None and name:
        return _views_of_field(res.row, res.labels, name, box, mode)
    lines = []
    if res.claims:
        lines.append(box.say("answer_views_head", subject=name or "which safety research gets automated"))
        for a, c in res.claims[: 3 if mode == "concise" else 6]:
            lines.append(f"- {a.authors} ({a.date.year}): {c.text.strip()} {box.cite([c.id])}")
    elif name:
        lines.append(box.say("answer_views_none", name=name))
    if name and res.model_position:
        lines.append(f"Our model (not the essay) puts {name} in the {res.model_position} of the "
                     f"{len(box.knowledge.fields)} fields.")
    if not name:
        agree, disagree = res.sides
        lines.append(box.say("answer_views_overall", fields=len(box.knowledge.fields), speaking=agree + disagree,
                             agree=_count(agree, "agrees", "agree"),
                             disagree=_count(disagree, "disagrees", "disagree")))
    lines.append(box.say("answer_views_limits"))
    return "\n".join(lines)


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


PASSAGE_IDS = re.compile(r"\s*\((?:essay|fact|claim)-[\w-]+(?:,\s*(?:essay|fact|claim)-[\w-]+)*\)")
AGREEMENT_WORDS = {"agrees": "agrees with our model", "disagrees": "disagrees with our model",
                   "no-order": "no sooner or later"}


def _views_of_field(row: FieldViews, labels: dict[str, str], name: str, box: TurnResults, mode: Mode) -> str:
    """One field, source by source (from the views matrix), and how many sources agree with our model."""
    lines = [box.say("answer_views_field_head", name=name, position=row.model_position, total=row.total)]
    for cell in row.speaking[: 3 if mode == "concise" else 6]:
        says = PASSAGE_IDS.sub("", cell.says).rstrip(".")
        lines.append(f"- {labels.get(cell.source_id, cell.source_id)}: {says} "
                     f"({AGREEMENT_WORDS.get(cell.agreement, cell.agreement)}) {box.cite(list(cell.passages))}")
    if not row.speaking:
        lines.append(box.say("answer_views_none", name=name))
    counts = [(row.agree, "agrees with where our model puts it", "agree with where our model puts it"),
              (row.disagree, "disagrees", "disagree"),
              (row.no_order, "speaks of it without saying sooner or later",
               "speak of it without saying sooner or later"),
              (row.silent, "says nothing", "say nothing")]
    parts = [_count(n, one, many) for n, one, many in counts if n]
    tally = ", ".join(parts[:-1]) + (" and " if len(parts) > 1 else "") + parts[-1]
    lines.append(box.say("answer_views_field_tally", sources=len(row.cells), tally=tally, name=name))
    lines.append(box.say("answer_views_limits"))
    return "\n".join(lines)


def timing(plan: Plan, box: TurnResults, mode: Mode) -> str:
    res = box.last(Timed)
    if not isinstance(res, Timed):
        return box.say("answer_help")
    lines = [box.say("answer_timing_head")]
    for a, c in res.claims:
        lines.append(f"- {a.authors} ({a.date.year}) do give a range: {c.text.strip()} {box.cite([c.id])}")
    if res.field_id:
        half = "safer half" if res.field_id in rank_fields(box.knowledge).safer_half else "more exposed half"
        meaning = ("it is among the later fields to be automated, if the order holds" if half == "safer half" else
                   "it is among the earlier fields to be automated, if the order holds")
        if not res.claims:
            lines.append(box.say("answer_timing_field", name=box.knowledge.field(res.field_id).name, half=half,
                                 meaning=meaning, year=res.year or "a given year"))
        else:
            lines.append(f"Our model (not the essay) puts {box.knowledge.field(res.field_id).name} in the {half}: "
                         f"{meaning}.")
    return "\n".join(lines)


def decision(plan: Plan, box: TurnResults, mode: Mode) -> str:
    res = box.last(Decided)
    if not isinstance(res, Decided):
        return box.say("answer_help")
    d = res.decision
    lines = [box.say("answer_decision_head"),
             "- " + box.say("answer_decision_numbers",
                            hours=d.hours_per_week if box.profile.constraints.hours_per_week else
                            f"{d.hours_per_week} (an example)",
                            months=d.months if d.runway_months is not None else f"{d.months} (an example)",
                            part=f"{d.part_time_hours:,}", full=f"{d.full_time_hours:,}")]
    if d.keep_job:
        lines.append("- " + box.say("answer_decision_keep", reasons=" and ".join(d.reasons)))
    else:
        lines.append("- " + box.say("answer_decision_go", months=d.runway_months))
    paths = "; ".join(d.path.entry_paths[:2])
    lines.append(f"- For {d.path.name}, part-time ways in exist: {paths}. {box.cite([f'field:{d.path.id}#entry'])}")
    return "\n".join(lines)


def plan_answer(plan: Plan, box: TurnResults, mode: Mode) -> str:
    from advisor.chat.offline.writer import _reading_lines

    res = box.last(Planned)
    if not isinstance(res, Planned):
        return box.say("answer_help")
    if res.plan is None:  # a reading budget
        names = ", ".join(box.knowledge.field(f).name for f in dict.fromkeys(r.field_id for r in res.readings)) \
            or "your fields"
        if not res.readings:
            return box.say("answer_plan_readings_none", fields=names, minutes=res.minutes, shortest="more")
        return "\n".join([box.say("answer_plan_readings", fields=names, minutes=res.minutes),
                          *_reading_lines(box, res.readings)])
    p = res.plan
    names = " and ".join(box.knowledge.field(f).name for f in p.fields)
    if plan.shape.sentences and p.steps:  # "in one sentence, what do I do on Monday?"
        first = p.steps[0]
        return (f"Start with this, about {first.hours} hours at {p.hours_per_week} hours a week: "
                f"{first.text[:1].lower()}{first.text[1:].rstrip('.')} {box.cite(first.sources)}".rstrip() + ".")
    if p.weeks == 1:
        lines = [box.say("answer_plan_week", hours=p.hours_per_week)]
        lines += [f"- {s.text} {box.cite(s.sources)}".rstrip() for s in p.steps[:1]]
        lines.append(f"- Then decide: {p.decision}")
    else:
        lines = [box.say("answer_plan_head", fields=names, hours=p.hours_per_week, weeks=p.weeks,
                         total=f"{p.total_hours:,}", start=p.start.strftime("%-d %B %Y"))]
        for s in p.steps:
            when = p.week_date(s.start_week).strftime("%-d %b")
            weeks = f"Week {s.start_week}" if s.start_week == s.end_week else f"Weeks {s.start_week}-{s.end_week}"
            lines.append(f"- {weeks} (from {when}), {s.phase}, about {s.hours} hours: "
                         f"{s.text} {box.cite(s.sources)}".rstrip())
        lines.append(f"- Decision point: {p.decision}")
    if p.assumed:
        lines.append(box.say("answer_plan_assumed", assumed=" and ".join(p.assumed)))
    return "\n".join(lines)


def recap(plan: Plan, box: TurnResults, mode: Mode) -> str:
    from advisor.chat.offline.writer import understood

    res = box.last(Recapped)
    turns = res.turns if isinstance(res, Recapped) else []
    who = understood(box.profile, box.knowledge)
    picks: list[str] = next((list(t["recommendations"]) for t in reversed(turns) if t.get("recommendations")), [])
    ranking = rank_fields(box.knowledge)
    fit = affinity(box.knowledge, box.profile)
    refused = set(box.profile.dislikes)  # "top two, and leave out automated interp": not among the picks now
    if (not picks or refused & set(picks)) and not box.profile.is_empty():
        wanted = max(plan.shape.top or 3, len(picks))
        fresh = [r.field_id for r in recommend(box.knowledge, box.profile, ranking, top=wanted + len(refused),
                                               affinity=fit)]
        picks = [f for f in dict.fromkeys([*picks, *fresh]) if f not in refused][:wanted]
    recs = {r.field_id: r for r in recommend(box.knowledge, box.profile, ranking, top=len(picks) or 1, affinity=fit,
                                            only=picks)} if picks else {}
    if not who and not picks:
        return box.say("answer_recap_empty")
    shape = plan.shape
    total = len(ranking.fields)
    reasons = []
    for fid in picks[: shape.top or 3]:
        r = recs.get(fid)
        why = next(iter(r.fit_reasons), None) if r else None
        said = f"{why.text[:1].lower()}{why.text[1:].rstrip('.')} {box.cite(why.sources)}; " if why else ""
        safety = r.safety_words(total) if r else "on our model's estimate"
        reasons.append((box.knowledge.field(fid).name,
                        f"{said}{safety} on automation (our model's estimate) {box.cite([f'field:{fid}#factors'])}"))
    done = []
    for t in turns:
        template = INTENT_DONE.get(str(t.get("intent")))
        if template:
            names = " and ".join(box.knowledge.field(f).name for f in (t.get("fields") or [])[:3]) or "a field"
            done.append(template.format(fields=names))
    done = list(dict.fromkeys(done))
    items = []
    if who:
        items.append(f"You: {who}.")
    if reasons:
        items.append("My picks for you: " + "; ".join(f"{n}, {why}" for n, why in reasons) + ".")
    if done:
        items.append("We also " + ", ".join(done[-4:]) + ".")
    items.append(f"Next step: start the first reading for {reasons[0][0] if reasons else 'your first pick'}, "
                 "or ask me for a plan sized to your hours.")
    return shaped(box.say("answer_recap_head"), items, shape, reasons, who)


def _first_reason(why: str) -> str:
    """The first of the reasons joined by ';', with its citation kept."""
    head, _, rest = why.partition(";")
    cites = re.findall(r"\[\d+\]", rest) if not re.search(r"\[\d+\]", head) else []
    return head.strip() + (" " + "".join(cites[:1]) if cites else "")


def shaped(head: str, items: list[str], shape: Shape, top: list[tuple[str, str]], who: str = "") -> str:
    """The items in the shape asked: N bullets, one sentence, top N with a reason each, or short."""
    if shape.top and top:
        lines = [f"{i}. {name}: {why}." for i, (name, why) in enumerate(top[: shape.top], 1)]
        if shape.max_words and len(" ".join(lines).split()) > shape.max_words:  # "2 fields max, under 50 words"
            lines = [f"{i}. {name}: {_first_reason(why)}." for i, (name, why) in enumerate(top[: shape.top], 1)]
        return "\n".join(lines)
    if shape.sentences:
        picks = " and ".join(n for n, _ in top[:2])
        lead = f"For you ({who}), " if who else "In short, "
        return f"{lead}my picks are {picks or 'still open'}, chosen as safer bets against automation that fit you."
    if shape.bullets:  # one pick a bullet, so three bullets hold who you are and the picks
        pool = [i for i in items if not i.startswith("My picks")]
        pool[1:1] = [f"{name}: {why}." for name, why in top]
        return "\n".join(f"- {item}" for item in pool[: shape.bullets])
    if shape.short:
        return "\n".join(f"- {item}" for item in items[:2])
    if shape.max_words:  # "in under 80 words": the items that fit, in order, else the one-sentence form
        kept: list[str] = []
        names = ", ".join(name for name, _ in top)
        for item in [f"My picks for you: {names}." if i.startswith("My picks") else i for i in items]:
            if sum(len(x.split()) + 1 for x in [*kept, item]) <= shape.max_words:  # each bullet's "-" counts
                kept.append(item)
        if kept:
            return "\n".join(f"- {item}" for item in kept)
        return shaped(head, items, Shape(sentences=1), top, who)
    return "\n".join([head, *(f"- {item}" for item in items)])


def supposed_picks(plan: Plan, box: TurnResults, mode: Mode) -> str:
    """The picks for a supposed change to the person ("what if I had 20 hours a week?"), beside today's picks;
    nothing of it is stored."""
    from advisor.chat.offline.writer import _first_lower, understood

    rec = box.last(Recommended)
    if not isinstance(rec, Recommended) or not rec.recommendations or plan.supposed is None:
        return box.say("answer_help")
    total = len(box.knowledge.fields)
    supposed = understood(plan.supposed, box.knowledge) or "that"
    lines = [f"Supposing {supposed} (I am not recording it), these would be my picks:"]
    for i, r in enumerate(rec.recommendations, 1):
        why = next(iter(r.fit_reasons), None)
        because = f"; {_first_lower(why.text).rstrip('.')} {box.cite(why.sources)}" if why else ""
        lines.append(f"{i}. {r.name}: {r.fit_words}, {r.safety_words(total)} on automation (our model's estimate)"
                     f"{because}.".replace(" .", "."))
    now, then = plan.picks[:3], [r.field_id for r in rec.recommendations]
    if now:
        names = [box.knowledge.field(f).name for f in now]
        if now == then:
            lines.append(f"That is the same as my picks for you today ({', '.join(names)}): the change would not "
                         "move them.")
            if plan.supposed.constraints != Constraints():  # time or money, not fit
                lines.append("Time and savings change the plan, not the fit: ask me for a plan with those numbers.")
        else:
            came = [box.knowledge.field(f).name for f in then if f not in now]
            went = [box.knowledge.field(f).name for f in now if f not in then]
            moved = "; ".join(x for x in (f"{' and '.join(came)} would come in" if came else "",
                                          f"{' and '.join(went)} would drop out" if went else "") if x)
            lines.append(f"Today my picks for you are {', '.join(names)}"
                         f"{': ' + moved if moved else ', in another order'}.")
    return "\n".join(lines)
