"""What the advisor knows about the user: interests, skills, background, constraints, goals, readings done.

Filled from the conversation (by the offline advisor's understanding, or by an LLM through the
`update_profile` tool) and editable directly.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

Risk = Literal["low", "medium", "high"]


class Constraints(BaseModel):
    runway_months: int | None = Field(default=None, ge=0, le=600, description="months the user can fund a transition")
    hours_per_week: int | None = Field(default=None, ge=0, le=100)
    location: str | None = None
    needs_salary: bool | None = None
    risk_appetite: Risk | None = None


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

    def merge(self, update: Profile) -> Profile:
        """This profile with `update` applied: lists are unioned (a new like removes an old dislike), set
        constraints overwrite."""

        def union(a: list[str], b: list[str]) -> list[str]:
            return list(dict.fromkeys([*a, *b]))

        dislikes = [d for d in union(self.dislikes, update.dislikes) if d not in update.interests]
        interests = [i for i in union(self.interests, update.interests) if i not in update.dislikes]
        constraints = self.constraints.model_copy(update=update.constraints.model_dump(exclude_none=True))

        def kept(items: list[str]) -> list[str]:  # a new "I lack X" (or "I've never been X") removes X
            return [i for i in items if not any(_overlaps(i, lack) for lack in update.lacks)]

        lacks = [x for x in union(self.lacks, update.lacks)
                 if not any(_overlaps(x, s) for s in [*update.skills, *update.background])]
        return Profile(
            interests=interests, dislikes=dislikes, skills=union(kept(self.skills), update.skills),
            background=union(kept(self.background), update.background), constraints=constraints,
            goals=union(self.goals, update.goals), readings_done=union(self.readings_done, update.readings_done),
            fit_weight=update.fit_weight if update.fit_weight is not None else self.fit_weight,
            lacks=lacks, about=union(self.about, update.about)[-5:],
        )

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
            parts.append(f"runway: {c.runway_months} months")
        if c.hours_per_week is not None:
            parts.append(f"{c.hours_per_week} h/week")
        if c.location:
            parts.append(f"location: {c.location}")
        if c.needs_salary:
            parts.append("needs a salary")
        if c.risk_appetite:
            parts.append(f"risk appetite: {c.risk_appetite}")
        if self.goals:
            parts.append("goals: " + "; ".join(self.goals))
        if self.readings_done:
            parts.append(f"{len(self.readings_done)} reading(s) done")
        if self.fit_weight is not None:
            parts.append(f"weighs fit {self.fit_weight:.0%} against safety from automation")
        return "; ".join(parts) or "nothing yet"


def _overlaps(a: str, b: str) -> bool:
    """Whether two short descriptions name the same thing ("teacher" and "teaching", "coding" and "code")."""
    a, b = a.lower().strip(), b.lower().strip()
    stem = min(len(a), len(b), 5)
    return bool(a and b) and (a in b or b in a or (stem >= 4 and a[:stem] == b[:stem]))
