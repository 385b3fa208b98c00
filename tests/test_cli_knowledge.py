"""`advisor fields | rank | explain | readings` as a user runs them."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from advisor.settings import PROJECT_ROOT

RunCli = Callable[..., tuple[int, str, str]]
RunJson = Callable[..., object]


def test_rank_json_lists_every_field_in_order(run_json: RunJson) -> None:
    rows = run_json("rank")
    assert isinstance(rows, list) and len(rows) >= 14
    assert [r["rank"] for r in rows] == list(range(1, len(rows) + 1))
    assert rows[0]["id"] == "scalable-oversight" and rows[0]["source_of_rank"] == "essay"
    assert all({"id", "name", "rank", "score", "factors"} <= set(r) for r in rows)
    assert all(r["source_of_rank"] == "model" for r in rows[1:])


def test_rank_with_weights_reports_moves(run_json: RunJson, run_cli: RunCli) -> None:
    rows = run_json("rank", "--weights", "economic_incentive=0,feedback_quality=6")
    assert any(r["baseline_rank"] != r["rank"] for r in rows)
    code, out, _ = run_cli("rank", "--scenario", "trusted-eval-generation")
    assert code == 0
    assert "Evaluations" in out and "moves from #" in out and "feedback quality scored 5 instead of 3" in out


def test_explain_json_has_the_promised_keys(run_json: RunJson) -> None:
    e = run_json("explain", "mech interp")
    assert isinstance(e, dict)
    assert {"id", "rank", "factors", "essay_evidence", "source_of_rank", "caveats"} <= set(e)
    assert e["id"] == "mechanistic-interpretability" and e["source_of_rank"] == "model"
    assert e["essay_evidence"] and all({"passage_id", "text"} <= set(x) for x in e["essay_evidence"])


def test_explain_text_is_readable(run_cli: RunCli) -> None:
    code, out, _ = run_cli("explain", "scalable oversight")
    assert code == 0
    assert out.startswith("Scalable oversight: #1 of")
    assert "Source of the position: the essay (#1)" in out and "[essay-22]" in out


def test_unknown_field_exits_2_with_closest_matches(run_cli: RunCli) -> None:
    code, out, err = run_cli("explain", "mechanistic interpretabilty")
    assert code == 2 and out == ""
    assert "Unknown field" in err and "mechanistic-interpretability" in err


def test_readings_filter_by_field_and_level(run_json: RunJson, run_cli: RunCli) -> None:
    rows = run_json("readings", "--field", "evals", "--level", "intro")
    assert isinstance(rows, list) and rows
    assert all(r["field"] == "evaluations" and r["level"] == "intro" for r in rows)
    assert all({"title", "authors", "year", "url", "level", "field"} <= set(r) for r in rows)
    everything = run_json("readings")
    assert isinstance(everything, list) and len(everything) > len(rows)
    code, out, _ = run_cli("readings", "--field", "agent foundations")
    assert code == 0 and "agent-foundations" in out


def test_bad_weights_exit_2(run_cli: RunCli) -> None:
    code, _, err = run_cli("rank", "--weights", "vibes=3")
    assert code == 2 and "FACTOR=NUMBER" in err


def test_a_broken_card_is_reported_with_file_and_key(
    run_cli: RunCli, knowledge_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    card = knowledge_copy / "fields" / "forecasting.md"
    card.write_text(re.sub(r"level: \w+", "level: beginner", card.read_text(), count=1))
    monkeypatch.setenv("ADVISOR_KNOWLEDGE_DIR", str(knowledge_copy))
    code, _, err = run_cli("fields")
    assert code == 1
    assert re.search(r"forecasting\.md.*key 'readings\.\d+\.level'", err), err


def test_console_script_runs_and_prints_json() -> None:
    env = {**os.environ, "ADVISOR_HOME": str(PROJECT_ROOT / ".pytest_cache" / "home")}
    exe = Path(sys.executable).with_name("advisor")
    done = subprocess.run([str(exe), "rank", "--json"], capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)[0]["id"] == "scalable-oversight"
