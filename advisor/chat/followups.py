"""Two or three next questions that make sense after an answer, from what the turn talked about."""

from __future__ import annotations

from typing import Any

from advisor.knowledge import Knowledge
from advisor.knowledge.ranking import DEFAULT_WEIGHTS, FACTOR_BY_NAME
from advisor.prompts import Prompts


def suggest_followups(knowledge: Knowledge, prompts: Prompts, intent: str, recommended: list[str],
                      discussed: list[str], asked: str = "", what_if: dict[str, Any] | None = None) -> list[str]:
    """Follow-ups about the fields of this turn (recommended first), never the question just asked. After a
    what-if that moved one factor, the opposite reading comes first, so a misread is one click to fix."""
    opposite = _opposite(what_if)
    first = [prompts.render("followup_whatif_opposite", **opposite)] if opposite else []
    return list(dict.fromkeys([*first, *_about_fields(knowledge, prompts, intent, recommended, discussed, asked)]))[:3]


def _opposite(what_if: dict[str, Any] | None) -> dict[str, str] | None:
    weights = (what_if or {}).get("weights") or {}
    if (what_if or {}).get("scenario") or len(weights) != 1:
        return None
    (name, weight), = weights.items()
    if name not in FACTOR_BY_NAME or weight == DEFAULT_WEIGHTS[name]:
        return None
    return {"factor": FACTOR_BY_NAME[name].label.lower(), "way": "more" if weight < DEFAULT_WEIGHTS[name] else "less"}


def _about_fields(knowledge: Knowledge, prompts: Prompts, intent: str, recommended: list[str],
                  discussed: list[str], asked: str) -> list[str]:
    focus = recommended or discussed
    if not focus:
        first = knowledge.fields[0]
        return [prompts.render("followup_career", name=first.name.lower()),
                prompts.render("followup_whatif_evals")]
    names = [knowledge.field(f).name for f in focus[:2]]
    out = []
    if intent == "career" and recommended:  # after the picks, the next things people ask: the work, a plan
        out += [prompts.render("followup_details", name=names[0]), prompts.render("followup_plan")]
    elif intent in ("plan", "decision", "details", "compare") and recommended:
        out.append(prompts.render("followup_recap"))
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
