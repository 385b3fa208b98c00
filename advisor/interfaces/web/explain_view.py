"""One field's explanation as a panel: its position and who states it, each factor's score, weight and share,
the essay's own words, other assessments that agree or disagree, caveats, and what a what-if did to it."""

from __future__ import annotations

from advisor.interfaces.web.chart import FACTOR_CLASS
from advisor.interfaces.web.escape import link, text
from advisor.knowledge.explain import Explanation

TAG = {True: ("adv-tag-agree", "agrees"), False: ("adv-tag-disagree", "disagrees"),
       None: ("adv-tag-neutral", "no position on sooner or later")}


def explanation_html(e: Explanation) -> str:
    if e.source_of_rank == "essay" and e.essay_rank == e.rank:
        who = f"<span class='adv-tag adv-tag-essay'>the essay states #{e.essay_rank}</span>"
    elif e.essay_rank is not None:
        who = (f"<span class='adv-tag adv-tag-model'>our model's estimate</span> "
               f"<span class='adv-tag adv-tag-essay'>the essay states #{e.essay_rank}</span>")
    else:
        who = "<span class='adv-tag adv-tag-model'>our model's estimate, not the essay's</span>"
    half = "in the more exposed half" if not e.in_safer_half else "in the safer half"
    parts = [f"<h3>{text(e.name)}</h3>",
             f"<p class='adv-pos'><b>#{e.rank} of {e.total}</b> by exposure to automation ({half}; score "
             f"{e.score:.2f}) {who}</p>"]
    if e.what_if is not None:
        parts.append(f"<p class='adv-whatif'>Under your what-if it {text(e.what_if.sentence)}</p>")
    for f in e.factors:
        changed = f" <span class='muted'>(card: {f.changed_from})</span>" if f.changed_from is not None else ""
        parts.append(
            f"<div class='adv-factor'><div class='adv-factor-head'><span class='adv-swatch {FACTOR_CLASS[f.factor]}'>"
            f"</span><b>{text(f.label)}</b> <span class='muted'>({'the essay' if f.source == 'essay' else 'our model'}"
            f")</span><span class='adv-factor-nums'>score {f.score}/5{changed} · weight {f.weight:g} · adds "
            f"{f.contribution:.2f}</span></div><p>{text(f.rationale)}</p></div>")
    parts.append(f"<h4>What the essay says</h4><p>{text(e.essay_says)}</p>")
    for ev in e.essay_evidence:
        parts.append(f"<blockquote>{text(ev.text)}<footer>{text(ev.passage_id)}, {text(ev.provenance)}"
                     "</footer></blockquote>")
    if e.other_views:
        items = "".join(
            f"<li><span class='adv-tag {TAG[v.agrees_with_model][0]}'>"
            f"{TAG[v.agrees_with_model][1]}</span> {text(v.claim)} "
            f"<span class='muted'>— {text(v.source)},</span> {link(v.title, v.url)}</li>"
            for v in e.other_views)
        parts.append(f"<h4>Other assessments</h4><ul class='adv-views'>{items}</ul>")
    parts.append("<h4>Caveats</h4><ul>" + "".join(f"<li>{text(c)}</li>" for c in e.caveats) + "</ul>")
    return "<div class='adv-explain'>" + "".join(parts) + "</div>"
