"""Property-based tests of the command line, in process: whatever a person types (profile values, session
names, search queries, questions), the advisor answers or refuses with exit code 1 or 2 and a message, never a
traceback; `--json` output is always valid JSON; and nothing already stored is lost."""

from __future__ import annotations

import json
import traceback
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from advisor.knowledge.profile import Profile

BOUNDED = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
Run = Callable[..., tuple[int, str, str]]

# Text people paste: any unicode, control characters and terminal escapes included, plus the shapes that
# broke things before (huge numbers, NaN, separators, leading dashes, newlines).
TRICKY = st.sampled_from(["", " ", "-", "--json", "nan", "inf", "1e400", "-1", "0", "600000", "3.5", "None",
                          "null", "[]", "{}", "a,b,,c", "\n", "x\n", "\x1b[2J", "\x1b]52;c;aGk=\x07", "\x00",
                          "é", "🙂", "name with spaces", "../../etc/passwd", "a" * 300, "%s%n", "'; DROP TABLE x;--"])
TEXT = st.one_of(TRICKY, st.text(max_size=60), st.text(alphabet=st.characters(codec="utf-8"), max_size=20))


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str]) -> Run:
    """`advisor ARGS...` in process; argparse's own refusals (SystemExit 2) count as exit code 2. Any other
    exception is a failure that shows its traceback."""
    from advisor.interfaces.cli import main

    def call(*args: str) -> tuple[int, str, str]:
        try:
            code = main(list(args))
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 2
        except Exception:
            pytest.fail(f"advisor {args!r} raised:\n{traceback.format_exc()}")
        out, err = capsys.readouterr()
        assert "Traceback" not in err, (args, err)
        return code, out, err

    return call


def json_of(out: str) -> object:
    return json.loads(out, parse_constant=lambda c: pytest.fail(f"{c} is not JSON"))


def assert_printable(text: str) -> None:
    """No terminal control sequences (screen clear, clipboard write) or other control characters reach the
    terminal: only newlines and tabs."""
    bad = sorted({c for c in text if (ord(c) < 32 and c not in "\n\t") or 0x7f <= ord(c) < 0xa0})
    assert not bad, f"control characters {bad!r} in output: {text[:200]!r}"


PROFILE_KEYS = [*(k for k in Profile().model_dump() if k not in ("constraints", "notes")),
                *(f"constraints.{k}" for k in Profile().constraints.model_dump() if k != "notes"), "nonsense", ""]


@BOUNDED
@given(key=st.sampled_from(PROFILE_KEYS), value=TEXT)
@example(key="goals", value="\x1b[2J\x1b]52;c;aGk=\x07")
@example(key="constraints.runway_months", value="720")
def test_any_profile_value_is_stored_or_refused_and_the_session_keeps_working(
    key: str, value: str, run: Run, isolated_home: Path
) -> None:
    code, _, _ = run("profile", "--session", "prop", "--set", "skills=python,statistics", "--json")
    assert code == 0
    code, out, err = run("profile", "--session", "prop", "--set", f"{key}={value}", "--json")
    assert code in (0, 2), err
    if code == 0:
        json_of(out)
    else:
        assert err.startswith("advisor: ") or "usage:" in err
    code, out, err = run("profile", "--session", "prop")  # the session still opens, printed safely
    assert code == 0, err
    assert_printable(out)
    code, out, err = run("profile", "--session", "prop", "--json")
    assert code == 0, err
    stored = json_of(out)
    assert isinstance(stored, dict)
    if key != "skills":
        assert stored["skills"] == ["python", "statistics"]  # the earlier value is still there


@BOUNDED
@given(name=TEXT)
@example(name="keeper\n")
@example(name="\x1b[2Jx")
def test_any_session_name_is_usable_or_refused_and_other_sessions_survive(name: str, run: Run,
                                                                           isolated_home: Path) -> None:
    assert run("profile", "--session", "keeper", "--set", "goals=stay", "--json")[0] == 0
    code, out, err = run("profile", "--session", name, "--set", "skills=rust", "--json")
    assert code in (0, 2), err
    if code == 0:
        json_of(out)
        for action in ("show", "export"):
            code, out, err = run("sessions", action, name)
            assert code in (0, 2), err
            assert_printable(out)
    code, out, err = run("sessions", "list", "--json")
    assert code == 0, err
    names = [s["name"] for s in json_of(out)]  # type: ignore[union-attr]
    assert "keeper" in names
    for listed in names:  # a name is stored in one normal form: no look-alike twins, nothing unprintable
        assert listed == listed.strip() and listed.isprintable(), listed
    code, out, _ = run("profile", "--session", "keeper", "--json")
    assert code == 0 and json_of(out)["goals"] == ["stay"]  # type: ignore[index]


@BOUNDED
@given(query=TEXT, k=st.sampled_from(["1", "5", "0", "-3", "x", "1000"]))
def test_any_search_query_gives_valid_json_or_a_clear_refusal(query: str, k: str, run: Run,
                                                               home_with_index: Path) -> None:
    code, out, err = run("search", query, "-k", k, "--json")
    assert code in (0, 2), err
    if code == 0:
        hits = json_of(out)
        assert isinstance(hits, list) and len(hits) <= int(k)
        assert all({"text", "title", "source", "passage_id", "kind"} <= set(h) for h in hits)
    else:
        assert out == "" and err


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(question=TEXT)
def test_any_question_gets_a_json_answer_and_the_session_keeps_every_turn(question: str, run: Run,
                                                                          home_with_index: Path) -> None:
    code, out, err = run("sessions", "show", "asked", "--json")
    before = json_of(out) if code == 0 else None
    code, out, err = run("ask", question, "--session", "asked", "--json")
    assert code in (0, 2), err
    if code == 0:
        answer = json_of(out)
        assert isinstance(answer, dict) and answer["answer"] and answer["session"] == "asked"
    code, out, err = run("sessions", "show", "asked", "--json")
    if before is None and code != 0:
        return  # nothing was ever stored in this session
    assert code == 0, err
    after = json_of(out)
    assert isinstance(after, dict) and isinstance(before, dict | None)
    old = before["messages"] if isinstance(before, dict) else []
    assert after["messages"][: len(old)] == old  # nothing lost or rewritten
