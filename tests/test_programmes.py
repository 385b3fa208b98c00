"""Programmes and starter projects: the shipped file loads and is complete, bad entries fail naming the file, the
entry and the key, and the planner's queries return what fits a person (never full-time when they cannot)."""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from advisor.errors import InputError
from advisor.knowledge import Knowledge, KnowledgeError, UnknownFieldError
from advisor.knowledge.programmes import Programmes, load_programmes
from advisor.settings import PROJECT_ROOT

SHIPPED = PROJECT_ROOT / "knowledge" / "programmes.yaml"
FIELDS = frozenset({"ai-control", "evaluations", "field-building"})


@pytest.fixture(scope="module")
def shipped() -> Programmes:
    return load_programmes(SHIPPED)


def _programme(pid: str, **changes: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "id": pid, "name": pid.title(), "organiser": "Someone", "kind": "course", "fields": ["evaluations"],
        "format": "remote", "length_weeks": 6, "hours_per_week": 5, "time_commitment": "About 5 hours a week.",
        "full_time": False, "cost": "free", "prerequisites": ["Python"], "applications": "Check the site.",
        "url": f"https://example.org/{pid}", "last_reviewed": "2026-12-07", "summary": "A course.",
    }
    entry.update(changes)
    return entry


def _valid() -> dict[str, Any]:
    return {
        "programmes": [
            _programme("evening-course"),
            _programme("full-time-fellowship", kind="fellowship", fields=["ai-control", "evaluations"],
                       format="in-person", length_weeks=12, hours_per_week=40, full_time=True, cost="stipend"),
            _programme("self-study", kind="self-study", fields=["field-building"], format="self-paced",
                       length_weeks=None, hours_per_week=3),
            _programme("long-part-time", kind="programme", fields=["ai-control"], length_weeks=13, hours_per_week=10),
        ],
        "starter_projects": [
            {"field": "evaluations", "title": "A task suite", "description": "Write 20 items.", "hours": 10,
             "output": "A repo.", "source": {"title": "Inspect", "url": "https://inspect.aisi.org.uk"}},
            {"field": "ai-control", "title": "A monitor", "description": "Build one.", "hours": 20,
             "output": "A post."},
        ],
    }


def _write(tmp_path: Path, data: Any) -> Path:
    path = tmp_path / "programmes.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture
def small(tmp_path: Path) -> Programmes:
    return load_programmes(_write(tmp_path, _valid()), FIELDS)


# --- the shipped file -------------------------------------------------------------------------------------------

def test_shipped_file_loads_against_the_real_field_cards(shipped: Programmes, knowledge: Knowledge) -> None:
    card_ids = {c.id for c in knowledge.fields}
    assert shipped.field_ids == card_ids
    assert load_programmes(SHIPPED, card_ids).programmes == shipped.programmes
    for p in shipped.programmes:
        assert set(p.fields) <= card_ids, p.id
    for s in shipped.projects:
        assert s.field in card_ids, s.title


def test_every_field_has_a_starter_project(shipped: Programmes, knowledge: Knowledge) -> None:
    missing = [c.id for c in knowledge.fields if not shipped.starter_projects(c.id)]
    assert not missing, f"fields without a starter project in {SHIPPED.name}: {missing}"


def test_every_field_has_a_programme(shipped: Programmes, knowledge: Knowledge) -> None:
    missing = [c.id for c in knowledge.fields if not shipped.for_fields([c.id])]
    assert not missing


def test_every_url_is_https_and_well_formed(shipped: Programmes) -> None:
    urls = [(p.id, p.url) for p in shipped.programmes]
    urls += [(s.title, s.source.url) for s in shipped.projects if s.source]
    for who, url in urls:
        parts = urlsplit(url)
        assert parts.scheme == "https", (who, url)
        assert re.fullmatch(r"[a-z0-9-]+(\.[a-z0-9-]+)+", parts.netloc), (who, url)
        assert not re.search(r"\s", url), (who, url)


def test_every_programme_says_what_confirmed_it() -> None:
    """Each entry is preceded by a '# Confirmed:' comment naming the page that confirmed it exists."""
    text = SHIPPED.read_text(encoding="utf-8").split("\nstarter_projects:")[0]
    entries = re.split(r"\n(?=  # Confirmed:|  - id:)", text)
    ids = [m.group(1) for m in re.finditer(r"^  - id: (\S+)", text, flags=re.MULTILINE)]
    assert ids
    for pid in ids:
        index = next(i for i, chunk in enumerate(entries) if chunk.startswith(f"  - id: {pid}"))
        assert index > 0 and entries[index - 1].startswith("  # Confirmed:"), pid


def test_full_time_programmes_ask_full_time_hours(shipped: Programmes) -> None:
    for p in shipped.programmes:
        assert (p.hours_per_week >= 30) == p.full_time, p.id


# --- malformed files ----------------------------------------------------------------------------------------------

def _mutate(path: tuple[Any, ...], value: Any, delete: bool = False) -> dict[str, Any]:
    data = copy.deepcopy(_valid())
    target: Any = data
    for step in path[:-1]:
        target = target[step]
    if delete:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return data


@pytest.mark.parametrize(("path", "value", "delete", "expected"), [
    (("programmes", 0, "fields"), ["evaluation"], False, r"'evening-course'.*'fields'.*'evaluation'.*'evaluations'"),
    (("programmes", 0, "kind"), "bootcamp", False, r"'evening-course'.*kind"),
    (("programmes", 0, "format"), "online", False, r"'evening-course'.*format"),
    (("programmes", 0, "cost"), "cheap", False, r"'evening-course'.*cost"),
    (("programmes", 0, "url"), None, True, r"'evening-course'.*url.*Field required"),
    (("programmes", 0, "url"), "http://example.org/x", False, r"'evening-course'.*url.*https"),
    (("programmes", 0, "url"), "https://localhost", False, r"'evening-course'.*url.*https"),
    (("programmes", 0, "url"), "example.org", False, r"'evening-course'.*url.*https"),
    (("programmes", 0, "hours_per_week"), -5, False, r"'evening-course'.*hours_per_week"),
    (("programmes", 0, "length_weeks"), 0, False, r"'evening-course'.*length_weeks"),
    (("programmes", 1, "hours_per_week"), 10, False, r"'full-time-fellowship'.*'full_time'.*full_time is true"),
    (("programmes", 0, "hours_per_week"), 40, False, r"'evening-course'.*'full_time'.*full_time is false"),
    (("programmes", 0, "surprise"), "x", False, r"'evening-course'.*surprise"),
    (("programmes", 2, "id"), "evening-course", False, r"'evening-course'.*'id'.*more than one"),
    (("starter_projects", 1, "field"), "control", False, r"starter project #2, 'A monitor'.*'field'.*'control'"),
    (("starter_projects", 0, "hours"), -1, False, r"starter project #1, 'A task suite'.*hours"),
    (("starter_projects", 0, "source"), {"title": "x", "url": "ftp://x.org"}, False, r"'A task suite'.*url"),
    (("starter_projects",), [], False, r"'starter_projects': expected a non-empty list"),
    (("extra",), 1, False, r"unknown top-level key.*'extra'"),
])
def test_malformed_file_names_file_entry_and_key(
    tmp_path: Path, path: tuple[Any, ...], value: Any, delete: bool, expected: str
) -> None:
    target = _write(tmp_path, _mutate(path, value, delete))
    with pytest.raises(KnowledgeError) as caught:
        load_programmes(target, FIELDS)
    message = str(caught.value)
    assert message.startswith(str(target)), message
    assert re.search(expected, message), message


def test_not_a_mapping_or_not_yaml_is_a_knowledge_error(tmp_path: Path) -> None:
    for content in ("- just\n- a list\n", "programmes: [unclosed\n"):
        target = tmp_path / "programmes.yaml"
        target.write_text(content, encoding="utf-8")
        with pytest.raises(KnowledgeError, match=re.escape(str(target))):
            load_programmes(target, FIELDS)
    with pytest.raises(KnowledgeError, match="file not found"):
        load_programmes(tmp_path / "missing.yaml", FIELDS)


def test_default_field_ids_come_from_the_cards_beside_the_file(tmp_path: Path) -> None:
    path = _write(tmp_path, _valid())
    with pytest.raises(KnowledgeError, match="no field cards"):
        load_programmes(path)
    (tmp_path / "fields").mkdir()
    for fid in FIELDS:
        (tmp_path / "fields" / f"{fid}.md").write_text("---\n---\n", encoding="utf-8")
    assert load_programmes(path).field_ids == FIELDS


# --- the planner's queries ----------------------------------------------------------------------------------------

def test_fitting_never_returns_full_time_when_not_allowed(small: Programmes, shipped: Programmes) -> None:
    assert [p.id for p in small.fitting(40, full_time_allowed=False)] == [
        "evening-course", "self-study", "long-part-time"]
    assert "full-time-fellowship" in [p.id for p in small.fitting(40, full_time_allowed=True)]
    for hours in (1, 5, 10, 20, 39, 40, 60, 80):
        assert not [p.id for p in shipped.fitting(hours, full_time_allowed=False) if p.full_time], hours
    assert any(p.full_time for p in shipped.fitting(60, full_time_allowed=True))


def test_fitting_respects_hours_and_weeks(small: Programmes, shipped: Programmes) -> None:
    assert [p.id for p in small.fitting(4, full_time_allowed=True)] == ["self-study"]
    assert [p.id for p in small.fitting(10, full_time_allowed=False, weeks=8)] == ["evening-course", "self-study"]
    assert [p.id for p in small.fitting(40, full_time_allowed=True, weeks=12)] == [
        "evening-course", "full-time-fellowship", "self-study"]
    for p in shipped.fitting(6, full_time_allowed=True, weeks=4):
        assert p.hours_per_week <= 6 and (p.length_weeks is None or p.length_weeks <= 4), p.id


@pytest.mark.parametrize(("hours", "weeks"), [(0, None), (-3, None), (10, 0)])
def test_fitting_refuses_impossible_availability(small: Programmes, hours: float, weeks: float | None) -> None:
    with pytest.raises(InputError):
        small.fitting(hours, full_time_allowed=True, weeks=weeks)


def test_for_fields_returns_matches_with_the_best_overlap_first(small: Programmes) -> None:
    assert [p.id for p in small.for_fields(["ai-control", "evaluations"])] == [
        "full-time-fellowship", "evening-course", "long-part-time"]
    assert [p.id for p in small.for_fields(["field-building"])] == ["self-study"]
    assert small.for_fields([]) == []


def test_queries_refuse_unknown_fields_with_a_suggestion(small: Programmes) -> None:
    with pytest.raises(UnknownFieldError) as caught:
        small.for_fields(["evaluation"])
    assert caught.value.suggestions == ["evaluations"]
    with pytest.raises(UnknownFieldError):
        small.starter_projects("not-a-field")


def test_starter_projects_are_for_that_field_only(small: Programmes, shipped: Programmes) -> None:
    assert [s.title for s in small.starter_projects("ai-control")] == ["A monitor"]
    assert small.starter_projects("field-building") == []
    for fid in shipped.field_ids:
        assert {s.field for s in shipped.starter_projects(fid)} <= {fid}
