""""What others say": the view matrix as a dot matrix of fields by sources for the ranking tab. Each row opens (a
plain `<details>`, no script) onto what every source says of that field, the passage it rests on and how sure the
reading is; the style travels with the HTML and the layout holds at phone width."""

from __future__ import annotations

from advisor.interfaces.web.escape import link, text
from advisor.knowledge.views import FieldViews, ViewCell, ViewMatrix

AGREEMENT_WORDS = {"agrees": "agrees with our model", "disagrees": "disagrees with our model",
                   "no-order": "no position on sooner or later", "silent": "silent"}

CSS = """
.adv-vm{font-size:.9rem}
.adv-vm b,.adv-vm-cols{font-family:system-ui,ui-sans-serif,sans-serif}
.adv-vm-head{margin:.2rem 0 .4rem;color:var(--body-text-color-subdued)}
.adv-vm-legend{display:flex;flex-wrap:wrap;gap:.25rem .9rem;font-size:.78rem;margin:.2rem 0 .5rem;align-items:center}
.adv-vm-legend span{display:inline-flex;align-items:center;gap:.3rem}
.adv-vm-grid{display:grid;grid-template-columns:minmax(0,1fr) repeat(var(--adv-vm-n),3.4rem) 3.2rem;
  align-items:center;column-gap:.15rem}
.adv-vm-cols{font-size:.72rem;font-weight:600;color:var(--body-text-color-subdued);padding:0 .3rem .2rem;
  border-bottom:1px solid var(--border-color-primary)}
.adv-vm-cols>span{text-align:center;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
.adv-vm-cols>span:first-child{text-align:left}
.adv-vm-row{border-bottom:1px solid var(--border-color-primary)}
.adv-vm-row>summary{display:block;list-style:none;cursor:pointer;padding:.3rem .3rem;border-radius:.35rem}
.adv-vm-row>summary::-webkit-details-marker{display:none}
.adv-vm-row>summary:hover,.adv-vm-row>summary:focus{background:var(--background-fill-secondary);outline:none}
.adv-vm-row[open]>summary{background:var(--color-accent-soft)}
.adv-vm-name{line-height:1.2;overflow-wrap:anywhere}
.adv-vm-name small{display:block;font-size:.72rem;color:var(--body-text-color-subdued)}
.adv-vm-cell{display:flex;justify-content:center}
.adv-vm-dot{display:inline-block;width:.95rem;height:.95rem;border-radius:50%;box-sizing:border-box}
.adv-vm-more{background:#b91c1c}
.adv-vm-less{background:#047857}
.adv-vm-no-order{background:#fff;border:3px solid #6b7280}
.adv-vm-silent{width:.35rem;height:.35rem;background:#d1d5db}
.adv-vm-dot.adv-vm-inferred{background:#fff;border:3px dashed #6b7280}
.adv-vm-dot.adv-vm-more.adv-vm-inferred{border-color:#b91c1c}
.adv-vm-dot.adv-vm-less.adv-vm-inferred{border-color:#047857}
.adv-vm-count{text-align:right;font-variant-numeric:tabular-nums;font-size:.8rem;white-space:nowrap}
.adv-vm-count .a{color:#047857;font-weight:700}
.adv-vm-count .d{color:#b91c1c;font-weight:700}
.adv-vm-says{list-style:none !important;margin:.2rem 0 .5rem !important;padding:0 .3rem !important}
.adv-vm-says>li{list-style:none !important;margin:.35rem 0 !important;padding:.3rem .5rem;
  border-left:3px solid var(--border-color-primary)}
.adv-vm-says>li.adv-vm-li-more{border-left-color:#b91c1c}
.adv-vm-says>li.adv-vm-li-less{border-left-color:#047857}
.adv-vm-says>li.adv-vm-li-no-order{border-left-color:#6b7280}
.adv-vm-says blockquote{margin:.3rem 0;padding:.15rem .5rem;font-size:.85rem;border-left:2px solid #111827;
  overflow-wrap:anywhere}
.adv-vm-says footer,.adv-vm-meta{font-size:.76rem;color:var(--body-text-color-subdued);overflow-wrap:anywhere}
.adv-vm-silents{font-size:.8rem;color:var(--body-text-color-subdued)}
.adv-vm-foot{font-size:.8rem;margin-top:.5rem}
.adv-vm-foot ul{margin:.2rem 0 0 1rem;padding:0}
@media (max-width: 640px){
  .adv-vm-grid{grid-template-columns:minmax(0,1fr) repeat(var(--adv-vm-n),1.6rem) 2.2rem;column-gap:.1rem}
  .adv-vm-cols{font-size:.6rem}
  .adv-vm-row>summary{padding:.3rem .1rem}
  .adv-vm-says{padding:0 !important}
  .adv-vm-says blockquote{margin:.3rem 0 .3rem -.2rem}
}
"""


def _dot(cell: ViewCell, source_short: str) -> str:
    sure = f", {cell.confidence}" if cell.confidence else ""
    label = f"{source_short}: {cell.stance_words}{sure}"
    inferred = " adv-vm-inferred" if cell.confidence == "inferred" else ""
    return (f"<span class='adv-vm-cell' title='{text(label)}'><span class='adv-vm-dot adv-vm-{cell.stance}{inferred}' "
            f"role='img' aria-label='{text(label)}'></span></span>")


def _cell_item(cell: ViewCell, source_label: str) -> str:
    quotes = "".join(
        f"<blockquote>{text(q.text)}<footer>{text(q.passage_id)} · {text(q.where)}</footer></blockquote>"
        for q in cell.quotes)
    timing = f"<div class='adv-vm-meta'><b>When:</b> {text(cell.timing)}</div>" if cell.timing else ""
    return (f"<li class='adv-vm-li-{cell.stance}' data-source='{text(cell.source_id)}'>"
            f"<b>{text(source_label)}</b> <span class='adv-vm-meta'>{text(cell.stance_words)} · "
            f"{text(cell.confidence or '')}{' · ' if cell.confidence else ''}{text(AGREEMENT_WORDS[cell.agreement])}"
            f"</span><div>{text(cell.says)}</div>{quotes}{timing}"
            f"<div class='adv-vm-meta'>{link('Open the source', cell.page)}</div></li>")


def _row(row: FieldViews, matrix: ViewMatrix) -> str:
    labels = {s.id: s.label for s in matrix.sources}
    shorts = {s.id: s.short for s in matrix.sources}
    where = "safer half" if row.in_safer_half else "more exposed"
    dots = "".join(_dot(c, shorts[c.source_id]) for c in row.cells)
    count = (f"<span class='adv-vm-count' title='{row.agree} agree, {row.disagree} disagree, {row.no_order} no "
             f"order, {row.silent} silent'><span class='a'>{row.agree}</span>/<span class='d'>{row.disagree}</span>"
             "</span>")
    speaking = "".join(_cell_item(c, labels[c.source_id]) for c in row.speaking)
    silent = [labels[c.source_id] for c in row.cells if c.stance == "silent"]
    silents = (f"<li class='adv-vm-silents'>Silent on it: {text('; '.join(silent))}.</li>" if silent else "")
    return (f"<details class='adv-vm-row' data-field='{text(row.field_id)}'><summary><div class='adv-vm-grid'>"
            f"<span class='adv-vm-name'>{text(row.name)}<small>our model: #{row.rank} of {row.total} · {where}"
            f"</small></span>{dots}{count}</div></summary><ul class='adv-vm-says'>{speaking}{silents}</ul></details>")


def views_html(matrix: ViewMatrix) -> str:
    """The whole matrix: legend, column heads, one row per field (most exposed first), sources and timing."""
    n = len(matrix.sources)
    heads = "".join(f"<span title='{text(s.label)}'>{text(s.short)}</span>" for s in matrix.sources)
    legend = ("<div class='adv-vm-legend'>"
              "<span><span class='adv-vm-dot adv-vm-more'></span>more automatable</span>"
              "<span><span class='adv-vm-dot adv-vm-less'></span>less automatable</span>"
              "<span><span class='adv-vm-dot adv-vm-no-order'></span>speaks of it, no order</span>"
              "<span><span class='adv-vm-dot adv-vm-silent'></span>silent</span>"
              "<span><span class='adv-vm-dot adv-vm-more adv-vm-inferred'></span>dashed: our reading, not stated"
              "</span><span><b style='color:#047857'>2</b>/<b style='color:#b91c1c'>1</b>: sources agreeing / "
              "disagreeing with our model</span></div>")
    sources = "".join(f"<li><b>{text(s.short)}</b>: {link(s.label, s.url)}"
                      f"{' · when: ' + text(s.timing) if s.timing else ''}</li>" for s in matrix.sources)
    return (f"<style>{CSS}</style><div class='adv-vm' style='--adv-vm-n:{n}'>"
            "<p class='adv-vm-head'>What public sources say about each field, beside where our model puts it. "
            "Open a row to read what each source says and the passage it rests on.</p>"
            f"{legend}<div class='adv-vm-grid adv-vm-cols'><span>Field</span>{heads}<span>+/−</span></div>"
            + "".join(_row(row, matrix) for row in matrix.fields)
            + f"<div class='adv-vm-foot'><b>Sources</b><ul>{sources}</ul></div></div>")
