"""The page's look and its two small scripts. The style sheet travels inside the page header (a `<style>` in a
`gr.HTML`), so it applies however the Blocks are served (launched, or mounted in the HTTP API's app); nothing
is fetched from outside the machine."""

from __future__ import annotations

CSS = """
:root{--adv-warn-text:#8a3b00}
.adv-note{background:#fff8e6;border:1px solid #e9c46a;color:#4a3500;padding:.45rem .7rem;border-radius:.5rem;
  font-size:.9rem;line-height:1.4;margin:.3rem 0}
.adv-header{display:flex;flex-wrap:wrap;align-items:flex-end;justify-content:space-between;gap:.3rem 1rem;
  padding:0 0 .4rem;border-bottom:1px solid var(--border-color-primary)}
.adv-header h1{margin:0;font-size:1.4rem;line-height:1.2;font-weight:700;color:var(--body-text-color);
  font-family:system-ui,ui-sans-serif,sans-serif}
.adv-header p{margin:.15rem 0 0;color:var(--body-text-color-subdued);max-width:52rem;font-size:.9rem}
.adv-badges{display:flex;flex-wrap:wrap;gap:.4rem}
.adv-badge{font-size:.8rem;padding:.15rem .55rem;border-radius:999px;border:1px solid var(--border-color-primary);
  background:var(--background-fill-secondary);color:var(--body-text-color);white-space:nowrap}
.muted{color:var(--body-text-color-subdued)}
/* Gradio's bundled semibold face holds only a few glyphs; bold text in our panels uses one system face */
.adv-explain :is(h3,h4,b),.adv-plan b,.adv-readings b,.adv-rank,.adv-num,.adv-sources summary,
.adv-factor-head b{font-family:system-ui,ui-sans-serif,sans-serif}
#adv-status{font-size:.85rem;color:var(--body-text-color-subdued);min-height:1.2rem}
/* a failed event says why in the tab's note; Gradio's red "Error" overlay would hide the content it left as it was */
[data-testid=status-tracker]:has(.error){display:none !important}
/* a page for people: no "Use via API · Settings" footer, however the page is served */
footer[aria-label="Gradio footer navigation"]{display:none !important}
/* one conversation per tab: "New conversation" starts another, so no clear (trash) icon over the chat */
#adv-chat button[aria-label="Clear"]{display:none}
#adv-count{margin:0;font-size:.8rem;color:var(--body-text-color-subdued)}
#adv-count.adv-over{color:var(--adv-warn-text);font-weight:600}
#adv-compose{gap:.25rem}
#adv-compose-row{gap:.5rem;align-items:stretch}
#adv-count-box:has(#adv-count[hidden]):has(#adv-restored[hidden]){display:none}
.adv-code-line{font-size:.85rem;color:var(--body-text-color);display:flex;flex-wrap:wrap;align-items:center;
  gap:.2rem .45rem}
.adv-code-line code{font-size:.8rem;overflow-wrap:anywhere;background:var(--background-fill-secondary);padding:0 .3rem;
  border-radius:.3rem}
.adv-copy{font-size:.8rem;padding:.05rem .6rem;border-radius:.4rem;border:1px solid var(--border-color-primary);
  background:var(--button-secondary-background-fill);color:var(--button-secondary-text-color);cursor:pointer}
#adv-compose textarea{font-size:1rem}
#adv-chat .placeholder-content h3,#adv-chat .placeholder h3{margin:.2rem 0 .4rem;font-size:1.15rem}
#adv-status p{margin:0}
#adv-followups button{font-size:.85rem;text-align:left;white-space:normal;height:auto;min-height:2.2rem}
#adv-chat a.cite,a.cite{display:inline-block;text-decoration:none;font-size:.78em;font-weight:600;
  padding:0 .25em;margin:0 .05em;border-radius:.35em;background:#dbeafe;
  color:#1e3a8a;vertical-align:super;
  line-height:1.2;cursor:pointer}
#adv-chat a.cite:hover,#adv-chat a.cite:focus{background:#1e3a8a;color:#fff}
.adv-sources details.adv-turn>summary{font-weight:600;cursor:pointer;margin:.2rem 0}
.adv-sources-empty{color:var(--body-text-color-subdued);font-size:.9rem;padding:.5rem 0}
.adv-source{border:1px solid var(--border-color-primary);border-radius:.5rem;margin:.35rem 0;padding:.35rem .6rem;
  background:var(--background-fill-primary)}
.adv-source>summary{cursor:pointer;font-size:.9rem}
.adv-source blockquote{margin:.4rem 0;padding:.2rem .6rem;border-left:3px solid var(--color-accent);
  font-size:.9rem;white-space:pre-wrap;overflow-wrap:anywhere}
.adv-num{font-weight:700;color:var(--color-accent)}
.adv-kind{font-size:.75rem;padding:0 .4rem;border-radius:999px;background:var(--background-fill-secondary);
  color:var(--body-text-color-subdued)}
.adv-where{font-size:.8rem;overflow-wrap:anywhere}
@keyframes adv-flash{from{box-shadow:0 0 0 3px var(--color-accent)}to{box-shadow:0 0 0 0 transparent}}
.adv-flash{animation:adv-flash 1.6s ease-out}
.adv-chart-head{font-size:.9rem;color:var(--body-text-color-subdued);margin-bottom:.3rem}
.adv-legend{display:flex;flex-wrap:wrap;gap:.3rem .9rem;font-size:.8rem;margin-bottom:.5rem;align-items:center}
.adv-legend-item{display:inline-flex;align-items:center;gap:.3rem}
.adv-swatch{display:inline-block;width:.9rem;height:.9rem;border-radius:.2rem}
.adv-f0{background:#2563eb}
.adv-f1{background:#0f9d8a}
.adv-f2{background:repeating-linear-gradient(135deg,#9d5cf0 0 4px,#c4a3f7 4px 7px)}
.adv-f3{background:repeating-linear-gradient(135deg,#d98a06 0 4px,#f3c46b 4px 7px)}
ol.adv-rows{list-style:none;margin:0 !important;padding:0 !important}
.adv-rows>li{margin:0 !important;padding:0 !important;list-style:none !important}
.adv-rows>li::marker{content:none}
.adv-row{display:grid;grid-template-columns:3rem minmax(9rem,15rem) 1fr 2.6rem 5.4rem;align-items:center;gap:.5rem;
  padding:.28rem .3rem;border-radius:.4rem;cursor:pointer;margin:0}
.adv-row:hover,.adv-row:focus{background:var(--background-fill-secondary);outline:none}
.adv-row.adv-selected{background:var(--color-accent-soft)}
.adv-rank{display:inline-block;min-width:2.3rem;text-align:center;font-weight:700;font-size:.85rem;
  border-radius:.35rem;padding:.1rem .2rem}
.adv-rank.adv-rank-essay{background:#111827;color:#fff !important;border:2px solid #111827}
.adv-rank-model{border:2px dashed var(--body-text-color-subdued);color:var(--body-text-color)}
.adv-name{font-size:.9rem;line-height:1.2;color:var(--body-text-color)}
.adv-bar{display:flex;height:1.1rem;background:var(--background-fill-secondary);border-radius:.25rem;overflow:hidden}
.adv-seg{display:block;height:100%}
.adv-score{font-variant-numeric:tabular-nums;font-size:.85rem;text-align:right}
.adv-move{font-size:.78rem;white-space:nowrap}
.adv-up{color:#b91c1c}
.adv-down{color:#047857}
.adv-tag{display:inline-block;font-size:.72rem;padding:0 .4rem;border-radius:999px;margin-left:.2rem;
  vertical-align:middle;white-space:nowrap}
.adv-tag.adv-tag-essay{background:#111827;color:#fff !important}
.adv-tag-model{border:1px dashed var(--body-text-color-subdued)}
.adv-tag-agree{background:#d1fae5;color:#065f46}
.adv-tag-disagree{background:#fee2e2;color:#991b1b}
.adv-explain h3{margin:.2rem 0}
.adv-explain blockquote{margin:.4rem 0;padding:.2rem .6rem;border-left:3px solid #111827;font-size:.9rem}
.adv-explain blockquote footer{font-size:.78rem;color:var(--body-text-color-subdued)}
.adv-factor{border-top:1px solid var(--border-color-primary);padding:.35rem 0}
.adv-factor-head{display:flex;flex-wrap:wrap;align-items:center;gap:.2rem .6rem;font-size:.88rem}
.adv-factor-head .adv-swatch{flex:none}
.adv-factor-nums{margin-left:auto;font-variant-numeric:tabular-nums;color:var(--body-text-color-subdued);font-size:.8rem}
.adv-factor p{margin:.15rem 0 0;font-size:.85rem}
.adv-whatif{background:var(--color-accent-soft);padding:.3rem .5rem;border-radius:.4rem}
.adv-recs{padding-left:0 !important;list-style:none !important}
.adv-recs>li.adv-rec{margin-left:0 !important}
.adv-rec{border:1px solid var(--border-color-primary);border-radius:.5rem;padding:.5rem .7rem;margin:.4rem 0}
.adv-rec ul{margin:.3rem 0 0 1rem;font-size:.88rem}
.adv-readings ul{padding-left:1rem;font-size:.9rem}
.adv-done{opacity:.7}
.adv-explain{scroll-margin-top:1rem}
.adv-short{display:none}
.adv-protects{font-size:.75rem;color:var(--body-text-color-subdued);font-style:italic}
@media (max-width: 640px){
  /* the ranking on a phone: the chart stays at the top of the screen while the sliders below it move */
  .gradio-container{overflow:clip !important}  /* hidden would make it the sticky chart's scroller */
  #adv-rank-row{display:flex;flex-direction:column}
  #adv-chart .adv-chart-head{display:none}
  #adv-chart .adv-legend{font-size:.7rem;gap:.1rem .6rem;margin-bottom:.2rem;display:block}
  #adv-chart .adv-legend-item{display:inline;margin-right:.5rem}
  #adv-chart .adv-legend .muted,#adv-chart .adv-long{display:none}
  #adv-chart .adv-short{display:inline}
  #adv-chart-col,#adv-whatif-col{display:contents}
  #adv-chart{position:sticky !important;top:0;z-index:100;max-height:42vh !important;overflow-y:auto !important;
    background:var(--background-fill-primary) !important;border-bottom:1px solid var(--border-color-primary);
    box-shadow:0 2px 6px rgba(0,0,0,.08);order:1}
  #adv-whatifs{order:2} #adv-rank-row #adv-moved{order:3} #adv-ask-change{order:4} #adv-pick{order:5}
  #adv-explanation{order:6} .adv-explain,#adv-rank-row input{scroll-margin-top:44vh}
  #adv-chart-col>:has(#adv-views){order:7}
  .adv-header h1{font-size:1.15rem}
  .adv-header p,.adv-badges{display:none}
  /* the message box stays at the bottom of the screen while the chat tab is open */
  #adv-compose{position:fixed;left:0;right:0;bottom:0;z-index:50;margin:0;padding:.5rem .6rem;
    background:var(--background-fill-primary);border-top:1px solid var(--border-color-primary);
    box-shadow:0 -2px 8px rgba(0,0,0,.08)}
  #adv-chat-row{padding-bottom:9rem}  /* the end of the page is not hidden under the message box */
  #adv-status{font-size:.78rem}
  .adv-row{grid-template-columns:2.6rem 1fr 2.4rem;grid-template-areas:"rank name score" "rank bar move";row-gap:.15rem}
  .adv-row>.adv-rank{grid-area:rank}
  .adv-row>.adv-name{grid-area:name}
  .adv-row>.adv-bar{grid-area:bar}
  .adv-row>.adv-score{grid-area:score}
  .adv-row>.adv-move{grid-area:move;font-size:.7rem}
}
"""

# Clicking a citation [n] in the chat opens and shows the passage it quotes in the sources panel. Registered
# once per page, on the document, because the chat re-renders its messages.
CITATION_JS = """
if (!window.__advisorCitations) {
  window.__advisorCitations = true;
  document.addEventListener('click', (ev) => {
    const a = ev.target && ev.target.closest ? ev.target.closest('a.cite') : null;
    if (!a) return;
    ev.preventDefault();
    ev.stopPropagation();
    const id = a.getAttribute('data-cite') || (a.getAttribute('href') || '').replace(/^#/, '');
    const el = document.getElementById(id);
    if (!el) return;
    for (let p = el; p; p = p.parentElement) { if (p.tagName === 'DETAILS') p.open = true; }
    el.scrollIntoView({behavior: 'smooth', block: 'center'});
    el.classList.remove('adv-flash'); void el.offsetWidth; el.classList.add('adv-flash');
  }, true);
}
"""

# A click (or Enter) on a chart row asks for that field's explanation.
CHART_JS = """
const pick = (row) => {
  window.__advisorExplain = Date.now();  // the explanation that comes back is scrolled into view (PAGE_JS)
  trigger('click', {field: row.getAttribute('data-field')});
};
element.addEventListener('click', (ev) => {
  const row = ev.target.closest('[data-field]');
  if (row) pick(row);
});
element.addEventListener('keydown', (ev) => {
  const row = ev.target.closest('[data-field]');
  if (row && (ev.key === 'Enter' || ev.key === ' ')) { ev.preventDefault(); pick(row); }
});
"""
