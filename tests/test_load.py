"""A bounded load test on loopback: 20 concurrent multi-turn conversations over HTTP (`advisor serve`,
offline backend) end with no errors and no session holding another's words (benchmarks/load_test.py
measures the same at full length and prints the figures)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from benchmarks.load_test import check_sessions, run_load, server, serving_env


@pytest.mark.slow
def test_twenty_concurrent_conversations_without_errors_or_leaks(tmp_path: Path, indexed_home: Path) -> None:
    home = tmp_path / "home"
    shutil.copytree(indexed_home, home)
    with server(serving_env(home, None), tmp_path / "serve.log") as base:
        report = run_load([base], conversations=20, turns=2, deadline=400)
    assert not report.errors, report.errors[:5]
    assert not report.leaks, report.leaks[:5]
    assert len(report.latencies) == 40
    assert check_sessions({"ADVISOR_HOME": str(home)}, conversations=20, turns=2) == []


def test_the_leak_check_finds_a_leak(tmp_path: Path) -> None:
    """The check above can fail: one session that holds another conversation's words is reported."""
    from advisor.chat.sessions import SQLiteSessionStore
    from advisor.knowledge.profile import Profile

    store = SQLiteSessionStore(tmp_path / "sessions.sqlite3")
    for i, words in enumerate(["My code name is zq000x. I like AI control.", "zq000x and zq001x"]):
        q = store.start_turn(f"load-{i}", words)
        store.finish_turn(f"load-{i}", q, "ok", {}, Profile(interests=["ai-control"]), [])
    problems = check_sessions({"ADVISOR_HOME": str(tmp_path)}, conversations=2, turns=1)
    assert any("load-1: stored messages hold ['zq000x']" in p for p in problems)
    assert any("load-0: profile interests" in p for p in problems)  # load-0 should like adversarial robustness
