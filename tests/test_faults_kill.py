"""Fault injection: `kill -9` at seeded random moments during `advisor index --add` and `advisor index --rebuild`
(real subprocesses). After each kill, one normal run repairs, and then every document the user added is in the
index whole, the manifest and the index agree, and the knowledge base is searchable."""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from advisor.knowledge import Knowledge
from advisor.search.chunking import knowledge_chunks, user_document_chunks

SEED = 20260611


def advisor(home: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "advisor.interfaces.cli", *args], env=_env(home),
                          capture_output=True, text=True, timeout=timeout)


def _env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "CHROMA_"))}
    return {**env, "ADVISOR_HOME": str(home), "ANONYMIZED_TELEMETRY": "False"}


def kill_at(home: Path, moment: Callable[[], bool], delay: float, *args: str, limit: float = 60) -> bool:
    """Start `advisor ARGS` and SIGKILL it `delay` seconds after `moment()` first holds (polled every 10 ms);
    True if it was still running then (really killed), False if it finished first."""
    proc = subprocess.Popen([sys.executable, "-m", "advisor.interfaces.cli", *args], env=_env(home),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + limit
    while proc.poll() is None and not moment() and time.monotonic() < deadline:
        time.sleep(0.01)
    try:
        proc.wait(timeout=delay)
        return False
    except subprocess.TimeoutExpired:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        return True


def manifest_marks(home: Path, paths: list[str]) -> Callable[[], bool]:
    """The moment `--add` has recorded `paths` as being indexed: it is embedding them now."""
    def moment() -> bool:
        try:
            return set(paths) <= set(json.loads((home / "documents.json").read_text()).get("indexing", []))
        except (OSError, ValueError):
            return False
    return moment


def index_dropped(home: Path) -> Callable[[], bool]:
    """The moment `--rebuild` has deleted the old index (the folder is gone or was made anew)."""
    before = (home / "index").stat().st_ino

    def moment() -> bool:
        try:
            return (home / "index").stat().st_ino != before
        except FileNotFoundError:
            return True
    return moment


def write_documents(folder: Path, n: int) -> dict[str, int]:
    """n Markdown files of a few chunks each; returns resolved path -> number of chunks."""
    folder.mkdir()
    out = {}
    for i in range(n):
        word = f"zqx{i:02d}marker"
        body = "\n\n".join(f"Section {j} about {word}. " + f"Sentence number {j} of note {i} goes on. " * 25
                           for j in range(3))
        path = folder / f"doc{i:02d}.md"
        path.write_text(f"# Note {i}\n\n{body}\n", encoding="utf-8")
        out[str(path.resolve())] = len(user_document_chunks(path))
    return out


def check_everything_is_there(home: Path, expected: dict[str, int], listing: str) -> set[str]:
    """Every listed document is indexed whole; returns the listed paths. Fails on any half-indexed document."""
    docs = {d["path"]: d for d in json.loads(listing)}
    for path, doc in docs.items():
        assert doc["status"] == "indexed", doc
        assert doc["chunks"] == expected[path], (path, doc["chunks"], expected[path])
    file = home / "documents.json"
    manifest = json.loads(file.read_text()) if file.exists() else {"documents": []}
    assert sorted(manifest["documents"]) == sorted(docs)  # the manifest and the index agree
    assert "indexing" not in manifest  # nothing left marked as half-done
    return set(docs)


def test_kill_9_during_add_and_rebuild_loses_no_document(tmp_path: Path, indexed_home: Path,
                                                         knowledge: Knowledge) -> None:
    rng = random.Random(SEED)
    home = tmp_path / "home"
    shutil.copytree(indexed_home, home)
    expected = write_documents(tmp_path / "docs", 12)
    paths = sorted(expected)
    added: set[str] = set()  # documents whose `--add` finished, or that a repair run completed
    killed = 0

    for round_no in range(3):
        batch = paths[round_no * 4:(round_no + 1) * 4]
        # one kill at a random moment from the start (start-up, reading), the others while it embeds
        moment = (lambda: True) if round_no == 0 else manifest_marks(home, batch)
        killed += kill_at(home, moment, rng.uniform(0.3, 3.0) if round_no == 0 else rng.uniform(0.0, 0.6),
                          "index", "--add", *batch)
        repair = advisor(home, "index", "--list", "--json")
        assert repair.returncode == 0, repair.stderr
        listed = check_everything_is_there(home, expected, repair.stdout)
        assert added <= listed, f"lost after a killed --add: {sorted(added - listed)}"
        assert listed <= added | set(batch)
        added = listed
        missing = [p for p in batch if p not in added]
        if missing:  # killed before it recorded them: the user runs the same command again
            again = advisor(home, "index", "--add", *missing, "--json")
            assert again.returncode == 0, again.stderr
            added |= set(missing)

    for _ in range(2):
        killed += kill_at(home, index_dropped(home), rng.uniform(0.0, 2.5), "index", "--rebuild")
        repair = advisor(home, "index", "--list", "--json")  # a normal run: it adds the documents again
        assert repair.returncode == 0, repair.stderr
        assert check_everything_is_there(home, expected, repair.stdout) == added == set(paths)

    search = advisor(home, "search", "zqx07marker", "--kind", "user", "--json", "-k", "1")
    assert search.returncode == 0 and json.loads(search.stdout)[0]["source"].endswith("doc07.md")
    count = advisor(home, "doctor", "--json")
    checks = {c["name"]: c for c in json.loads(count.stdout)["checks"]}
    assert checks["index"]["ok"] and checks["your documents"]["ok"], checks
    n_user = sum(expected.values())
    assert f"{len(knowledge_chunks(knowledge)) + n_user} chunks" in checks["index"]["detail"]
    assert killed >= 3, f"only {killed} of 5 runs were still running when killed: the delays need tuning"
    print(f"killed {killed} of 5 runs; seed {SEED}")


def test_kill_9_during_ask_keeps_every_completed_turn(tmp_path: Path, indexed_home: Path) -> None:
    rng = random.Random(SEED + 1)
    home = tmp_path / "home"
    shutil.copytree(indexed_home, home)
    completed: list[str] = []
    for i in range(2):
        kill_at(home, lambda: True, rng.uniform(1.0, 4.0), "ask", f"killed question {i} about evals",
                "--session", "k")
        question = f"completed question {i}: why is scalable oversight first?"
        done = advisor(home, "ask", question, "--session", "k", "--json")
        assert done.returncode == 0, done.stderr
        completed.append(question)
    shown = advisor(home, "sessions", "show", "k", "--json")
    assert shown.returncode == 0, shown.stderr
    messages = json.loads(shown.stdout)["messages"]
    users = [m["content"] for m in messages if m["role"] == "user"]
    for question in completed:  # every completed turn is there, with its answer right after its question
        at = users.index(question)
        following = messages[[m["content"] for m in messages].index(question) + 1]
        assert at >= 0 and following["role"] == "assistant" and following["content"].strip()
