"""A transition plan sized to the person's time, and the quit-or-keep-the-job trade-off in their own numbers.

The plan has phases with dates from today: explore (readings that fit the hours), close the gaps (a course or
curriculum from the field's ways in), a first piece of work with a visible output, and applying, with a
decision point after exploring. Its hours never exceed what the person has; when the horizon is too short for
every phase, the plan says so and keeps the phases that fit. Every step names the passage it comes from.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta

from advisor.knowledge.base import FieldCard, Knowledge
from advisor.knowledge.profile import Profile
from advisor.knowledge.programmes import Programme
from advisor.knowledge.recommend import PlannedReading, reading_plan

DEFAULT_HOURS = 10
DEFAULT_WEEKS = 12
FULL_TIME_HOURS = 40
PROGRAMME = re.compile(r"\b(?:MATS|SPAR|ARENA|BlueDot|fellowship|programme|program|bootcamp|LASR|ML4Good|"
                       r"AI Safety Camp|Apart|hackathon|course)\b", re.I)


@dataclass(frozen=True)
class Step:
    phase: str  # explore, skills, project, apply
    start_week: int  # 1-based
    end_week: int
    hours: int  # hours this phase takes in all
    text: str
    sources: list[str] = field(default_factory=list)  # passage ids or reading URLs


@dataclass(frozen=True)
class TransitionPlan:
    fields: list[str]
    hours_per_week: int
    weeks: int
    start: date
    steps: list[Step]
    assumed: list[str]  # what was assumed because the person did not say it ("10 hours a week")
    short: bool  # the horizon is too short for every phase
    decision: str  # the decision point after exploring
    readings: list[PlannedReading]

    @property
    def total_hours(self) -> int:
        return self.hours_per_week * self.weeks

    def week_date(self, week: int) -> date:
        return self.start + timedelta(weeks=week - 1)


def transition_plan(knowledge: Knowledge, profile: Profile, fields: list[str], hours_per_week: int | None = None,
                    weeks: int | None = None, today: date | None = None) -> TransitionPlan:
    """A phased plan for `fields` (first = main) that fits `hours_per_week` × `weeks` (from the profile, or
    assumed and said so)."""
    assumed = []
    hours = hours_per_week or profile.constraints.hours_per_week
    if not hours:
        hours = DEFAULT_HOURS
        assumed.append(f"{DEFAULT_HOURS} hours a week")
    if not weeks:
        runway = profile.constraints.runway_months
        weeks = round(runway * 4.33) if runway else DEFAULT_WEEKS
        if not runway:
            assumed.append(f"{DEFAULT_WEEKS} weeks")
    weeks = max(1, min(weeks, 104))
    cards = [knowledge.field(f) for f in fields][:2] or [knowledge.fields[0]]
    main = cards[0]
    budget = hours * weeks
    phases = _phases(weeks)
    steps: list[Step] = []
    explore_weeks = phases["explore"]
    explore_hours = hours * (explore_weeks[1] - explore_weeks[0] + 1)
    readings = _fitting(reading_plan(knowledge, [c.id for c in cards], profile), explore_hours)
    if readings:
        titles = "; ".join(f"{r.title} (about {r.minutes} min)" for r in readings)
        steps.append(Step("explore", *explore_weeks, explore_hours, f"Read, easiest first: {titles}.",
                          [r.url for r in readings]))
    else:
        steps.append(Step("explore", *explore_weeks, explore_hours,
                          f"Read the overview of {main.name} and one of its introductory readings.",
                          [f"field:{main.id}#overview"]))
    ways_in = _ways_in(knowledge, profile, [c.id for c in cards], hours)
    courses = [p for p in ways_in if p.kind in ("course", "self-study")]
    if "skills" in phases:
        s, e = phases["skills"]
        if courses:
            c = courses[0]
            steps.append(Step("skills", s, e, hours * (e - s + 1),
                              f"Close the gaps: {c.name} ({c.organiser}, {c.format}, {_week(c)}).",
                              [f"programme:{c.id}"]))
        else:
            course = next((p for p in main.entry_paths if PROGRAMME.search(p)), main.entry_paths[0])
            steps.append(Step("skills", s, e, hours * (e - s + 1), f"Close the gaps: {course}.",
                              [f"field:{main.id}#entry"]))
    if "project" in phases:
        task = main.research_tasks[0]
        s, e = phases["project"]
        steps.append(Step("project", s, e, hours * (e - s + 1),
                          "Do a small first project and publish a short write-up. A task people in the field do: "
                          f"{task}.",
                          [f"field:{main.id}#work"]))
    if "apply" in phases:
        s, e = phases["apply"]
        chosen = [p for p in ways_in if p.kind not in ("course", "self-study")][:3]
        if chosen:
            where = "; ".join(f"{p.name} ({p.format}, {COSTS[p.cost]}, {_week(p)}; "
                              f"applications: {_plain(p.applications)})" for p in chosen)
            steps.append(Step("apply", s, e, hours * (e - s + 1), f"Apply to programmes that fit your week: {where}.",
                              [f"programme:{p.id}" for p in chosen]))
        else:
            programmes = [p for p in main.entry_paths if PROGRAMME.search(p) and p not in steps[1].text][:2]
            where = "; ".join(programmes) or ", ".join(main.organisations[:3])
            fits = "part-time or remote ones" if hours < FULL_TIME_HOURS / 2 else "full-time ones too"
            steps.append(Step("apply", s, e, hours * (e - s + 1), f"Apply, choosing {fits}: {where}.",
                              [f"field:{main.id}#entry"]))
    other = cards[1].name if len(cards) > 1 else "another field from my picks"
    end = explore_weeks[1]
    decision = (f"By week {end}, if the {main.name} readings held your interest, go on with the plan; "
                f"if not, switch the rest of the plan to {other}.")
    return TransitionPlan([c.id for c in cards], hours, weeks, today or date.today(), steps, assumed,
                          short="apply" not in phases and budget < 40, decision=decision, readings=readings)


COSTS = {"free": "free", "paid": "paid", "stipend": "with a stipend"}


def _week(p: Programme) -> str:
    """What a programme asks of a week, in the plan's own terms (its hours fit the person's, so no other figure
    is quoted beside theirs)."""
    length = f" for about {p.length_weeks:g} weeks" if p.length_weeks else ""
    return "full-time" + length if p.full_time else f"about {p.hours_per_week:g} hours a week{length}"


def _plain(sentence: str) -> str:
    """A data sentence as a clause inside a list: no closing full stop, no capital unless it starts a name."""
    text = sentence.strip().rstrip(".")
    first = text.split(" ", 1)[0]
    named = first.isupper() or (len(first) > 1 and first[1:].lower() != first[1:])  # "MATS", "BlueDot"
    return text if named else text[:1].lower() + text[1:]


def _ways_in(knowledge: Knowledge, profile: Profile, fields: list[str], hours: int) -> list[Programme]:
    """The programmes and courses for these fields that fit the person's week: no more hours than they have, and
    full-time only when they are not keeping a job and their runway covers it (or they have full-time hours)."""
    if knowledge.programmes is None:
        return []
    runway_weeks = (profile.constraints.runway_months or 0) * 4.33
    keeps_job = profile.constraints.keeps_job is True
    advised_to_keep = bool(_reasons_to_keep_job(profile))  # the same advice as the decision answer

    def allowed(p: Programme) -> bool:
        if not p.full_time:
            return p.hours_per_week <= hours
        if keeps_job:
            return False
        return hours >= FULL_TIME_HOURS * 0.75 or (not advised_to_keep and runway_weeks >= (p.length_weeks or 52))

    return [p for p in knowledge.programmes.for_fields(fields) if allowed(p)]


def _phases(weeks: int) -> dict[str, tuple[int, int]]:
    """Week ranges for each phase that fits the horizon: a week or two is only exploring."""
    if weeks <= 2:
        return {"explore": (1, weeks)}
    if weeks <= 4:
        return {"explore": (1, weeks - 1), "skills": (weeks, weeks)}
    explore = max(1, round(weeks * 0.2))
    skills = max(1, round(weeks * 0.3))
    project = max(1, round(weeks * 0.35))
    apply = max(1, weeks - explore - skills - project)
    first_project = explore + skills + 1
    return {"explore": (1, explore), "skills": (explore + 1, explore + skills),
            "project": (first_project, first_project + project - 1), "apply": (weeks - apply + 1, weeks)}


def _fitting(readings: list[PlannedReading], hours: float) -> list[PlannedReading]:
    """The readings, easiest first, that fit in `hours` (at least one when any fits)."""
    out, used = [], 0.0
    for r in readings:
        if used + r.minutes / 60 <= hours:
            out.append(r)
            used += r.minutes / 60
    return out[:4]


def readings_within(knowledge: Knowledge, profile: Profile, fields: list[str], minutes: int) -> list[PlannedReading]:
    """Readings for `fields` that together fit in `minutes`, easiest and shortest first."""
    plan = sorted(reading_plan(knowledge, fields, profile), key=lambda r: r.minutes)
    return _fitting(plan, minutes / 60)


@dataclass(frozen=True)
class Decision:
    """Quit or keep the job, in the person's numbers."""

    runway_months: int | None
    hours_per_week: int
    needs_salary: bool
    keep_job: bool  # the advice: keep the job and go part-time first
    part_time_hours: int  # hours over the runway (or 6 months) while keeping the job
    full_time_hours: int  # hours over the same time, full time
    months: int
    path: FieldCard
    reasons: list[str]


def quit_or_keep(knowledge: Knowledge, profile: Profile, field_id: str) -> Decision:
    c = profile.constraints
    months = c.runway_months or 6
    hours = c.hours_per_week or DEFAULT_HOURS
    weeks = round(months * 4.33)
    reasons = _reasons_to_keep_job(profile)
    return Decision(c.runway_months, hours, bool(c.needs_salary), bool(reasons), hours * weeks,
                    FULL_TIME_HOURS * weeks, months, knowledge.field(field_id), reasons)


def _reasons_to_keep_job(profile: Profile) -> list[str]:
    """Why to keep the job and go part-time first, in the person's own terms; none: quitting is reasonable."""
    c = profile.constraints
    reasons = []
    if c.needs_salary:
        reasons.append("you said you need a salary")
    if c.runway_months is None:
        reasons.append("you have not told me how many months of savings you have")
    elif c.runway_months < 6:
        reasons.append(f"{c.runway_months} months of savings is shorter than most programmes plus a job search")
    if c.risk_appetite == "low":
        reasons.append("you want to keep risk low")
    return reasons
