"""A dead model endpoint (it accepts connections and never answers): the turn ends at ADVISOR_TURN_DEADLINE with
the offline answer, `advisor ask` exits soon after, and the abandoned request is cancelled: no retry is sent
and its worker stops."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from advisor.chat.models import resolve_backend
from advisor.chat.service import ConversationService
from advisor.knowledge import Knowledge
from advisor.settings import load_settings

QUESTION = "Why is scalable oversight ranked first?"


class DeadEndpoint:
    """Listens on 127.0.0.1, accepts every connection, reads nothing and never answers."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.sock.settimeout(0.2)
        self.accepted: list[float] = []
        self.held: list[socket.socket] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.sock.getsockname()[1]}/v1"

    def _accept(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.accepted.append(time.monotonic())
            self.held.append(conn)

    def close(self) -> None:
        self.stop.set()
        self.thread.join(timeout=5)
        for conn in self.held:
            conn.close()
        self.sock.close()


@pytest.fixture
def dead() -> Iterator[DeadEndpoint]:
    endpoint = DeadEndpoint()
    yield endpoint
    endpoint.close()


def turn_workers() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "advisor-turn" and t.is_alive()]


def test_the_abandoned_request_is_cancelled_and_not_retried(dead: DeadEndpoint, home_with_index: Path,
                                                            knowledge: Knowledge) -> None:
    settings = load_settings({"ADVISOR_HOME": str(home_with_index), "OPENAI_BASE_URL": dead.base_url,
                              "ADVISOR_LLM_RETRIES": "5", "ADVISOR_LLM_TIMEOUT": "60", "ADVISOR_TURN_DEADLINE": "2"})
    service = ConversationService(knowledge, settings, resolve_backend("openai-compatible:dead", settings, knowledge))
    assert not turn_workers()
    started = time.monotonic()
    answer = service.answer("dead", QUESTION)
    took = time.monotonic() - started
    assert answer.backend == "offline (fallback)" and took < 2 + 8
    # The worker of the abandoned turn ends at once (at most one retry pause of the client), and the endpoint
    # saw the one request: the client's five retries were never sent.
    until = time.monotonic() + 2
    while turn_workers() and time.monotonic() < until:
        time.sleep(0.1)
    assert not turn_workers(), "the abandoned turn's worker is still running"
    time.sleep(1)
    assert len(dead.accepted) == 1, f"{len(dead.accepted)} connections: the abandoned request was retried"


@pytest.mark.slow
def test_advisor_ask_exits_soon_after_the_deadline(dead: DeadEndpoint, tmp_path: Path, indexed_home: Path) -> None:
    import shutil

    home = tmp_path / "home"
    shutil.copytree(indexed_home, home)
    env = {k: v for k, v in os.environ.items() if k not in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "ADVISOR_MODEL")}
    env.update(ADVISOR_HOME=str(home), GRADIO_ANALYTICS_ENABLED="False", ANONYMIZED_TELEMETRY="False")

    def ask(**extra: str) -> tuple[float, subprocess.CompletedProcess[str]]:
        started = time.monotonic()
        done = subprocess.run([sys.executable, "-m", "advisor.interfaces.cli", "ask", QUESTION],
                              env={**env, **extra}, capture_output=True, text=True, timeout=180)
        assert done.returncode == 0, done.stderr[-2000:]
        return time.monotonic() - started, done

    offline, _ = ask()  # start-up and the offline answer: the same in both runs
    took, done = ask(ADVISOR_MODEL="openai-compatible:dead", OPENAI_BASE_URL=dead.base_url,
                     ADVISOR_TURN_DEADLINE="3", ADVISOR_LLM_TIMEOUT="60", ADVISOR_LLM_RETRIES="5")
    assert "offline" in done.stdout + done.stderr
    assert took - offline < 3 + 6, f"advisor ask took {took:.1f} s with a 3 s deadline ({offline:.1f} s offline)"
    assert len(dead.accepted) == 1
