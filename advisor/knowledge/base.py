"""The knowledge base: the essay as passages, the field cards, other assessments and what-if scenarios.

Loaded from `knowledge/` and validated with pydantic; bad data fails loudly with the file, the key and what
was expected. What was loaded is kept in the advisor's home, keyed by the text of every file read, so that a
new process reads it back instead of parsing the YAML again; any change to a file is parsed (and checked) anew.
"""

from __future__ import annotations

import contextlib
import difflib
import hashlib
import os
import pickle
import re
import sys
import tempfile
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from advisor.errors import DataError, InputError

if TYPE_CHECKING:
    from advisor.knowledge.programmes import Programmes
    from advisor.knowledge.views import ViewsFile

FactorName = Literal["feedback_quality", "economic_incentive", "research_taste", "human_interaction"]
Level = Literal["intro", "intermediate", "advanced"]
LEVELS: tuple[Level, ...] = ("intro", "intermediate", "advanced")


class KnowledgeError(DataError, ValueError):
    """A knowledge file is missing or malformed; the message names the file and the key."""


class UnknownScenarioError(InputError, KeyError):
    """A what-if scenario id that is not in `knowledge/scenarios.yaml`."""


class UnknownFieldError(InputError, KeyError):
    """A field name, id or alias that matches no field card."""

    def __init__(self, query: str, suggestions: list[str]) -> None:
        super().__init__(query)
        self.query = query
        self.suggestions = suggestions

    def __str__(self) -> str:
        hint = f" Did you mean: {', '.join(self.suggestions)}?" if self.suggestions else ""
        return f"Unknown field {self.query!r}.{hint} Run `advisor fields` to list them."


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Passage(_Strict):
    id: str = Field(pattern=r"^essay-\d{2}$")
    line: int = Field(ge=1)
    kind: Literal["post", "comment"]
    author: Literal["post-author", "commenter-1", "commenter-2"]
    text: str = Field(min_length=1)
    gist: str | None = Field(default=None, description="our plain-words summary, indexed for search, never quoted")

    @property
    def provenance(self) -> str:
        who = "the essay's author" if self.author == "post-author" else f"another commenter ({self.author})"
        where = "the post" if self.kind == "post" else "a comment"
        return f"{where}, by {who}"


class PublicFact(_Strict):
    id: str
    claim: str
    source: str
    supports: list[str]


class EssayRank(_Strict):
    field: str
    rank: int = Field(ge=1)
    passage_id: str
    fact_id: str


class LostPart(_Strict):
    passage_id: str
    what: str


class Essay(_Strict):
    title: str
    venue: str
    post_id: str
    url: str
    year: int
    provenance: str
    lost_in_scrape: list[LostPart]
    public_facts: list[PublicFact]
    essay_ranks: list[EssayRank]
    passages: list[Passage] = Field(min_length=1)


class FactorScore(_Strict):
    score: int = Field(ge=1, le=5)
    rationale: str = Field(min_length=1)


class Reading(_Strict):
    title: str = Field(min_length=1)
    authors: str = Field(min_length=1)
    year: int = Field(ge=1900, le=2100)
    url: str = Field(pattern=r"^https?://\S+$")
    level: Level
    minutes: int = Field(gt=0, le=2000)
    about: str | None = Field(default=None, description="one line in our words: what the reading covers")


class Requirements(_Strict):
    """What people in a field typically need today, in one or two plain sentences each (hedged where it varies)."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    degree: str = Field(min_length=1, description="whether a PhD or other degree is needed, and the usual ways in")
    maths: str = Field(min_length=1, description="how much maths, and which kind")
    coding: str = Field(min_length=1, description="how much programming, from none to strong ML engineering")
    day_to_day: str = Field(min_length=1, description="what a typical week of the work looks like, concretely")


class EssayStance(_Strict):
    passages: list[str]
    says: str = Field(min_length=1)


class FieldCard(_Strict):
    """One research field: what it is, how exposed it is to automation and why, and how to get in."""

    id: str = Field(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$")
    name: str = Field(min_length=1)
    aliases: list[str]
    summary: str = Field(min_length=1)
    last_reviewed: date
    research_tasks: list[str] = Field(min_length=1)
    skills: list[str] = Field(min_length=1)
    backgrounds: list[str] = Field(min_length=1)
    suits: str = ""  # who tends to do well here, in our words (used to match people by meaning)
    entry_paths: list[str] = Field(min_length=1)
    requirements: Requirements  # degree, maths, coding and day-to-day work, for "do I need a PhD?" questions
    organisations: list[str] = Field(min_length=1)
    factors: dict[FactorName, FactorScore]
    essay: EssayStance
    readings: list[Reading] = Field(min_length=1)
    description: str = Field(min_length=1)

    @field_validator("factors")
    @classmethod
    def _all_factors(cls, value: dict[str, FactorScore]) -> dict[str, FactorScore]:
        missing = sorted(set(FactorName.__args__) - set(value))  # type: ignore[attr-defined]
        if missing:
            raise ValueError(f"missing factor(s): {', '.join(missing)}")
        return value


class Claim(_Strict):
    id: str
    text: str
    fields: list[str]
    leans: Literal["more-automatable", "less-automatable", "mixed", "unsafe-to-automate"]


class Assessment(_Strict):
    id: str
    title: str
    authors: str
    date: date
    url: str
    summary: str
    claims: list[Claim]


class ScenarioChange(_Strict):
    field: str
    factor: FactorName
    score: int = Field(ge=1, le=5)


class Scenario(_Strict):
    """A named what-if: a set of changes to factor scores, grounded in a passage."""

    id: str
    name: str
    description: str
    passage_ids: list[str]
    changes: list[ScenarioChange] = Field(min_length=1)


@dataclass(frozen=True)
class Knowledge:
    essay: Essay
    fields: tuple[FieldCard, ...]
    assessments: tuple[Assessment, ...]
    scenarios: tuple[Scenario, ...]
    programmes: Programmes | None = None  # ways in (programmes.yaml), when the knowledge base has them
    views: ViewsFile | None = None  # what each source says of each field (views.yaml), when the base has it

    def passage(self, passage_id: str) -> Passage:
        for p in self.essay.passages:
            if p.id == passage_id:
                return p
        raise KeyError(passage_id)

    @cached_property
    def _by_name(self) -> dict[str, FieldCard]:
        """Every id, name and alias (normalised) of the cards, to the card: built once per knowledge base."""
        return {_norm(x): card for card in reversed(self.fields) for x in (card.id, card.name, *card.aliases)}

    def field(self, query: str) -> FieldCard:
        """The field whose id, name or alias matches `query` (case- and punctuation-insensitive)."""
        card = self._by_name.get(_norm(query))
        if card is None:
            raise UnknownFieldError(query, self.closest_fields(query))
        return card

    def closest_fields(self, query: str, n: int = 3) -> list[str]:
        names = {_norm(x): c.id for c in self.fields for x in (c.id, c.name, *c.aliases)}
        found = difflib.get_close_matches(_norm(query), list(names), n=n * 3, cutoff=0.5)
        ids = list(dict.fromkeys(names[f] for f in found))
        if not ids:
            ids = [c.id for c in self.fields if _norm(query) and _norm(query) in _norm(c.name + " " + c.id)]
        return ids[:n]

    def essay_rank(self, field_id: str) -> int | None:
        return next((r.rank for r in self.essay.essay_ranks if r.field == field_id), None)

    def essay_rank_passages(self, field_id: str | None = None) -> list[str]:
        """The passages behind the rank positions the essay gives (for one field, or for all)."""
        return [r.passage_id for r in self.essay.essay_ranks if field_id in (None, r.field)]

    def scenario(self, scenario_id: str) -> Scenario:
        for s in self.scenarios:
            if s.id == scenario_id:
                return s
        known = ", ".join(s.id for s in self.scenarios)
        raise UnknownScenarioError(f"Unknown scenario {scenario_id!r}. Known scenarios: {known}")


def _norm(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", text.lower()).strip()


def _describe(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors():
        loc = ".".join(str(x) for x in err["loc"]) or "(top level)"
        parts.append(f"key '{loc}': {err['msg']} (got {err.get('input')!r:.80})")
    return "; ".join(parts)


def _yaml(text: str) -> Any:
    """`yaml.safe_load`, through libyaml's parser when PyYAML has it (ten times faster: the same values); text it
    refuses goes to the pure-Python parser, so a mistake is reported as before."""
    loader = getattr(yaml, "CSafeLoader", None)
    if loader is not None:
        with contextlib.suppress(yaml.YAMLError):
            return yaml.load(text, Loader=loader)  # CSafeLoader: the safe loader, in C
    return yaml.safe_load(text)


def _read_yaml(path: Path, text: str | None = None) -> Any:
    try:
        return _yaml(path.read_text(encoding="utf-8") if text is None else text)
    except FileNotFoundError as exc:
        raise KnowledgeError(f"{path}: file not found") from exc
    except yaml.YAMLError as exc:
        raise KnowledgeError(f"{path}: not valid YAML: {exc}") from exc


def _parse(model: type[BaseModel], data: Any, path: Path, where: str = "") -> Any:
    if not isinstance(data, dict):
        raise KnowledgeError(f"{path}: expected a mapping of keys{where}, got {type(data).__name__}")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise KnowledgeError(f"{path}{where}: {_describe(exc)}") from exc


def load_field_card(path: Path, text: str | None = None) -> FieldCard:
    """One field card: YAML front matter between `---` lines, then the Markdown description."""
    text = path.read_text(encoding="utf-8") if text is None else text
    match = re.match(r"^---\n(.*?)\n---\n?(.*)$", text, flags=re.DOTALL)
    if not match:
        raise KnowledgeError(f"{path}: expected YAML front matter between '---' lines at the top")
    try:
        meta = _yaml(match.group(1))
    except yaml.YAMLError as exc:
        raise KnowledgeError(f"{path}: front matter is not valid YAML: {exc}") from exc
    if not isinstance(meta, dict):
        raise KnowledgeError(f"{path}: front matter must be a mapping of keys")
    card: FieldCard = _parse(FieldCard, {**meta, "description": match.group(2).strip()}, path)
    if card.id != path.stem:
        raise KnowledgeError(f"{path}: key 'id': must equal the file name {path.stem!r}, got {card.id!r}")
    return card


def load_knowledge(directory: Path) -> Knowledge:
    """Load and cross-check everything under `directory` (essay.yaml, fields/*.md, assessments, scenarios).

    The result is kept in the advisor's home (`cache/`), keyed by the text of every one of those files, and read
    back while they are unchanged; a home that cannot be written only costs the parse."""
    texts = _read_texts(directory)
    saved = _saved_file(directory) if texts else None
    key = _key(texts) if texts else None
    if saved and key:
        knowledge = _read_saved(saved, key)
        if knowledge is not None:
            return knowledge
    knowledge = _parse_knowledge(directory, texts or {})
    if saved and key:
        _save(saved, key, knowledge)
    return knowledge


def _parse_knowledge(directory: Path, texts: dict[str, str]) -> Knowledge:
    """Parse, validate and cross-check the files (their `texts` by name under `directory`, when already read: then
    the cards are those that were read)."""
    essay_path = directory / "essay.yaml"
    essay: Essay = _parse(Essay, _read_yaml(essay_path, texts.get("essay.yaml")), essay_path)
    card_paths = ([directory / name for name in texts if name.startswith("fields/")] if texts
                  else sorted((directory / "fields").glob("*.md")))
    if not card_paths:
        raise KnowledgeError(f"{directory / 'fields'}: no field cards (*.md) found")
    fields = tuple(load_field_card(p, texts.get(f"fields/{p.name}")) for p in card_paths)
    assessments_path = directory / "assessments.yaml"
    raw = _read_yaml(assessments_path, texts.get("assessments.yaml")) or {}
    assessments = tuple(
        _parse(Assessment, a, assessments_path, f" (assessment #{i + 1})")
        for i, a in enumerate(raw.get("assessments", []))
    )
    scenarios_path = directory / "scenarios.yaml"
    raw = _read_yaml(scenarios_path, texts.get("scenarios.yaml")) or {}
    scenarios = tuple(
        _parse(Scenario, s, scenarios_path, f" (scenario #{i + 1})") for i, s in enumerate(raw.get("scenarios", []))
    )
    programmes = None
    if "programmes.yaml" in texts or (not texts and (directory / "programmes.yaml").exists()):
        from advisor.knowledge.programmes import card_ids, load_programmes

        # a card deleted from a copy of the shipped knowledge base takes its programmes' mentions with it
        shipped = card_ids(Path(__file__).resolve().parents[2] / "knowledge" / "fields")
        programmes = load_programmes(directory / "programmes.yaml", [f.id for f in fields], removed=shipped)
    views = None
    if "views.yaml" in texts or (not texts and (directory / "views.yaml").exists()):
        from advisor.knowledge.programmes import card_ids
        from advisor.knowledge.views import load_views

        shipped = card_ids(Path(__file__).resolve().parents[2] / "knowledge" / "fields")
        views = load_views(directory / "views.yaml", texts.get("views.yaml"),
                           removed=shipped - {f.id for f in fields})
    knowledge = Knowledge(essay=essay, fields=fields, assessments=assessments, scenarios=scenarios,
                          programmes=programmes, views=views)
    _cross_check(knowledge, directory)
    if views is not None:
        from advisor.knowledge.views import check_views

        check_views(views, knowledge, directory / "views.yaml")
    return knowledge


SAVED_FORMAT = 2  # of what `_save` writes; raise it when that changes


def _read_texts(directory: Path) -> dict[str, str] | None:
    """The text of every file `load_knowledge` reads, by name under `directory`; None when one cannot be read (the
    parse then says which and why)."""
    names = ["essay.yaml", *(f"fields/{p.name}" for p in sorted((directory / "fields").glob("*.md"))),
             "assessments.yaml", "scenarios.yaml",
             *(name for name in ("programmes.yaml", "views.yaml") if (directory / name).exists())]
    try:
        return {name: (directory / name).read_text(encoding="utf-8") for name in names}
    except (OSError, UnicodeDecodeError):
        return None


def _key(texts: dict[str, str]) -> str | None:
    """Names the knowledge and the code that parses it: the files' names and texts, this module's source (it
    defines the classes that are saved), and the versions of Python and pydantic."""
    import pydantic

    try:  # this module, and the one defining the views data it keeps
        source = Path(__file__).read_bytes() + Path(__file__).with_name("views.py").read_bytes()
    except OSError:
        return None
    digest = hashlib.sha256(f"{SAVED_FORMAT}\0{sys.version}\0{pydantic.VERSION}\0".encode() + source)
    for name, text in texts.items():
        digest.update(f"\0{name}\0{len(text)}\0{text}".encode())
    return digest.hexdigest()


def _saved_file(directory: Path) -> Path | None:
    """Where the knowledge loaded from `directory` is kept: one file per knowledge folder, in the advisor's home."""
    from advisor.errors import AdvisorError
    from advisor.settings import load_settings

    try:
        home = load_settings().home
    except AdvisorError:  # a bad setting is reported by whatever reads the settings next, not here
        return None
    folder = hashlib.sha256(str(directory.resolve()).encode()).hexdigest()[:16]
    return home / "cache" / f"knowledge-{folder}.pickle"


def _read_saved(path: Path, key: str) -> Knowledge | None:
    """The knowledge saved under `key`; None when there is none, or another (stale, foreign or broken)."""
    try:
        with open(path, "rb") as handle:
            saved_key, knowledge = pickle.load(handle)  # written by `_save`, in the user's own home
    except FileNotFoundError:
        return None
    except Exception:  # a truncated or foreign file can fail to unpickle in many ways; it only costs a parse
        return None
    return knowledge if saved_key == key and isinstance(knowledge, Knowledge) else None


def _save(path: Path, key: str, knowledge: Knowledge) -> None:
    """Write atomically (a reader sees the old file or the new one). A home that does not exist yet is not created
    (`advisor doctor` creates nothing), and one that cannot be written is skipped."""
    with contextlib.suppress(OSError):
        path.parent.mkdir(exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".knowledge-", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as handle:
                pickle.dump((key, knowledge), handle, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise


def _cross_check(k: Knowledge, directory: Path) -> None:
    passage_ids = {p.id for p in k.essay.passages}
    field_ids = {c.id for c in k.fields}
    seen: dict[str, str] = {}
    for card in k.fields:
        path = directory / "fields" / f"{card.id}.md"
        for pid in card.essay.passages:
            if pid not in passage_ids:
                raise KnowledgeError(f"{path}: key 'essay.passages': unknown passage id {pid!r}")
        for name in (card.id, card.name, *card.aliases):
            owner = seen.setdefault(_norm(name), card.id)
            if owner != card.id:
                raise KnowledgeError(f"{path}: key 'aliases': {name!r} is already a name of field {owner!r}")
    for rank in k.essay.essay_ranks:
        if rank.field not in field_ids:
            raise KnowledgeError(f"{directory / 'essay.yaml'}: key 'essay_ranks': unknown field {rank.field!r}")
    for a in k.assessments:
        for claim in a.claims:
            for fid in claim.fields:
                if fid not in field_ids:
                    raise KnowledgeError(
                        f"{directory / 'assessments.yaml'}: key '{a.id}.{claim.id}.fields': unknown field {fid!r}"
                    )
    for s in k.scenarios:
        for change in s.changes:
            if change.field not in field_ids:
                raise KnowledgeError(
                    f"{directory / 'scenarios.yaml'}: key '{s.id}.changes': unknown field {change.field!r}"
                )
