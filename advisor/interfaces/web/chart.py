"""The ranking as a chart: fields ordered by exposure to automation, each bar split by what each factor adds,
the essay's own stated position marked apart from our model's estimates, and what a what-if moved and why."""

from __future__ import annotations

from collections.abc import Mapping

from advisor.interfaces.web.escape import markdown_text, text
from advisor.knowledge import Knowledge
from advisor.knowledge.explain import Move
from advisor.knowledge.ranking import FACTOR_BY_NAME, FACTORS, Factor, Ranking

FACTOR_CLASS: dict[str, str] = {f.name: f"adv-f{i}" for i, f in enumerate(FACTORS)}


def legend() -> str:
    """What each colour is, and which factors protect a field (count the other way: their segment is longer when
    the field needs less of what they measure)."""
    def item(factor: Factor) -> str:
        way = ("" if factor.raises_exposure else
               " <span class='adv-protects'><span class='adv-long'>protects: counts the other way (longer when the "
               "field needs less of it)</span><span class='adv-short'>protects (counts the other way)</span></span>")
        return (f"<span class='adv-legend-item'><span class='adv-swatch {FACTOR_CLASS[factor.name]}'></span>"
                f"{text(factor.label)} <span class='muted'>({'the essay' if factor.source == 'essay' else 'our model'})"
                f"</span>{way}</span>")

    marks = ("<span class='adv-legend-item'><span class='adv-rank adv-rank-essay'>#1</span> position the essay "
             "states</span><span class='adv-legend-item'><span class='adv-rank adv-rank-model'>#n</span> our "
             "model's estimate (the essay's list was lost)</span>")
    return f"<div class='adv-legend'>{''.join(item(f) for f in FACTORS)}{marks}</div>"


def move_causes(baseline: Ranking, ranking: Ranking, field_id: str, top: int = 2) -> list[str]:
    """The one or two changes that moved this field, in words: a factor that now counts more or less and on which
    the field stands out from the others, a score the what-if changed, or the fields that moved past it. A
    factor's part is how much it changed the field's lead over the average field (weight × how far the field's
    value is from the average value)."""
    def means(r: Ranking, attr: str) -> dict[str, float]:
        return {c.factor: sum(getattr(g.factors[i], attr) for g in r.fields) / len(r.fields)
                for i, c in enumerate(r.fields[0].factors)}

    def lead(r: Ranking) -> dict[str, float]:
        average = means(r, "value")
        return {c.factor: c.weight * (c.value - average[c.factor]) for c in r.get(field_id).factors}

    before, after = lead(baseline), lead(ranking)
    old, new = baseline.get(field_id), ranking.get(field_id)
    rose = new.rank < old.rank  # closer to #1: more exposed
    mine_old = {c.factor: c for c in old.factors}
    own = {c.factor for c in new.factors
           if c.weight != mine_old[c.factor].weight or c.score != mine_old[c.factor].score}
    parts = {f: after[f] - before[f] for f in own}
    toward = sorted((f for f in parts if (parts[f] > 0) == rose and abs(parts[f]) > 1e-9), key=lambda f: -abs(parts[f]))
    typical = means(ranking, "score")
    causes = []
    for name in [f for f in toward if abs(parts[f]) >= 0.35 * abs(parts[toward[0]])][:top]:
        c, was, factor = next(c for c in new.factors if c.factor == name), mine_old[name], FACTOR_BY_NAME[name]
        if c.score != was.score:
            causes.append(f"the what-if changes its {factor.label} from {was.score}/5 to {c.score}/5")
            continue
        high = c.score > typical[name]
        stands = (("it scores higher than most on it" if high else "it scores lower than most on it")
                  if factor.raises_exposure else
                  ("it needs more of it than most" if high else "it needs less of it than most"))
        causes.append(f"{factor.label} counts {'more' if c.weight > was.weight else 'less'} now and {stands} "
                      f"({c.score}/5)")
    if causes:
        return causes
    passed = [f.name for f in ranking.fields
              if (baseline.get(f.id).rank > old.rank and f.rank < new.rank)  # overtook it
              or (baseline.get(f.id).rank < old.rank and f.rank > new.rank)]  # fell behind it
    if not passed:
        return []
    return [f"{' and '.join(passed[:2])}{' and others' if len(passed) > 2 else ''} "
            f"{'fell behind' if rose else 'moved past'} it"]


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
            f"<li><div class='adv-row{chosen}' data-field='{text(f.id)}' role='button' tabindex='0' "
            f"aria-label='{text(f.name)}, #{f.rank} of {total}, exposure {f.score:.2f}. Show why.'>"
            f"{badge}<span class='adv-name'>{text(f.name)} {note}</span>"
            f"<span class='adv-bar'>{segments}</span><span class='adv-score'>{f.score:.2f}</span>"
            f"{_move_badge(move)}</div></li>")
    head = ("<div class='adv-chart-head'><span>Most exposed to automation (likely automated first) at the "
            "top. Each bar is the exposure score, 0 to 1, split by what each factor adds. "
            "Click a field to see why.</span></div>")
    return f"<div class='adv-chart'>{head}{legend()}<ol class='adv-rows'>{''.join(rows)}</ol></div>"


def moves_markdown(knowledge: Knowledge, moves: Mapping[str, Move], changes: list[str],
                   baseline: Ranking | None = None, ranking: Ranking | None = None) -> str:
    """What the what-if changed, then each field that moved with the one or two causes that moved it, as escaped
    Markdown."""
    if not changes:
        return "Default weights, no what-if: the ranking as the field cards score it."
    moved = sorted((m for m in moves.values() if m.old_rank != m.new_rank), key=lambda m: m.new_rank)
    lines = ["**What changed:** " + markdown_text("; ".join(changes)) + "."]
    if not moved:
        lines.append("No field changed position.")
        return "\n".join(lines)
    lines.append(f"\n**What moved ({len(moved)}), and why:**\n")
    for m in moved:
        arrow = "▲ more exposed" if m.new_rank < m.old_rank else "▼ safer"
        causes = move_causes(baseline, ranking, m.field_id) if baseline and ranking else []
        why = "; ".join(causes) if causes else "other fields moved around it"
        lines.append(f"- **{markdown_text(knowledge.field(m.field_id).name)}** #{m.old_rank} → #{m.new_rank} "
                     f"({arrow}): {markdown_text(why)}.")
    return "\n".join(lines)
