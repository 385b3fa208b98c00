"""What the advisor knows about the user: interests, skills, background, constraints, goals, readings done.

Filled from the conversation (by the offline advisor's understanding, or by an LLM through the
`update_profile` tool) and editable directly. Numbers out of range ("60 years of savings", "200 hours a
week") are clamped when they are set, with a note that says so, so a profile can always be stored and read
back; `Profile.from_stored` reads a stored profile that is invalid anyway, keeping what is valid and noting
what it dropped.
"""

from __future__ import annotations

import math
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from pydantic.json_schema import SkipJsonSchema

Risk = Literal["low", "medium", "high"]

# field -> (lowest, highest, unit, why the highest)
LIMITS: dict[str, tuple[int, int, str, str]] = {
    "runway_months": (0, 600, "months of runway", "the advisor plans at most 50 years ahead"),
    "hours_per_week": (0, 100, "hours a week", "more than 100 hours a week is not a plan anyone can keep"),
}


def clamp_limited(name: str, value: Any) -> tuple[Any, str | None]:
    """`value` for the limited constraint `name` brought into its range, and a note when it was changed.
    Values that are not numbers at all are returned unchanged, for validation to reject."""
    if name not in LIMITS or value is None or isinstance(value, bool):
        return value, None
    low, high, unit, why = LIMITS[name]
    number: float
    if isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            return value, None
    elif isinstance(value, int | float):
        number = float(value)
    else:
        return value, None
    if math.isnan(number):
        return None, f"{value!r} {unit} is not a number; left unset"
    if number > high:
        shown = "an endless number of" if math.isinf(number) else f"{number:g}"
        return high, f"you said {shown} {unit}; kept {high}, since {why}"
    if number < low:
        return low, f"you said {number:g} {unit}; kept {low}"
    return round(number), None


class Constraints(BaseModel):
    model_config = ConfigDict(validate_assignment=True)
    LIMITED: ClassVar[tuple[str, ...]] = tuple(LIMITS)

    runway_months: int | None = Field(default=None, ge=0, le=600, description="months the user can fund a transition")
    hours_per_week: int | None = Field(default=None, ge=0, le=100)
    location: str | None = Field(default=None, max_length=200)
    needs_salary: bool | None = None
    risk_appetite: Risk | None = None
    keeps_job: bool | None = Field(default=None, description="will keep their current job while moving over")
    can_relocate: bool | None = Field(default=None, description="False: cannot move for work")
    notes: SkipJsonSchema[dict[str, str]] = Field(
        default_factory=dict, description="why a value differs from what the user said, by constraint")

    @model_validator(mode="before")
    @classmethod
    def _clamp(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        data = dict(data)
        notes = dict(data.get("notes") or {}) if isinstance(data.get("notes"), dict) else {}
        for name in cls.LIMITED:
            if name in data:
                data[name], note = clamp_limited(name, data[name])
                if note:
                    notes[name] = note
        data["notes"] = notes
        return data

    def __setattr__(self, name: str, value: Any) -> None:
        if name in self.LIMITED:  # set one by one (as the offline understanding does): clamp, and note it
            value, note = clamp_limited(name, value)
            notes = {k: v for k, v in self.notes.items() if k != name}
            super().__setattr__("notes", {**notes, name: note} if note else notes)
        super().__setattr__(name, value)


class Profile(BaseModel):
    interests: list[str] = Field(default_factory=list, description="field ids the user likes")
    dislikes: list[str] = Field(default_factory=list, description="field ids the user does not want")
    skills: list[str] = Field(default_factory=list)
    background: list[str] = Field(default_factory=list)
    constraints: Constraints = Field(default_factory=Constraints)
    goals: list[str] = Field(default_factory=list)
    readings_done: list[str] = Field(default_factory=list, description="URLs of readings already done")
    fit_weight: float | None = Field(default=None, ge=0, le=1,
                                     description="how much fit matters against safety from automation (0..1)")
    lacks: list[str] = Field(default_factory=list, description="skills or experience the user says they lack")
    about: list[str] = Field(default_factory=list, description="the user's own words about themselves (latest)")

    notes: dict[str, str] = Field(default_factory=dict,
                                  description="what was dropped when a stored profile could not be read whole")

    def merge(self, update: Profile) -> Profile:
        """This profile with `update` applied: lists are unioned (a new like removes an old dislike), set
        constraints overwrite (and bring their notes, or drop an old note about that constraint)."""

        def union(a: list[str], b: list[str]) -> list[str]:
            return list(dict.fromkeys([*a, *b]))

        dislikes = [d for d in union(self.dislikes, update.dislikes) if d not in update.interests]
        interests = [i for i in union(self.interests, update.interests) if i not in update.dislikes]
        changed = update.constraints.model_dump(exclude_none=True, exclude={"notes"})
        notes = {k: v for k, v in self.constraints.notes.items() if k not in changed} | update.constraints.notes
        constraints = Constraints.model_validate(
            {**self.constraints.model_dump(exclude={"notes"}), **changed, "notes": notes})

        def kept(items: list[str]) -> list[str]:  # a new "I lack X" (or "I've never been X") removes X
            return [i for i in items if not any(_overlaps(i, lack) for lack in update.lacks)]

        lacks = [x for x in union(self.lacks, update.lacks)
                 if not any(_overlaps(x, s) or _cures(x, s) for s in [*update.skills, *update.background])]
        return Profile(
            interests=interests, dislikes=dislikes, skills=union(kept(self.skills), update.skills),
            background=union(kept(self.background), update.background), constraints=constraints,
            goals=union(self.goals, update.goals), readings_done=union(self.readings_done, update.readings_done),
            fit_weight=update.fit_weight if update.fit_weight is not None else self.fit_weight,
            lacks=lacks, about=union(self.about, update.about)[-5:], notes=self.notes | update.notes,
        )

    def changes_from(self, before: Profile) -> Profile:
        """What this profile adds to or sets over `before`: the update that, merged into `before` (or into a
        newer version of it), gives this profile's news."""

        def added(now: list[str], then: list[str]) -> list[str]:
            return [x for x in now if x not in then]

        mine, theirs = self.constraints, before.constraints
        changed = {k: v for k, v in mine.model_dump(exclude={"notes"}).items()
                   if v is not None and v != getattr(theirs, k)}
        notes = {k: v for k, v in mine.notes.items() if theirs.notes.get(k) != v}
        return Profile(
            interests=added(self.interests, before.interests), dislikes=added(self.dislikes, before.dislikes),
            skills=added(self.skills, before.skills), background=added(self.background, before.background),
            constraints=Constraints.model_validate({**changed, "notes": notes}),
            goals=added(self.goals, before.goals), readings_done=added(self.readings_done, before.readings_done),
            fit_weight=self.fit_weight if self.fit_weight != before.fit_weight else None,
            lacks=added(self.lacks, before.lacks), about=added(self.about, before.about),
            notes={k: v for k, v in self.notes.items() if before.notes.get(k) != v},
        )

    @classmethod
    def from_stored(cls, data: Any) -> Profile:
        """A stored profile, read even when part of it is invalid: what is valid is kept, and `notes` says
        what was dropped. Never raises."""
        try:
            return cls.model_validate(data)
        except ValidationError:
            pass
        if not isinstance(data, dict):
            return cls(notes={"profile": f"the stored profile was not readable ({_shown(data)}); started afresh"})
        kept: dict[str, Any] = {}
        notes: dict[str, str] = {}
        for name, value in data.items():
            if name not in cls.model_fields:
                notes[name] = f"dropped unknown entry {name!r} = {_shown(value)}"
            elif name == "constraints":
                kept[name], dropped = _valid_parts(Constraints, value, "constraints")
                notes |= dropped
            elif name == "notes":
                kept[name] = {str(k): str(v) for k, v in value.items()} if isinstance(value, dict) else {}
            elif isinstance(value, list) and cls.model_fields[name].annotation == list[str]:
                good = [v for v in value if isinstance(v, str)]
                kept[name] = good
                if len(good) != len(value):
                    notes[name] = f"dropped {len(value) - len(good)} unreadable item(s) from {name}"
            else:
                part, dropped = _valid_parts(cls, {name: value}, "")
                kept |= part
                notes |= dropped
        kept["notes"] = {**kept.get("notes", {}), **notes}
        return cls.model_validate(kept)

    def all_notes(self) -> list[str]:
        """Everything the advisor changed or dropped, for people."""
        return [*(f"{LABELS.get(k, k)}: {v}" for k, v in self.constraints.notes.items()),
                *(f"{k}: {v}" for k, v in self.notes.items())]

    def is_empty(self) -> bool:
        return self == Profile()

    def describe(self) -> str:
        """One line for people (and for a model's context)."""
        parts = []
        if self.background:
            parts.append("background: " + ", ".join(self.background))
        if self.skills:
            parts.append("skills: " + ", ".join(self.skills))
        if self.interests:
            parts.append("interested in: " + ", ".join(self.interests))
        if self.dislikes:
            parts.append("not interested in: " + ", ".join(self.dislikes))
        if self.lacks:
            parts.append("without: " + ", ".join(self.lacks))
        c = self.constraints
        if c.runway_months is not None:
            parts.append(f"runway: {c.runway_months} months" + _noted(c, "runway_months"))
        if c.hours_per_week is not None:
            parts.append(f"{c.hours_per_week} h/week" + _noted(c, "hours_per_week"))
        if c.location:
            parts.append(f"location: {c.location}")
        if c.needs_salary:
            parts.append("needs a salary")
        if c.risk_appetite:
            parts.append(f"risk appetite: {c.risk_appetite}")
        if c.keeps_job is not None:
            parts.append("keeps their job" if c.keeps_job else "not keeping a job")
        if c.can_relocate is not None:
            parts.append("can relocate" if c.can_relocate else "cannot relocate")
        if self.goals:
            parts.append("goals: " + "; ".join(self.goals))
        if self.readings_done:
            parts.append(f"{len(self.readings_done)} reading(s) done")
        if self.fit_weight is not None:
            parts.append(f"weighs fit {self.fit_weight:.0%} against safety from automation")
        return "; ".join(parts) or "nothing yet"


# A skill said later that ends a lack said earlier ("actually I do code a little, Python scripts for lab data")
CURED_BY = {"programming": ("python", "code", "coding", "program", "software", "javascript", "typescript", "rust",
                            "java", "c++", "sql", "developer"),
            "mathematics": ("math", "statistic", "linear algebra", "probability", "physic"),
            "machine learning": ("machine learning", "ml ", "pytorch", "deep learning", "ml researcher")}


def _cures(lack: str, skill: str) -> bool:
    return any(word in f"{skill.lower()} " for word in CURED_BY.get(lack.lower(), ()))


def _overlaps(a: str, b: str) -> bool:
    """Whether two short descriptions name the same thing ("teacher" and "teaching", "coding" and "code")."""
    a, b = a.lower().strip(), b.lower().strip()
    stem = min(len(a), len(b), 5)
    return bool(a and b) and (a in b or b in a or (stem >= 4 and a[:stem] == b[:stem]))


LABELS = {"runway_months": "runway", "hours_per_week": "hours per week"}


def _noted(c: Constraints, name: str) -> str:
    return f" ({c.notes[name]})" if name in c.notes else ""


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _valid_parts(model: type[BaseModel], data: Any, prefix: str) -> tuple[dict[str, Any], dict[str, str]]:
    """The entries of `data` that `model` accepts one at a time, and a note for each one it does not."""
    if not isinstance(data, dict):
        return {}, {prefix or "profile": f"dropped unreadable {_shown(data)}"}
    kept: dict[str, Any] = {}
    notes: dict[str, str] = {}
    for name, value in data.items():
        key = f"{prefix}.{name}" if prefix else name
        if name not in model.model_fields:
            notes[key] = f"dropped unknown entry {name!r} = {_shown(value)}"
            continue
        try:
            model.model_validate({name: value})
        except ValidationError as exc:
            notes[key] = f"dropped {_shown(value)}: {exc.errors()[0]['msg']}"
        else:
            kept[name] = value
    return kept, notes
