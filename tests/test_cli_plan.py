"""`advisor plan`: the transition plan for a session's profile, from the command line, as a person would run it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from advisor.chat.fit import picks
from advisor.knowledge import Knowledge
from advisor.knowledge.profile import Constraints, Profile

EXE = Path(sys.executable).with_name("advisor")


def _run(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ADVISOR_HOME": str(home)}
    return subprocess.run([str(EXE), *args], env=env, capture_output=True, text=True, timeout=120)


def test_a_plan_fits_the_sessions_hours_and_runway_and_plans_the_same_picks(tmp_path: Path,
                                                                            knowledge: Knowledge) -> None:
    home = tmp_path / "home"
    edited = _run(home, "profile", "--session", "me", "--set", "background=nurse", "--set", "skills=statistics",
                  "--set", "constraints.hours_per_week=6", "--set", "constraints.runway_months=4")
    assert edited.returncode == 0, edited.stderr
    got = _run(home, "plan", "--session", "me", "--json")
    assert got.returncode == 0, got.stderr
    plan = json.loads(got.stdout)
    assert plan["hours_per_week"] == 6 and plan["weeks"] == round(4 * 4.33)
    assert sum(s["hours"] for s in plan["steps"]) <= plan["total_hours"] == 6 * plan["weeks"]
    profile = Profile(background=["nurse"], skills=["statistics"],
                      constraints=Constraints(hours_per_week=6, runway_months=4))
    assert plan["fields"] == [r.field_id for r in picks(knowledge, profile, top=2)]  # the chat's picks
    offered = [src.removeprefix("programme:") for s in plan["steps"] for src in s["sources"]
               if src.startswith("programme:")]
    assert knowledge.programmes is not None
    assert not any(knowledge.programmes.programme(p).full_time for p in offered)  # 4 months: keep the job


def test_hours_given_on_the_line_win_and_the_text_says_what_was_assumed(tmp_path: Path) -> None:
    got = _run(tmp_path, "plan", "--hours", "3", "--weeks", "8", "--fields", "evals")
    assert got.returncode == 0, got.stderr
    assert got.stdout.startswith("A plan for Evaluations & dangerous-capability evals: 3 hours a week for 8 weeks")
    fresh = _run(tmp_path, "plan")
    assert "Assumed, since you have not said: 10 hours a week" in fresh.stdout


def test_bad_input_is_a_clear_error(tmp_path: Path) -> None:
    unknown = _run(tmp_path, "plan", "--fields", "evals,basket weaving")
    assert unknown.returncode != 0 and "Unknown field 'basket weaving'" in unknown.stderr
    zero = _run(tmp_path, "plan", "--hours", "0")
    assert zero.returncode != 0 and "between 1 and 100" in zero.stderr
    both = _run(tmp_path, "plan", "--runway", "3", "--weeks", "4")
    assert both.returncode != 0 and "not allowed with" in both.stderr
