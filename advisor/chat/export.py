"""Showing stored text safely: without terminal control sequences, and as Markdown that cannot be turned
into anything but text.

What a session holds was typed by a person or written by a model that read other people's documents, so it
may carry escape sequences (a screen clear, a clipboard write through OSC 52), HTML, `javascript:` links, or
lines that imitate the export's own structure (a forged "Advisor" turn, a "Your plan" heading). `printable`
removes control sequences for a terminal; `render_export` quotes every message and escapes it, so that only
the export's own headings and labels are structure.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable

from advisor.knowledge.profile import Profile
from advisor.storage.owners import LOCAL
from advisor.storage.store import Message, Store, reading_order

# ANSI/VT sequences: CSI (ESC [ or the one-byte CSI) ... final byte; OSC, DCS, SOS, PM, APC strings up to BEL or
# ST; other two-byte escapes.
_SEQUENCES = re.compile(
    r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]"
    r"|(?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f])[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?"
    r"|\x1b[ -/]*[0-~]?"
)
# other C0 and C1 controls, DEL, and the bidirectional overrides that make text read other than it is
_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]")


def printable(text: str) -> str:
    """`text` without terminal control sequences or control characters; line breaks and tabs are kept (a lone
    carriage return, which would overwrite the line, becomes a line break)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROLS.sub("", _SEQUENCES.sub("", text))


def one_line(text: str) -> str:
    """Printable, on one line."""
    return re.sub(r"\s+", " ", printable(text)).strip()


_MD_SPECIAL = re.compile(r"([\\`*_\[\]{}!|~])")
_CITATION = re.compile(r"\\\[(\d{1,3})\\\](?![(\[:])")


def markdown_text(text: str) -> str:
    """Untrusted text as Markdown that renders as exactly this text: no HTML, links, emphasis, headings,
    lists of its own making or code; citation numbers such as [3] stay readable."""
    lines = []
    for line in printable(text).split("\n"):
        line = html.escape(line, quote=False)
        line = _MD_SPECIAL.sub(r"\\\1", line)
        line = _CITATION.sub(r"[\1]", line)
        # a line that would start a heading, a list, a quote, a thematic break or a setext underline
        line = re.sub(r"^(\s*)([#+=-]|\d+[.)])", r"\1\\\2", line)
        lines.append(line)
    return "\n".join(lines)


def quoted(text: str) -> str:
    """Escaped text as a Markdown block quote, line by line."""
    return "\n".join(f"> {line}".rstrip() for line in markdown_text(text).split("\n"))


_UNSAFE_LINK = re.compile(r"\]\(\s*<?\s*(?!https?://|mailto:|#)", re.IGNORECASE)
_SCHEMES = re.compile(r"(?i)\b(javascript|vbscript|data|file)(\s*):")


def plan_text(markdown: str) -> str:
    """The advisor's own Markdown (the plan, written from the knowledge base around the profile's words) with
    raw HTML escaped, only http(s) and mailto links left as links, and no headings or quotes of its own."""
    out = []
    for line in printable(markdown).split("\n"):
        line = html.escape(line, quote=False)
        line = _UNSAFE_LINK.sub(r"]\\(", line)
        line = _SCHEMES.sub(r"\1\2&#58;", line)
        line = re.sub(r"^(\s*)(#|&gt;|=+\s*$|-{3,}\s*$)", r"\1\\\2", line)
        out.append(line)
    return "\n".join(out)


def safe_profile(profile: Profile) -> Profile:
    """The profile with its free text printable and on one line each, for documents made from it."""
    data = profile.model_dump()
    for key in ("skills", "background", "goals", "lacks", "about", "interests", "dislikes", "readings_done"):
        data[key] = [one_line(v) for v in data.get(key, [])]
    if data["constraints"].get("location"):
        data["constraints"]["location"] = one_line(data["constraints"]["location"])
    return Profile.model_validate(data)


def render_export(name: str, profile: Profile, messages: list[Message], plan_markdown: str) -> str:
    """The conversation (each question followed by its answers), then the personal plan, as Markdown in which
    every stored text is quoted and escaped."""
    lines = [f"# Advisor session: {markdown_text(one_line(name))}", "",
             f"Profile: {markdown_text(one_line(profile.describe()))}", "", "## Conversation", ""]
    for m in reading_order(messages):
        when = markdown_text(one_line(m.created))
        if m.role == "user":
            lines += [f"**You** ({when}):", ""]
        else:
            backend = markdown_text(one_line(str(m.meta.get("backend", "unknown"))))
            lines += [f"**Advisor ({backend})** ({when}):", ""]
        lines += [quoted(m.content), ""]
        citations = [c for c in m.meta.get("citations", []) if isinstance(c, dict)]
        for c in citations:
            parts = (one_line(str(c.get(k, ""))) for k in ("n", "title", "source"))
            n, title, source = (markdown_text(p) for p in parts)
            lines.append(f"> \\[{n}\\] {title} — {source}")
        if citations:
            lines.append("")
    return "\n".join([*lines, "## Your plan", "", plan_text(plan_markdown), ""])


def export_session(store: Store, name: str, plan_for: Callable[[Profile], str], owner: str = LOCAL) -> str:
    """One of `owner`'s sessions exported (see `render_export`), its plan made by `plan_for` from the session's
    profile (its text made safe first). Made on request from the store; nothing is written anywhere."""
    name = store.require(name, owner=owner)
    profile = store.profile(name, owner=owner)
    return render_export(name, profile, store.messages(name, owner=owner), plan_for(safe_profile(profile)))
