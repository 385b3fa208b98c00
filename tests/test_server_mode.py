"""Server mode: the same code against a real Chroma server (`chroma run`) on 127.0.0.1."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from advisor.knowledge import Knowledge
from advisor.search.index import ChunkIndex, IndexStoreError
from advisor.search.retrieve import Retriever
from advisor.settings import load_settings
from tests.processes import free_port

pytestmark = pytest.mark.server
RunCli = Callable[..., tuple[int, str, str]]


@pytest.fixture(scope="module")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    port = free_port()
    data = tmp_path_factory.mktemp("chroma-server")
    exe = Path(sys.executable).with_name("chroma")
    log = (data / "server.log").open("w")
    proc = subprocess.Popen([str(exe), "run", "--path", str(data / "db"), "--host", "127.0.0.1", "--port", str(port)],
                            stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=1):
                break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                pytest.fail(f"chroma run did not start: {(data / 'server.log').read_text()[-2000:]}")
            time.sleep(0.2)
    yield port
    proc.terminate()
    proc.wait(timeout=10)
    log.close()


def test_index_and_search_through_a_chroma_server(chroma_server: int, knowledge: Knowledge, tmp_path: Path) -> None:
    settings = load_settings({"ADVISOR_HOME": str(tmp_path), "CHROMA_HOST": "127.0.0.1",
                              "CHROMA_PORT": str(chroma_server)})
    r = Retriever(ChunkIndex(settings), knowledge)
    assert r.index.where == f"Chroma server 127.0.0.1:{chroma_server}"
    first = r.sync_knowledge()
    assert first.added > 100
    assert r.sync_knowledge().added == 0
    hits = r.search("why is scalable oversight ranked first", k=5)
    assert "essay-22" in {h.passage_id for h in hits}
    assert not (tmp_path / "index").exists()  # nothing went to the local disk index


def test_cli_uses_the_server_from_the_environment(chroma_server: int, run_cli: RunCli,
                                                  monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("CHROMA_HOST", "127.0.0.1")
    monkeypatch.setenv("CHROMA_PORT", str(chroma_server))
    note = tmp_path / "team.md"
    note.write_text("# Team notes\n\nOur reading group meets on Thursdays to discuss debate papers.\n")
    code, out, err = run_cli("index", "--add", str(note))
    assert code == 0, err
    assert "Chroma server" in out
    code, out, _ = run_cli("search", "when does the reading group meet", "--kind", "user", "--json")
    assert code == 0 and json.loads(out)[0]["title"] == "Team notes"


def test_a_dead_server_is_a_clear_error(tmp_path: Path, knowledge: Knowledge) -> None:
    settings = load_settings({"ADVISOR_HOME": str(tmp_path), "CHROMA_HOST": "127.0.0.1",
                              "CHROMA_PORT": str(free_port())})
    with pytest.raises(IndexStoreError, match=r"Chroma server is running.*CHROMA_HOST"):
        Retriever(ChunkIndex(settings), knowledge).search("oversight")
