"""Two or three next questions that make sense after an answer, from what the turn talked about."""

from __future__ import annotations

from advisor.knowledge import Knowledge
from advisor.prompts import Prompts


def suggest_followups(knowledge: Knowledge, prompts: Prompts, intent: str, recommended: list[str],
                      discussed: list[str], asked: str = "") -> list[str]:
    """Follow-ups about the fields of this turn (recommended first), never the question just asked."""
    focus = recommended or discussed
    if not focus:
        first = knowledge.fields[0]
        return [prompts.render("followup_career", name=first.name.lower()),
                prompts.render("followup_whatif_evals")]
    names = [knowledge.field(f).name for f in focus[:2]]
    out = []
    if intent != "why_rank" or len(focus) > 1:
        out.append(prompts.render("followup_why", name=names[0]))
    if intent != "readings":
        out.append(prompts.render("followup_read", name=names[0]))
    if len(names) > 1 and intent != "compare":
        out.append(prompts.render("followup_compare", a=names[0], b=names[1]))
    if intent != "what_if":
        out.append(prompts.render("followup_whatif_evals"))
    if intent not in ("career", "why_fit"):
        out.append(prompts.render("followup_career", name=names[0].lower()))
    said = asked.strip().lower().rstrip("?")
    return [q for q in dict.fromkeys(out) if q.lower().rstrip("?") != said][:3]
