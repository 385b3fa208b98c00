"""The profile form and the personal plan: what the advisor understood about the user (as editable form values),
the fields it recommends with reasons, and the reading list with what has been read."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from advisor.chat.fit import picks
from advisor.errors import InputError
from advisor.interfaces.web.escape import link, text
from advisor.knowledge import Knowledge
from advisor.knowledge.profile import Constraints, Profile
from advisor.knowledge.recommend import PlannedReading, Recommendation, Weights, reading_plan

RISK_CHOICES = ["not said", "low", "medium", "high"]


class ProfileFormError(InputError, ValueError):
    """A profile edit that cannot be used; the message says which box and what it accepts."""


@dataclass(frozen=True)
class ProfileForm:
    """The profile as the form's boxes hold it."""

    interests: list[str]
    dislikes: list[str]
    skills: str
    background: str
    runway_months: float | None
    hours_per_week: float | None
    location: str
    needs_salary: bool
    risk_appetite: str
    fit_weight: float
    lacks: str = ""  # what the person can't or won't do, comma-separated

    @classmethod
    def of(cls, profile: Profile) -> ProfileForm:
        c = profile.constraints
        return cls(list(profile.interests), list(profile.dislikes), ", ".join(profile.skills),
                   ", ".join(profile.background), c.runway_months, c.hours_per_week, c.location or "",
                   bool(c.needs_salary), c.risk_appetite or "not said", Weights.for_profile(profile).fit,
                   ", ".join(profile.lacks))

    def values(self) -> tuple[Any, ...]:
        return (self.interests, self.dislikes, self.skills, self.background, self.runway_months,
                self.hours_per_week, self.location, self.needs_salary, self.risk_appetite, self.fit_weight, self.lacks)

    def apply(self, base: Profile) -> Profile:
        """`base` with the form's values; goals and readings done are kept, and the fit weight is stored only
        when it differs from what the profile implies."""
        def items(value: str) -> list[str]:
            return list(dict.fromkeys(p.strip() for p in value.replace(";", ",").split(",") if p.strip()))

        def whole(value: float | None, label: str, top: int) -> int | None:
            if value is None:
                return None
            if value < 0 or value > top or value != int(value):
                raise ProfileFormError(f"{label} must be a whole number from 0 to {top} (got {value:g}).")
            return int(value)

        if set(self.interests) & set(self.dislikes):
            raise ProfileFormError("A field cannot be both liked and disliked; take it out of one list.")
        risk = None if self.risk_appetite == "not said" else self.risk_appetite
        try:
            constraints = Constraints(runway_months=whole(self.runway_months, "Runway (months)", 600),
                                      hours_per_week=whole(self.hours_per_week, "Hours per week", 100),
                                      location=self.location.strip() or None,
                                      needs_salary=True if self.needs_salary else None,
                                      risk_appetite=risk)  # type: ignore[arg-type]
            draft = base.model_copy(update={
                "interests": list(self.interests), "dislikes": list(self.dislikes), "skills": items(self.skills),
                "background": items(self.background), "lacks": items(self.lacks), "constraints": constraints,
                "fit_weight": None})
            implied = Weights.for_profile(draft).fit
            fit = None if abs(self.fit_weight - implied) < 1e-6 else round(float(self.fit_weight), 2)
            return Profile.model_validate({**draft.model_dump(), "fit_weight": fit})
        except ValidationError as exc:
            err = exc.errors()[0]
            where = ".".join(str(x) for x in err["loc"])
            raise ProfileFormError(f"The profile's {where} cannot be used: {err['msg']}.") from None


def recommendations_for(knowledge: Knowledge, profile: Profile, top: int = 3) -> list[Recommendation]:
    return picks(knowledge, profile, top=top)


def recommendations_html(knowledge: Knowledge, profile: Profile, recs: list[Recommendation]) -> str:
    """The recommended fields, each with how well it fits the person and how safe it is from automation said in
    words (the numbers in a tooltip), and its reasons; field names, never ids."""
    from advisor.chat.export import with_names

    w = Weights.for_profile(profile)
    total = len(knowledge.fields)
    order = ("only on how safe each field is from automation" if w.fit <= 0 else
             "only on how well each field fits you" if w.safety <= 0 else
             f"{w.fit:.0%} on how well each field fits you and {w.safety:.0%} on how safe it is from automation")
    head = (f"<p class='adv-pos'>For you: {text(with_names(profile.describe(), knowledge))}.<br><span class='muted'>"
            f"Ordered {order} (change it with the last slider on the left).</span></p>")
    items = []
    for i, r in enumerate(recs, 1):
        reasons = "".join(f"<li>{text(reason.text)}</li>" for reason in r.reasons)
        numbers = f"fit {r.fit:.2f} of 1 · safety {r.safety:.2f} of 1"
        items.append(
            f"<li class='adv-rec' data-field='{text(r.field_id)}'><div class='adv-rec-head'><b>{i}. {text(r.name)}"
            f"</b> <span class='adv-fit' title='{numbers}'>{text(r.fit_words)} for what you told me · "
            f"{text(r.safety_words(total))} on automation (#{r.rank} of {total} by exposure)</span></div>"
            f"<ul>{reasons}</ul></li>")
    return f"<div class='adv-plan'>{head}<ol class='adv-recs'>{''.join(items)}</ol></div>"


def planned_readings(knowledge: Knowledge, profile: Profile, recs: list[Recommendation]) -> list[PlannedReading]:
    """The reading plan for the recommended fields, including what was already read (shown ticked)."""
    unread = profile.model_copy(update={"readings_done": []})
    return reading_plan(knowledge, [r.field_id for r in recs], unread)


def reading_label(p: PlannedReading) -> str:
    return f"{p.title} — {p.authors}, {p.year} · {p.level} · ~{p.minutes} min"


def readings_html(knowledge: Knowledge, plan: list[PlannedReading], done: list[str]) -> str:
    if not plan:
        return "<p class='muted'>No readings to suggest yet.</p>"
    read = [p for p in plan if p.url in done]
    left = sum(p.minutes for p in plan if p.url not in done)
    hours, minutes = divmod(left, 60)
    when = f"{hours} h {minutes} min" if hours else f"{minutes} min"
    progress = (f"<p class='adv-progress'><b>{len(read)} of {len(plan)} read</b> · about {when} of reading left"
                + ("" if left else " · all done") + "</p>")
    nxt = next((p for p in plan if p.url not in done), None)
    if nxt:
        progress += (f"<p>Next: {link(nxt.title, nxt.url)} <span class='muted'>({text(nxt.level)}, "
                     f"~{nxt.minutes} min)</span></p>")
    rows = "".join(
        f"<li class='{'adv-done' if p.url in done else ''}'>{'✓ ' if p.url in done else ''}{link(p.title, p.url)} "
        f"<span class='muted'>— {text(knowledge.field(p.field_id).name)}</span></li>" for p in plan)
    rows = f"<details><summary>Links to every reading</summary><ul>{rows}</ul></details>"
    return f"<div class='adv-readings'>{progress}{rows}</div>"
