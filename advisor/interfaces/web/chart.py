"""The ranking as a chart: fields ordered by exposure to automation, each bar split by what each factor adds,
the essay's own stated position marked apart from our model's estimates, and what a what-if moved and why."""

from __future__ import annotations

from collections.abc import Mapping

from advisor.interfaces.web.escape import markdown_text, text
from advisor.knowledge import Knowledge
from advisor.knowledge.explain import Move
from advisor.knowledge.ranking import FACTORS, Ranking

FACTOR_CLASS: dict[str, str] = {f.name: f"adv-f{i}" for i, f in enumerate(FACTORS)}


def legend() -> str:
    items = "".join(
        f"<span class='adv-legend-item'><span class='adv-swatch {FACTOR_CLASS[f.name]}'></span>{text(f.label)} "
        f"<span class='muted'>({'the essay' if f.source == 'essay' else 'our model'})</span></span>"
        for f in FACTORS)
    marks = ("<span class='adv-legend-item'><span class='adv-rank adv-rank-essay'>#1</span> position the essay "
             "states</span><span class='adv-legend-item'><span class='adv-rank adv-rank-model'>#n</span> our "
             "model's estimate (the essay's list was lost)</span>")
    return f"<div class='adv-legend'>{items}{marks}</div>"


def _move_badge(move: Move | None) -> str:
    if move is None or move.old_rank == move.new_rank:
        return "<span class='adv-move'></span>"
    up = move.new_rank < move.old_rank  # closer to #1 = more exposed
    arrow, cls = ("▲", "adv-up") if up else ("▼", "adv-down")
    return (f"<span class='adv-move {cls}' title='{text(move.sentence)}'>{arrow} was #{move.old_rank}</span>")


def chart_html(knowledge: Knowledge, ranking: Ranking, moves: Mapping[str, Move] | None = None,
               selected: str | None = None) -> str:
    """The whole chart; rows carry `data-field` so a click can ask for that field's explanation."""
    rows = []
    total = len(ranking.fields)
    for f in ranking.fields:
        essay_rank = knowledge.essay_rank(f.id)
        if essay_rank is not None and essay_rank == f.rank:
            badge = (f"<span class='adv-rank adv-rank-essay' title='The essay itself ranks it #{essay_rank}'>"
                     f"#{f.rank}</span>")
            note = "<span class='adv-tag adv-tag-essay'>essay's #1</span>" if essay_rank == 1 else \
                f"<span class='adv-tag adv-tag-essay'>essay's #{essay_rank}</span>"
        else:
            badge = (f"<span class='adv-rank adv-rank-model' title=\"Our model's estimate, not the essay's\">"
                     f"#{f.rank}</span>")
            note = (f"<span class='adv-tag adv-tag-essay'>essay says #{essay_rank}</span>"
                    if essay_rank is not None else "")
        segments = "".join(
            f"<span class='adv-seg {FACTOR_CLASS[c.factor]}' style='width:{100 * c.contribution:.2f}%' "
            f"title='{text(c.label)}: {c.score}/5, weight {c.weight:g}, adds {c.contribution:.2f}'></span>"
            for c in f.factors)
        move = (moves or {}).get(f.id)
        chosen = " adv-selected" if f.id == selected else ""
        rows.append(
            f"<li class='adv-row{chosen}' data-field='{text(f.id)}' role='button' tabindex='0' "
            f"aria-label='{text(f.name)}, #{f.rank} of {total}, exposure {f.score:.2f}. Show why.'>"
            f"{badge}<span class='adv-name'>{text(f.name)} {note}</span>"
            f"<span class='adv-bar'>{segments}</span><span class='adv-score'>{f.score:.2f}</span>"
            f"{_move_badge(move)}</li>")
    head = ("<div class='adv-chart-head'><span>Most exposed to automation (likely automated first) at the "
            "top. Each bar is the exposure score, 0 to 1, split by what each factor adds. "
            "Click a field to see why.</span></div>")
    return f"<div class='adv-chart'>{head}{legend()}<ol class='adv-rows'>{''.join(rows)}</ol></div>"


def moves_markdown(knowledge: Knowledge, moves: Mapping[str, Move], changes: list[str]) -> str:
    """What the what-if changed, what moved and why, as escaped Markdown."""
    if not changes:
        return "Default weights, no what-if: the ranking as the field cards score it."
    moved = sorted((m for m in moves.values() if m.old_rank != m.new_rank), key=lambda m: m.new_rank)
    lines = ["**What changed:** " + markdown_text("; ".join(changes)) + "."]
    if not moved:
        lines.append("No field changed position.")
    else:
        lines.append(f"\n**What moved ({len(moved)}):**\n")
        lines += [f"- **{markdown_text(knowledge.field(m.field_id).name)}** {markdown_text(m.sentence)}" for m in moved]
    return "\n".join(lines)
