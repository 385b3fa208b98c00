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
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from advisor.knowledge.profile import Profile
from advisor.storage.owners import LOCAL
from advisor.storage.store import Message, Store, reading_order

if TYPE_CHECKING:
    from advisor.knowledge import Knowledge

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


# --- the plan as a document for a person (the web app's "Download my plan") ----------------------------------------

_TAG_START = re.compile(r"<(?=[A-Za-z/!?])")
_ENTITY = re.compile(r"&(?=#|[A-Za-z][A-Za-z0-9]*;)")
_INLINE = re.compile(r"([\\`*~|\[\]])|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])")
_READING = re.compile(r"^(- \[[ x]\] )(.+?) — (.+) (https?://\S+)$")


def prose(text: str) -> str:
    """Untrusted text as Markdown that renders as this text and reads as it in a text editor: no HTML, link,
    image, emphasis, heading, list or quote of its own making, with as few escapes as that allows (an `&` or a
    `<` in ordinary prose stays as it is; a list marker becomes a bullet character)."""
    lines = []
    for line in printable(text).split("\n"):
        line = _TAG_START.sub("&lt;", _ENTITY.sub("&amp;", line))
        line = _INLINE.sub(lambda m: "\\" + m.group(0), line)
        line = _CITATION.sub(r"[\1]", line)
        line = re.sub(r"^(\s*)[-+]\s+", r"\1• ", line)  # a list item reads the same as a bullet
        line = re.sub(r"^(\s*)(\d{1,9})([.)])\s", "\\1\\2\\3\u00a0", line)  # "1. " is not a list without a space
        line = re.sub(r"^(\s*)(#{1,6}(?:\s|$)|>|=+\s*$|-+\s*$)", r"\1\\\2", line)
        lines.append(line)
    return "\n".join(lines)


def _quote(text: str) -> str:
    """`prose` as a block quote whose lines stay lines when rendered (a hard break at each line's end)."""
    lines = prose(text).split("\n")
    return "\n".join(f"> {line}" + ("  " if i < len(lines) - 1 and line.strip() else "")
                     for i, line in enumerate(lines)).replace(">   \n", ">\n")


def _link(label: str, url: str) -> str:
    target = url.strip()
    if re.fullmatch(r"https?://[^\s<>()]+", target):
        return f"[{prose(label)}](<{target}>)"
    return prose(label)


def with_names(described: str, knowledge: Knowledge) -> str:
    """A profile's one-line description (`Profile.describe`) with the fields it lists by id ("interested in:
    field-building") named as people name them (Field building). Only whole items of those lists are replaced:
    an id that is also a word ("forecasting") elsewhere in the text is left alone."""
    names = {f.id: f.name for f in knowledge.fields}

    def named(m: re.Match[str]) -> str:
        items = [names.get(item.strip(), item.strip()) for item in m.group(2).split(",")]
        return m.group(1) + ", ".join(items)

    return re.sub(r"((?:^|; )(?:not )?interested in: )([^;]*)", named, described)


def _when(created: str) -> str:
    try:
        moment = datetime.fromisoformat(created)
    except ValueError:
        return one_line(created)
    return f"{moment.day} {moment:%b %Y, %H:%M} UTC"


def source_line(citation: Mapping[str, Any]) -> str:
    """One source as a person reads it: a link to its original where it has one, else what it is (a field card
    of the advisor's own, the person's own document), never a path on the machine."""
    title = one_line(str(citation.get("title", ""))) or "untitled"
    source = one_line(str(citation.get("source", "")))
    kind = str(citation.get("kind", ""))
    if source.startswith(("http://", "https://")):
        what = {"essay": "the essay", "reading": "reading", "assessment": "another assessment"}.get(kind, "")
        return _link(title, source) + (f" — {what}" if what else "")
    if kind == "field":
        return f"{prose(title)} — the advisor's own field card"
    if kind == "user":
        return f"{prose(title)} — your own document"
    return prose(title)


def plan_document(knowledge: Knowledge, profile: Profile, messages: list[Message], code: str | None = None,
                  today: date | None = None) -> str:
    """The personal plan as a document for a person: a title with the date, what the advisor understood (field
    names, not ids), the fields to consider with their reasons in words, the readings as links, then the
    conversation with each answer's sources linked to their originals. Every stored text is made safe by
    `prose`; only the document's own headings, labels and links are structure."""
    from advisor.chat.fit import picks
    from advisor.knowledge.ranking import rank_fields
    from advisor.knowledge.recommend import reading_plan

    profile = safe_profile(profile)
    day = today or datetime.now(UTC).date()
    lines = [f"# Your AI-safety career plan, {day.day} {day:%B %Y}", "",
             "Made by the AI-safety career advisor" + (f" · conversation code {prose(one_line(code))}" if code else ""),
             "", f"**What the advisor understood about you:** {prose(with_names(profile.describe(), knowledge))}.",
             "", "## Your plan", "", "### Fields to consider", ""]
    ranking = rank_fields(knowledge)
    total = len(ranking.fields)
    recs = picks(knowledge, profile, ranking)
    for i, r in enumerate(recs, 1):
        lines.append(f"{i}. **{prose(r.name)}**: {r.fit_words} with what you told the advisor, and "
                     f"{r.safety_words(total)} on automation (#{r.rank} of {total} by exposure).")
        lines += [f"   - {prose(reason.text)}" for reason in r.reasons]
    lines += ["", "### Reading plan", ""]
    unread = profile.model_copy(update={"readings_done": []})
    for p in reading_plan(knowledge, [r.field_id for r in recs], unread):
        tick = "x" if p.url in profile.readings_done else " "
        lines.append(f"- [{tick}] {_link(p.title, p.url)} — {prose(p.authors)}, {p.year} ({prose(p.level)}, about "
                     f"{p.minutes} min; for {prose(knowledge.field(p.field_id).name)})")
    if messages:
        lines += ["", "## Our conversation", ""]
    for m in reading_order(messages):
        who = "You" if m.role == "user" else "The advisor"
        lines += [f"**{who}**, {prose(_when(m.created))}", "", _quote(m.content), ""]
        citations = [c for c in m.meta.get("citations", []) if isinstance(c, dict)]
        if citations:
            lines += ["Sources:", ""]
            lines += [f"- [{int(c['n'])}] {source_line(c)}" for c in citations if str(c.get("n", "")).isdigit()]
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def export_plan_document(store: Store, name: str, knowledge: Knowledge, owner: str = LOCAL,
                         today: date | None = None) -> str:
    """One of `owner`'s sessions as `plan_document`, made on request from the store; nothing is written."""
    name = store.require(name, owner=owner)
    return plan_document(knowledge, store.profile(name, owner=owner), store.messages(name, owner=owner), name, today)
