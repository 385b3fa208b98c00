"""Text to safe HTML and safe Markdown: every passage, answer and user message the page shows goes through here,
so HTML, script or a `javascript:` link inside a user's document is shown as text and never runs."""

from __future__ import annotations

import html
import re
from urllib.parse import urlsplit

CITATION = re.compile(r"\[(\d{1,3})\]")
# Characters that Markdown (or the HTML inside it) could turn into markup: tags, entities, links, images,
# autolinks, raw HTML blocks. Emphasis and lists are left alone: they cannot fetch or run anything.
_MARKDOWN_ACTIVE = {"<": "&lt;", ">": "&gt;", "&": "&amp;", "[": "&#91;", "]": "&#93;", "\\": "&#92;",
                    "`": "&#96;", "$": "&#36;"}
_MD_ACTIVE_RE = re.compile("[" + re.escape("".join(_MARKDOWN_ACTIVE)) + "]")


def text(value: object) -> str:
    """Plain text as HTML (quotes escaped too, so it is safe inside attributes)."""
    return html.escape(str(value), quote=True)


def safe_url(url: str) -> str | None:
    """`url` if it is an http(s) link, else None (no `javascript:`, `data:` or file links)."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    return url.strip() if parts.scheme in ("http", "https") and parts.netloc else None


def link(label: str, url: str) -> str:
    """A link that opens outside the app if `url` is http(s); otherwise the label and the address as text."""
    target = safe_url(url)
    if target is None:
        return f"{text(label)} <span class='muted'>({text(url)})</span>"
    return f"<a href='{text(target)}' target='_blank' rel='noopener noreferrer nofollow'>{text(label)}</a>"


def markdown_text(value: str) -> str:
    """`value` for a Markdown renderer, with every character that could make a tag, link or image escaped."""
    return _MD_ACTIVE_RE.sub(lambda m: _MARKDOWN_ACTIVE[m.group(0)], value)


def source_anchor(turn: int, n: int) -> str:
    """The id of the sources-panel entry for citation `n` of answer `turn`."""
    return f"src-{turn}-{n}"


def answer_markdown(answer: str, turn: int, known: set[int] | None = None) -> str:
    """An answer for the chat: escaped, with each citation [n] turned into a link to its source in the panel.
    With `known`, only those numbers become links (the rest stay as text)."""
    out: list[str] = []
    last = 0
    for m in CITATION.finditer(answer):
        out.append(markdown_text(answer[last:m.start()]))
        n = int(m.group(1))
        if known is None or n in known:
            out.append(f"<a class='cite' href='#{source_anchor(turn, n)}' data-cite='{source_anchor(turn, n)}' "
                       f"title='Show source {n}'>[{n}]</a>")
        else:
            out.append(f"&#91;{n}&#93;")
        last = m.end()
    out.append(markdown_text(answer[last:]))
    return "".join(out)
