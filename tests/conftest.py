"""Shared fixtures: the shipped knowledge base, a writable copy of it, and an isolated advisor home."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from advisor.knowledge import Knowledge, load_knowledge
from advisor.settings import PROJECT_ROOT

KNOWLEDGE_DIR = PROJECT_ROOT / "knowledge"


@pytest.fixture(scope="session")
def knowledge() -> Knowledge:
    return load_knowledge(KNOWLEDGE_DIR)


@pytest.fixture
def knowledge_copy(tmp_path: Path) -> Path:
    """A writable copy of the shipped knowledge base, for tests that break it."""
    target = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE_DIR, target)
    return target


@pytest.fixture(autouse=True)
def isolated_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own advisor home, and no test reaches for a real LLM key."""
    home = tmp_path_factory.mktemp("advisor-home")
    monkeypatch.setenv("ADVISOR_HOME", str(home))
    for var in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "ADVISOR_MODEL", "CHROMA_HOST", "CHROMA_PORT"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("GRADIO_ANALYTICS_ENABLED", "False")
    monkeypatch.setenv("ANONYMIZED_TELEMETRY", "False")
    return home


@pytest.fixture
def run_cli(capsys: pytest.CaptureFixture[str]) -> Callable[..., tuple[int, str, str]]:
    """Run `advisor ARGS...` in process; returns (exit code, stdout, stderr)."""
    from advisor.interfaces.cli import main

    def run(*args: str) -> tuple[int, str, str]:
        code = main(list(args))
        out, err = capsys.readouterr()
        return code, out, err

    return run


@pytest.fixture
def run_json(run_cli: Callable[..., tuple[int, str, str]]) -> Callable[..., object]:
    def run(*args: str) -> object:
        code, out, err = run_cli(*args, "--json")
        assert code == 0, err
        return json.loads(out)

    return run


@pytest.fixture(scope="session")
def indexed_home(tmp_path_factory: pytest.TempPathFactory, knowledge: Knowledge) -> Path:
    """An advisor home whose index holds the shipped knowledge; built once per test session (embedding is
    the slow part), then copied by the tests that need an index."""
    from advisor.search.index import ChunkIndex
    from advisor.search.retrieve import Retriever
    from advisor.settings import load_settings

    home = tmp_path_factory.mktemp("indexed-home")
    retriever = Retriever(ChunkIndex(load_settings({"ADVISOR_HOME": str(home)})), knowledge)
    retriever.sync_knowledge()
    retriever.index.close()
    return home


@pytest.fixture
def home_with_index(isolated_home: Path, indexed_home: Path) -> Path:
    """The test's own advisor home (ADVISOR_HOME), holding a copy of the prebuilt index."""
    shutil.copytree(indexed_home, isolated_home, dirs_exist_ok=True)
    return isolated_home


class Chat:
    """One session of a conversation service, as a person would use it: `ask` returns the settled answer and
    hands each piece of displayed text to `on_token`."""

    def __init__(self, service: Any, session: str = "default", mode: str = "detailed") -> None:
        self.service = service
        self.session = session
        self.mode = mode
        self.knowledge = service.knowledge
        self.events: list[Any] = []

    def ask(self, text: str, on_token: Callable[[str], None] | None = None) -> Any:
        from advisor.chat.events import AnswerText, TurnFinished

        answer = None
        self.events = []
        for event in self.service.ask(self.session, text, self.mode):
            self.events.append(event)
            if isinstance(event, AnswerText) and on_token:
                on_token(event.text)
            if isinstance(event, TurnFinished):
                answer = event.answer
        assert answer is not None
        return answer


def make_service(settings: Any, knowledge: Knowledge, model: str = "offline") -> Any:
    from advisor.chat.models import resolve_backend
    from advisor.chat.service import ConversationService

    return ConversationService(knowledge, settings, resolve_backend(model, settings, knowledge))


@pytest.fixture
def embed_calls(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many texts the embedding model is asked to embed, call by call, during the test."""
    from advisor.search import embeddings

    calls: list[int] = []
    real = embeddings.MiniLMEmbedder.embed

    def counting(self: embeddings.MiniLMEmbedder, texts: list[str], batch_size: int = 32) -> object:
        calls.append(len(texts))
        return real(self, texts, batch_size)

    monkeypatch.setattr(embeddings.MiniLMEmbedder, "embed", counting)
    return calls
