"""The sources panel: every numbered citation of the conversation, grouped by answer, each showing the passage
it quotes and where it comes from (essay post or comment and line, field card section, reading, document)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from advisor.interfaces.web.escape import link, source_anchor, text

KIND_LABELS = {
    "essay": "the essay",
    "field": "field card",
    "reading": "reading",
    "assessment": "other assessment",
    "user": "your document",
}
EMPTY = ("<div class='adv-sources-empty'>Sources appear here. Each answer cites them as [1], [2]…; "
         "click a number to open the passage it quotes.</div>")


def _where(citation: Mapping[str, Any]) -> str:
    """Where a passage comes from, as a person can follow it: a link to the original, or what it is (one of the
    advisor's own field cards, one of the person's documents by its file name), never a path on the machine."""
    source = str(citation.get("source", ""))
    kind = str(citation.get("kind", ""))
    if source.startswith(("http://", "https://")):
        return link("open the original", source)
    if kind == "field":
        return "<span class='muted'>from the advisor's own field card (see the ranking tab)</span>"
    if kind == "user":
        name = source.replace("\\", "/").rsplit("/", 1)[-1]
        return f"<span class='muted'>from your document {text(name)}</span>"
    return ""


def source_entry(turn: int, citation: Mapping[str, Any], open_: bool = False, anchor: str | None = None) -> str:
    n = int(citation["n"])
    kind = str(citation.get("kind", ""))
    quote = text(citation.get("text", ""))
    return (
        f"<details class='adv-source' id='{anchor or source_anchor(turn, n)}' data-kind='{text(kind)}'"
        f"{' open' if open_ else ''}>"
        f"<summary><span class='adv-num'>[{n}]</span> <span class='adv-title'>{text(citation.get('title', ''))}"
        f"</span> <span class='adv-kind'>{text(KIND_LABELS.get(kind, kind))}</span></summary>"
        f"<blockquote>{quote}</blockquote><div class='adv-where'>{_where(citation)}</div></details>"
    )


def sources_html(turns: Mapping[int, Sequence[Mapping[str, Any]]]) -> str:
    """All answers' sources, newest answer first; older answers' sources folded away."""
    if not any(turns.values()):
        return EMPTY
    parts = []
    newest = max(t for t, cites in turns.items() if cites)
    for turn in sorted(turns, reverse=True):
        cites = turns[turn]
        if not cites:
            continue
        entries = "".join(source_entry(turn, c) for c in sorted(cites, key=lambda c: int(c["n"])))
        label = f"Sources of answer {turn}" + (" (latest)" if turn == newest else "")
        parts.append(f"<details class='adv-turn' data-turn='{turn}'{' open' if turn == newest else ''}>"
                     f"<summary>{text(label)}</summary>{entries}</details>")
    return "<div class='adv-sources'>" + "".join(parts) + "</div>"


def search_html(query: str, hits: Sequence[Mapping[str, Any]]) -> str:
    """Search results, each opened to show the passage found."""
    if not hits:
        return f"<p class='muted'>Nothing found for “{text(query)}”.</p>"
    entries = "".join(source_entry(0, {**h, "n": i}, open_=i == 1, anchor=f"hit-{i}") for i, h in enumerate(hits, 1))
    return f"<div class='adv-sources adv-search'>{entries}</div>"
