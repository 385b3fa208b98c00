"""Turns the knowledge base and the user's own documents into citable chunks of at most ~180 words.

A chunk never mixes two sources: each essay passage, each part of a field card, each reading and each
assessment claim is its own chunk, so a citation always points at one passage. Ids are content hashes, so
unchanged knowledge keeps its ids and re-indexing it costs nothing.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from advisor.errors import InputError
from advisor.knowledge import FieldCard, Knowledge, Reading

Kind = Literal["essay", "field", "reading", "assessment", "user"]
KINDS: tuple[Kind, ...] = ("essay", "field", "reading", "assessment", "user")
MAX_WORDS = 180
USER_SUFFIXES = {".md", ".markdown", ".txt", ".pdf"}


@dataclass(frozen=True)
class Chunk:
    text: str
    kind: Kind
    title: str
    source: str  # a URL, or the path of the file the text came from
    passage_id: str  # the citable unit: "essay-22", "field:evaluations#factors", a reading URL, ...
    # extra["quote"]: the exact text to show and cite when `text` was expanded for search (essay gists)
    field_id: str = ""
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def id(self) -> str:
        digest = hashlib.sha256(f"{self.kind}\x1f{self.passage_id}\x1f{self.source}\x1f{self.text}".encode())
        return digest.hexdigest()[:32]

    def metadata(self) -> dict[str, str | bool]:
        """Chroma metadata; `field__<id>: True` for each field the chunk is about, for exact field filters."""
        about: dict[str, str | bool] = {f"field__{f}": True for f in self.field_id.split(",") if f}
        return {
            "kind": self.kind, "title": self.title, "source": self.source, "passage_id": self.passage_id,
            "field_id": self.field_id, **self.extra, **about,
        }


def split_words(text: str, max_words: int = MAX_WORDS) -> list[str]:
    """Split text on paragraph, then sentence, then word boundaries into pieces of at most `max_words`."""
    pieces: list[str] = []
    for paragraph in re.split(r"\n\s*\n", text):
        paragraph = " ".join(paragraph.split())
        if not paragraph:
            continue
        if pieces and len(pieces[-1].split()) + len(paragraph.split()) <= max_words:
            pieces[-1] = f"{pieces[-1]}\n\n{paragraph}"
            continue
        current: list[str] = []
        for sentence in re.split(r"(?<=[.!?])\s+", paragraph):
            words = sentence.split()
            while len(words) > max_words:  # one very long sentence
                if current:
                    pieces.append(" ".join(current))
                    current = []
                pieces.append(" ".join(words[:max_words]))
                words = words[max_words:]
            if len(current) + len(words) > max_words:
                pieces.append(" ".join(current))
                current = []
            current += words
        if current:
            pieces.append(" ".join(current))
    return pieces


def _card_chunks(card: FieldCard) -> Iterator[Chunk]:
    source = f"knowledge/fields/{card.id}.md"
    sections = {
        "overview": f"{card.name}. {card.summary}\n\n{card.description}",
        "work": (
            f"{card.name}: typical research tasks: {'; '.join(card.research_tasks)}. "
            f"Skills that fit: {', '.join(card.skills)}. Backgrounds that transfer: {', '.join(card.backgrounds)}."
        ),
        "entry": (
            f"{card.name}: ways in: {'; '.join(card.entry_paths)}. "
            f"Organisations: {', '.join(card.organisations)}."
        ),
        "factors": f"{card.name}: why it is or is not exposed to automation. "
        + " ".join(f"{name.replace('_', ' ')} {f.score}/5: {f.rationale}" for name, f in card.factors.items()),
    }
    if card.essay.passages:  # a card on which the essay is silent has nothing here worth retrieving
        sections["essay"] = f"What the essay says about {card.name}: {card.essay.says}"
    for section, text in sections.items():
        for i, piece in enumerate(split_words(text, MAX_WORDS - 10)):
            suffix = f"-{i + 1}" if i else ""
            if i:  # a continuation names its field, so it is found (and understood) on its own
                piece = f"{card.name} (continued). {piece}"
            yield Chunk(piece, "field", f"{card.name} ({section})", source, f"field:{card.id}#{section}{suffix}",
                        card.id, {"section": section})


def _reading_chunks(k: Knowledge) -> list[Chunk]:
    """One chunk per reading URL, naming every field it is recommended for."""
    by_url: dict[str, list[tuple[FieldCard, Reading]]] = {}
    for card in k.fields:
        for r in card.readings:
            by_url.setdefault(r.url, []).append((card, r))
    chunks = []
    for url, uses in by_url.items():
        r = uses[0][1]
        names = ", ".join(card.name for card, _ in uses)
        text = f"Reading for {names} ({r.level}, about {r.minutes} min): \"{r.title}\" by {r.authors}, {r.year}."
        if r.about:
            text += f" {r.about}"
        chunks.append(Chunk(text, "reading", r.title, url, url, ",".join(card.id for card, _ in uses),
                            {"level": r.level}))
    return chunks


def knowledge_chunks(k: Knowledge) -> list[Chunk]:
    """Every chunk of the shipped knowledge base: essay passages, field cards, readings, assessments."""
    chunks = [
        Chunk(f"{p.text}\n\n{p.gist}" if p.gist else p.text, "essay",
              f"{k.essay.title} ({'post' if p.kind == 'post' else 'comment'}, line {p.line})",
              k.essay.url, p.id, "", {"author": p.author, "quote": p.text})
        for p in k.essay.passages
    ]
    chunks += [
        Chunk(f.claim, "essay", f"{k.essay.title} (public facts)", f.source, f.id) for f in k.essay.public_facts
    ]
    for card in k.fields:
        chunks.extend(_card_chunks(card))
    chunks += _reading_chunks(k)
    for a in k.assessments:
        chunks.append(Chunk(f"{a.title} ({a.authors}): {a.summary}", "assessment", a.title, a.url, a.id))
        chunks += [
            Chunk(f"{a.authors}: {c.text}", "assessment", a.title, a.url, c.id, ",".join(c.fields))
            for c in a.claims
        ]
    return chunks


class DocumentError(InputError, ValueError):
    """A user document that cannot be read; the message says which and why."""


MAX_DOCUMENT_MB = 20  # about 3 million words: ~20,000 chunks, several minutes of embedding on a laptop
MAX_DOCUMENT_BYTES = MAX_DOCUMENT_MB * 1024 * 1024


def _size(n: int) -> str:
    return f"{n / 1024 / 1024:.1f} MB"


def _kind_of(mode: int) -> str:
    for test, name in ((stat.S_ISFIFO, "a named pipe (FIFO)"), (stat.S_ISSOCK, "a socket"),
                       (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
                       (stat.S_ISDIR, "a folder")):
        if test(mode):
            return name
    return "not a regular file"


def check_document(path: Path) -> None:
    """Refuse anything that is not a regular file of a supported type and at most MAX_DOCUMENT_MB (reading a
    named pipe would wait forever; a huge file would embed for an hour)."""
    try:
        st = path.stat()
    except OSError as exc:
        raise DocumentError(f"{path}: cannot be read ({exc.strerror or exc})") from exc
    if not stat.S_ISREG(st.st_mode):
        raise DocumentError(f"{path}: {_kind_of(st.st_mode)}, not a regular file; add .md, .txt or .pdf files")
    if path.suffix.lower() not in USER_SUFFIXES:
        raise DocumentError(f"{path}: unsupported file type; add .md, .txt or .pdf files")
    if st.st_size > MAX_DOCUMENT_BYTES:
        raise DocumentError(f"{path}: {_size(st.st_size)} is over the limit of {MAX_DOCUMENT_MB} MB per document; "
                            "split it into smaller files, or add only the parts you need")


def _read_bytes(path: Path) -> bytes:
    """The file's bytes, opened without blocking and checked again once open (it may have been swapped for a
    named pipe since it was checked)."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        raise DocumentError(f"{path}: cannot be read ({exc.strerror or exc})") from exc
    with os.fdopen(fd, "rb") as handle:
        st = os.fstat(handle.fileno())
        if not stat.S_ISREG(st.st_mode):
            raise DocumentError(f"{path}: {_kind_of(st.st_mode)}, not a regular file; add .md, .txt or .pdf files")
        data = handle.read(MAX_DOCUMENT_BYTES + 1)
    if len(data) > MAX_DOCUMENT_BYTES:
        raise DocumentError(f"{path}: over the limit of {MAX_DOCUMENT_MB} MB per document; split it")
    return data


def read_document(path: Path) -> str:
    check_document(path)
    data = _read_bytes(path)
    if path.suffix.lower() == ".pdf":
        from pypdf import PdfReader
        from pypdf.errors import PdfReadError

        try:
            return "\n\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages)
        except (PdfReadError, ValueError, OSError) as exc:
            raise DocumentError(f"{path}: not a readable PDF ({exc})") from exc
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DocumentError(f"{path}: not UTF-8 text") from exc


def user_document_chunks(path: Path) -> list[Chunk]:
    """Chunks of one Markdown, text or PDF file the user added; cited by file and part number."""
    path = path.resolve()
    text = read_document(path)
    heading = re.search(r"^#\s+(.+)$", text, flags=re.MULTILINE)
    title = heading.group(1).strip() if heading else path.stem
    pieces = split_words(text)
    if not pieces:
        raise DocumentError(f"{path}: no text found")
    return [
        Chunk(piece, "user", title, str(path), f"user:{path.name}#{i + 1}") for i, piece in enumerate(pieces)
    ]


def expand_paths(paths: list[Path], skipped: list[str] | None = None) -> list[Path]:
    """Files named directly (each must be a supported regular file within the size limit), plus the supported
    regular files found under any folder named; files in folders that cannot be added are left out, with the
    reason appended to `skipped`."""
    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            for f in sorted(p.rglob("*")):
                if f.suffix.lower() not in USER_SUFFIXES or f.is_dir():
                    continue
                try:
                    check_document(f)
                except DocumentError as exc:
                    if skipped is not None:
                        skipped.append(str(exc))
                    continue
                out.append(f)
        elif p.exists() or p.is_symlink():
            check_document(p)
            out.append(p)
        else:
            raise DocumentError(f"{p}: no such file or folder")
    return out
