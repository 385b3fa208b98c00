"""The personal plan: recommended fields with their reasons and a reading plan, as Markdown for an export."""

from __future__ import annotations

from advisor.chat.fit import picks
from advisor.knowledge import Knowledge
from advisor.knowledge.profile import Profile
from advisor.knowledge.recommend import reading_plan


def personal_plan(knowledge: Knowledge, profile: Profile) -> str:
    """Recommendations for `profile` and the reading plan for them, ticked where already read."""
    recs = picks(knowledge, profile)
    lines = [f"Profile: {profile.describe()}", "", "Fields to consider:"]
    for i, r in enumerate(recs, 1):
        lines.append(f"{i}. **{r.name}** (fit {r.fit:.2f}, safety against automation {r.safety:.2f})")
        lines += [f"   - {reason.text}" for reason in r.reasons]
    lines += ["", "Reading plan:"]
    fields = [r.field_id for r in recs]
    done = profile.model_copy(update={"readings_done": []})  # the whole plan, read ones ticked
    lines += [f"- [{'x' if p.url in profile.readings_done else ' '}] {p.title} — {p.authors}, {p.year} "
              f"({p.level}, ~{p.minutes} min) {p.url}" for p in reading_plan(knowledge, fields, done)]
    return "\n".join(lines)
