"""One client cannot slow another by more than a small factor: while client A sends the largest stateless
histories the server accepts, several at once, client B's median latency stays within 3x of B alone
(`benchmarks/fairness.py` prints the full figures, with the uncapped server beside them)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from benchmarks.fairness import measure, server


@pytest.mark.slow
def test_a_client_sending_the_largest_histories_does_not_starve_another(tmp_path: Path, indexed_home: Path) -> None:
    home = tmp_path / "home"
    shutil.copytree(indexed_home, home)
    with server(home, tmp_path / "serve.log") as base:
        figures = measure(base, requests=8, greedy=3, greedy_timeout=8)
    assert figures["ratio_p50"] <= 3, figures
    assert figures["greedy_refused"] == 0  # A was slowed, not refused (429): its requests waited their turn
