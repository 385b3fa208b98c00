"""What people do to get into technical AI safety: programmes, courses, fellowships, self-study and sprints,
plus small starter projects per field, loaded from `knowledge/programmes.yaml` and validated.

The planner asks three things of it: which programmes serve these fields (`for_fields`), which fit a person's
hours and whether they can go full-time (`fitting`), and what small project starts a field (`starter_projects`).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from advisor.errors import InputError
from advisor.knowledge.base import KnowledgeError, UnknownFieldError, _parse, _read_yaml

Kind = Literal["course", "fellowship", "programme", "self-study", "sprint"]
Format = Literal["remote", "in-person", "hybrid", "self-paced"]
Cost = Literal["free", "paid", "stipend"]

FULL_TIME_MIN_HOURS = 30  # a programme marked full-time asks at least this many hours a week
PART_TIME_MAX_HOURS = 35  # and one marked part-time asks fewer than this


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


def _https(value: str) -> str:
    """A well-formed https address: http, spaces, a missing or dotless host and bare words are refused."""
    parts = urlsplit(value)
    host = parts.hostname or ""
    if (parts.scheme != "https" or any(c.isspace() for c in value)
            or not re.fullmatch(r"[a-z0-9-]+(\.[a-z0-9-]+)+", host)):
        raise ValueError("must be a full https:// address with a host, like https://example.org/page")
    return value


class Source(_Strict):
    """Where a starter project comes from: an exercise, a paper or an open-problems list."""

    title: str = Field(min_length=1)
    url: str

    @field_validator("url")
    @classmethod
    def _url_is_https(cls, value: str) -> str:
        return _https(value)


class Programme(_Strict):
    """One way in: who runs it, which fields it serves, and what it asks of a person's week."""

    id: str = Field(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$")
    name: str = Field(min_length=1)
    organiser: str = Field(min_length=1)
    kind: Kind
    fields: tuple[str, ...] = Field(min_length=1)
    format: Format
    length_weeks: float | None = Field(gt=0, le=104, description="null when open-ended or self-paced")
    hours_per_week: float = Field(gt=0, le=80, description="what it asks; full-time is about 40")
    time_commitment: str = Field(min_length=1, description="the hours and length in plain words, hedged")
    full_time: bool
    cost: Cost = Field(description="stipend means participants are paid")
    prerequisites: tuple[str, ...]
    applications: str = Field(min_length=1)
    url: str
    last_reviewed: date
    summary: str = Field(min_length=1, max_length=300)
    unsure: str = Field("", description="what we could not confirm, in plain words")

    @field_validator("url")
    @classmethod
    def _url_is_https(cls, value: str) -> str:
        return _https(value)

    @field_validator("full_time")
    @classmethod
    def _hours_match_full_time(cls, full_time: bool, info: ValidationInfo) -> bool:
        hours = info.data.get("hours_per_week")  # absent when hours_per_week itself was invalid
        if hours is None:
            return full_time
        if full_time and hours < FULL_TIME_MIN_HOURS:
            raise ValueError(f"full_time is true but hours_per_week is {hours:g} "
                             f"(full-time means at least {FULL_TIME_MIN_HOURS})")
        if not full_time and hours >= PART_TIME_MAX_HOURS:
            raise ValueError(f"full_time is false but hours_per_week is {hours:g} "
                             f"(set full_time: true, or fewer than {PART_TIME_MAX_HOURS} hours)")
        return full_time


class StarterProject(_Strict):
    """A small first project in one field that leaves something others can see."""

    field: str = Field(min_length=1)
    title: str = Field(min_length=1)
    description: str = Field(min_length=1)
    hours: float = Field(gt=0, le=200, description="an estimate for someone new to the field")
    output: str = Field(min_length=1, description="the visible thing it produces")
    source: Source | None = None


@dataclass(frozen=True)
class Programmes:
    """Every programme and starter project, checked against the field cards' ids."""

    programmes: tuple[Programme, ...]
    projects: tuple[StarterProject, ...]
    field_ids: frozenset[str]

    def programme(self, programme_id: str) -> Programme:
        for p in self.programmes:
            if p.id == programme_id:
                return p
        raise InputError(f"Unknown programme {programme_id!r}. Known: {', '.join(p.id for p in self.programmes)}")

    def for_fields(self, field_ids: Iterable[str]) -> list[Programme]:
        """Programmes serving any of these fields, those serving more of them first (file order otherwise)."""
        wanted = {self._known(f) for f in field_ids}
        scored = [(len(wanted.intersection(p.fields)), p) for p in self.programmes]
        return [p for n, p in sorted(scored, key=lambda pair: -pair[0]) if n]

    def fitting(self, hours_per_week: float, full_time_allowed: bool, weeks: float | None = None) -> list[Programme]:
        """Programmes that ask no more hours a week than a person has, are full-time only when they can be,
        and (if `weeks` is given) end within that many weeks; open-ended and self-paced ones fit any window."""
        if hours_per_week <= 0:
            raise InputError(f"Hours a week must be more than 0, got {hours_per_week:g}.")
        if weeks is not None and weeks <= 0:
            raise InputError(f"Weeks must be more than 0, got {weeks:g}.")
        return [
            p for p in self.programmes
            if p.hours_per_week <= hours_per_week
            and (full_time_allowed or not p.full_time)
            and (weeks is None or p.length_weeks is None or p.length_weeks <= weeks)
        ]

    def starter_projects(self, field_id: str) -> list[StarterProject]:
        """The small projects that start this field, in file order."""
        field_id = self._known(field_id)
        return [s for s in self.projects if s.field == field_id]

    def _known(self, field_id: str) -> str:
        if field_id not in self.field_ids:
            raise UnknownFieldError(field_id, difflib.get_close_matches(field_id, sorted(self.field_ids), n=3))
        return field_id


def card_ids(fields_dir: Path) -> frozenset[str]:
    """The field ids, read from the card file names (load_knowledge checks each card's id equals its name)."""
    ids = frozenset(p.stem for p in fields_dir.glob("*.md"))
    if not ids:
        raise KnowledgeError(f"{fields_dir}: no field cards (*.md) found to check programme fields against")
    return ids


def load_programmes(path: Path, field_ids: Iterable[str] | None = None, *, removed: Iterable[str] = ()) -> Programmes:
    """Load and check `path` (programmes and starter projects). Field ids default to the cards in
    `path.parent / "fields"`; every error names the file, the entry and the key. Ids in `removed` (cards someone
    deleted from their knowledge base) are dropped from the entries instead of failing them; an entry left with no
    field is left out."""
    known = frozenset(field_ids) if field_ids is not None else card_ids(path.parent / "fields")
    raw = _without(_read_yaml(path), frozenset(removed) - known)
    if not isinstance(raw, dict):
        raise KnowledgeError(f"{path}: expected a mapping with keys 'programmes' and 'starter_projects', "
                             f"got {type(raw).__name__}")
    extra = sorted(set(raw) - {"programmes", "starter_projects"})
    if extra:
        raise KnowledgeError(f"{path}: unknown top-level key(s) {', '.join(map(repr, extra))}; "
                             f"expected 'programmes' and 'starter_projects'")
    programmes = tuple(_entry(Programme, item, path, f"programme #{i + 1}", known)
                       for i, item in enumerate(_list(raw, "programmes", path)))
    projects = tuple(_entry(StarterProject, item, path, f"starter project #{i + 1}", known)
                     for i, item in enumerate(_list(raw, "starter_projects", path)))
    seen: set[str] = set()
    for p in programmes:
        if p.id in seen:
            raise KnowledgeError(f"{path}: programme {p.id!r}: key 'id': used by more than one programme")
        seen.add(p.id)
    return Programmes(programmes=programmes, projects=projects, field_ids=known)


def _without(raw: Any, gone: frozenset[str]) -> Any:
    """`raw` without the field ids in `gone`, and without the entries that served only those."""
    if not gone or not isinstance(raw, dict):
        return raw
    out = dict(raw)
    for key, field_key in (("programmes", "fields"), ("starter_projects", "field")):
        items = [dict(i) if isinstance(i, dict) else i for i in raw.get(key) or []]
        for item in items:
            if isinstance(item, dict) and isinstance(item.get(field_key), list):
                item[field_key] = [f for f in item[field_key] if f not in gone]
        out[key] = [i for i in items if not (isinstance(i, dict) and (i.get(field_key) in ([], *gone)))]
    return out


def _list(raw: dict[str, Any], key: str, path: Path) -> list[Any]:
    value = raw.get(key)
    if not isinstance(value, list) or not value:
        raise KnowledgeError(f"{path}: key {key!r}: expected a non-empty list, got {type(value).__name__}")
    return value


def _entry(model: type[Programme | StarterProject], item: Any, path: Path, label: str,
           known: frozenset[str]) -> Any:
    """Parse one entry; errors say which entry (by number and, when it has one, id or title) and which key."""
    name = (item.get("id") or item.get("title")) if isinstance(item, dict) else None
    where = f" ({label}{f', {name!r}' if name else ''})"
    entry = _parse(model, item, path, where)
    fields = entry.fields if isinstance(entry, Programme) else (entry.field,)
    key = "fields" if isinstance(entry, Programme) else "field"
    for fid in fields:
        if fid not in known:
            close = difflib.get_close_matches(fid, sorted(known), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else f"; known ids: {', '.join(sorted(known))}"
            raise KnowledgeError(f"{path}{where}: key {key!r}: unknown field id {fid!r}{hint}")
    return entry
