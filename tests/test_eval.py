"""`advisor eval` as CI runs it: the labelled case set through the offline advisor, held to its floors; and
the scorer itself, which must fail a case the advisor gets wrong."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from advisor.chat.evaluation import Case, Outcome, Turn, check_floors, score
from advisor.chat.events import Answer, ToolCalled
from advisor.knowledge import Knowledge


@pytest.mark.slow
def test_the_case_set_meets_its_floors(home_with_index: Path) -> None:
    exe = Path(sys.executable).with_name("advisor")
    run = subprocess.run([str(exe), "eval", "--json"], capture_output=True, text=True, timeout=1200,
                         env={**os.environ, "ADVISOR_HOME": str(home_with_index)})
    assert run.stdout.strip(), run.stderr[-3000:]
    report = json.loads(run.stdout)
    assert run.returncode == 0, {part: r["below_floor"] for part, r in report.items()}
    held = report["heldout"]["figures"]
    assert held["essay_rank_violations"]["value"] == 0 and held["polarity_errors"]["value"] == 0
    assert held["intent"]["cases"] >= 20 and report["tuning"]["figures"]["persona_top3"]["cases"] >= 20
    talks = {part: r["figures"] for part, r in report.items() if part.startswith("conv-")}
    assert {"conv-tuning1", "conv-heldout1"} <= set(talks)  # whole conversations are measured too
    for figures in talks.values():
        assert figures["essay_rank_violations"]["value"] == 0 and figures["turns_pass"]["cases"] >= 40


def _answer(text: str, **kw: object) -> Answer:
    return Answer(answer=text, backend="offline", **kw)  # type: ignore[arg-type]


def test_the_scorer_fails_what_is_wrong(knowledge: Knowledge) -> None:
    persona = Case(id="x-1", kind="persona", message="I'm a nurse", acceptable=["field-building"],
                   unacceptable=["agent-foundations"])
    wrong = score(Outcome(persona, [Turn(_answer("..."), [])]), knowledge)
    assert wrong.checks["persona_top3"] == 0.0
    right = score(Outcome(persona, [Turn(_answer("...", recommendations=["field-building", "forecasting"]), [])]),
                  knowledge)
    assert right.checks["persona_top3"] == 1.0

    polarity = Case(id="x-2", kind="profile", message="...", expect={"interests": ["evaluations"]},
                    forbid={"dislikes": ["evaluations"]})
    profile = {"interests": [], "dislikes": ["evaluations"], "skills": [], "background": [], "constraints": {}}
    scored = score(Outcome(polarity, [Turn(_answer("...", profile=profile), [])]), knowledge)
    assert scored.checks["polarity_errors"] == 1 and scored.checks["profile_recall"] == 0.0

    whatif = Case(id="x-3", kind="what_if", message="...", factor="economic_incentive", direction="down")
    up = ToolCalled(name="rank_fields", args={"weights": {"economic_incentive": 6.0}})
    assert score(Outcome(whatif, [Turn(_answer("..."), [up])]), knowledge).checks["whatif_direction"] == 0.0

    invented = score(Outcome(Case(id="x-4", kind="essay", message="...", honest="not_stated"),
                             [Turn(_answer("The essay ranks mech interp #2 [1].", citations=[]), [])]), knowledge)
    assert invented.checks["essay_rank_violations"] == 1 and invented.checks["citations_valid"] == 0.0
    assert invented.checks["essay_honest"] == 0.0
    assert check_floors({"essay_rank_violations": {"value": 1, "cases": 1}}, {"essay_rank_violations": 0})


def test_parts_are_found_in_the_folder_in_number_order(tmp_path: Path) -> None:
    from advisor.interfaces.cli_eval import parts_in

    for name in ("tuning10", "tuning2", "tuning", "heldout3", "heldout", "floors", "notes"):
        (tmp_path / f"{name}.yaml").write_text("cases: []\n", encoding="utf-8")
    assert parts_in(tmp_path) == ["heldout", "heldout3", "tuning", "tuning2", "tuning10"]
    exe = Path(sys.executable).with_name("advisor")
    run = subprocess.run([str(exe), "eval", "--split", "tuning7", "--cases", str(tmp_path)], capture_output=True,
                         text=True, timeout=60)
    assert run.returncode == 2 and "heldout, heldout3, tuning, tuning2, tuning10" in run.stderr
