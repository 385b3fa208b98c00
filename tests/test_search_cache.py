"""A search in a new process answers from the saved copy of a local index (its chunks, their vectors and BM25)
without opening Chroma, and finds what the Chroma path finds; a document added, a change to the list of added
documents or to the knowledge sends the next search back to Chroma, which saves the copy again. The knowledge base
kept in the home is read back only while every file is unchanged, so it never hides a malformed card."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from advisor.knowledge import KnowledgeError, load_knowledge
from advisor.knowledge import base as knowledge_base
from advisor.search.chunking import user_document_chunks
from advisor.search.index import ChunkIndex
from advisor.search.retrieve import Hit, Retriever, open_retriever
from advisor.settings import PROJECT_ROOT, load_settings
from benchmarks.quality import QUESTIONS, load_questions

RunCli = Callable[..., tuple[int, str, str]]

SEARCH_IN_A_NEW_PROCESS = """
import json, sys
from advisor.search.retrieve import open_retriever
questions = json.loads(sys.stdin.read())
r = open_retriever()
hits = [[[h.chunk_id, round(h.score, 9)] for h in r.search(q["question"], k=10, kinds=q["kinds"], field=q["field"])]
        for q in questions]
print(json.dumps({"hits": hits, "imported": [m for m in ("chromadb", "bm25s") if m in sys.modules]}))
"""


def questions() -> list[dict[str, Any]]:
    heldout = QUESTIONS.with_name("retrieval_questions_heldout.yaml")
    return [{"question": q.question, "kinds": list(q.kinds) or None, "field": q.field}
            for q in [*load_questions(QUESTIONS), *load_questions(heldout)]]


def test_a_new_process_answers_from_the_saved_copy_without_chroma_and_as_chroma_does(
    home_with_index: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked = questions()
    r = open_retriever(load_settings())
    with monkeypatch.context() as m:
        m.setattr(Retriever, "_saved_copy", lambda self: None)  # the Chroma path (it saves the copy too)
        through_chroma = [[[h.chunk_id, round(h.score, 9)] for h in r.search(q["question"], k=10, kinds=q["kinds"],
                                                                              field=q["field"])]
                          for q in asked]
    r.index.close()

    done = subprocess.run([sys.executable, "-c", SEARCH_IN_A_NEW_PROCESS], input=json.dumps(asked), cwd=PROJECT_ROOT,
                          capture_output=True, text=True, timeout=300, env=os.environ)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["imported"] == []  # neither Chroma nor bm25s was needed
    differ = [(q["question"], got, want) for q, got, want in zip(asked, report["hits"], through_chroma, strict=True)
              if got != want]
    assert not differ, f"{len(differ)} of {len(asked)} questions differ, e.g. {differ[0]}"


@pytest.fixture
def chroma_opened(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every time a search asks for a Chroma client during the test (one answered from the saved copy asks none)."""
    opened: list[str] = []
    real = ChunkIndex.client

    def spy(self: ChunkIndex) -> object:
        opened.append(self.where)
        return real(self)

    monkeypatch.setattr(ChunkIndex, "client", spy)
    return opened


def search(query: str, **filters: Any) -> list[Hit]:
    """A search by a new retriever over the configured home: a new process, as far as any cache is concerned."""
    r = open_retriever(load_settings())
    try:
        return r.search(query, k=3, **filters)
    finally:
        r.index.close()


def write_note(path: Path, word: str) -> Path:
    path.write_text(f"# My notes\n\nMy mentor said the {word} reading group is the best way in.\n", encoding="utf-8")
    return path


def add_a_document(run_cli: RunCli, tmp_path: Path, knowledge_dir: Path) -> Callable[[], bool]:
    note = write_note(tmp_path / "added.md", "zebrafish")
    assert run_cli("index", "--add", str(note))[0] == 0
    return lambda: search("zebrafish reading group")[0].source == str(note.resolve())


def change_the_knowledge(run_cli: RunCli, tmp_path: Path, knowledge_dir: Path) -> Callable[[], bool]:
    card = knowledge_dir / "fields" / "ai-control.md"
    text = card.read_text(encoding="utf-8")
    card.write_text(re.sub(r'^summary: "?', lambda m: f"{m.group(0)}Quokka-proof deployment. ", text, count=1,
                           flags=re.MULTILINE), encoding="utf-8")
    return lambda: search("quokka-proof deployment")[0].passage_id == "field:ai-control#overview"


def change_the_manifest(run_cli: RunCli, tmp_path: Path, knowledge_dir: Path) -> Callable[[], bool]:
    note = str(write_note(tmp_path / "listed.md", "axolotl").resolve())
    # what an `--add` killed right after writing the list of documents leaves: the index as it was
    (Path(os.environ["ADVISOR_HOME"]) / "documents.json").write_text(
        json.dumps({"documents": [note], "indexing": [note]}), encoding="utf-8")
    return lambda: search("axolotl reading group")[0].source == note


def index_a_document_only(run_cli: RunCli, tmp_path: Path, knowledge_dir: Path) -> Callable[[], bool]:
    note = write_note(tmp_path / "indexed.md", "pangolin")
    index = ChunkIndex(load_settings())
    index.add(user_document_chunks(note))  # what an old `--add` killed before it wrote the list leaves
    index.close()
    return lambda: search("pangolin reading group")[0].source == str(note.resolve())


# A search that had something to say ("adding again 1 document", "recorded them") leaves the copy unused once
# more, so that whatever it said is checked again by the next search.
@pytest.mark.parametrize(("change", "searches_through_chroma"),
                         [(add_a_document, 1), (change_the_knowledge, 1), (change_the_manifest, 2),
                          (index_a_document_only, 2)])
def test_after_a_change_searches_go_to_chroma_until_the_copy_is_saved_again(
    change: Callable[[RunCli, Path, Path], Callable[[], bool]], searches_through_chroma: int,
    chroma_opened: list[str], run_cli: RunCli, home_with_index: Path, knowledge_copy: Path, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ADVISOR_KNOWLEDGE_DIR", str(knowledge_copy))
    assert search("debate") and chroma_opened  # the first search reads the index and saves the copy
    chroma_opened.clear()
    assert search("debate") and not chroma_opened  # answered from the copy

    seen = change(run_cli, tmp_path, knowledge_copy)
    through_chroma = []
    for _ in range(searches_through_chroma + 1):
        chroma_opened.clear()
        assert seen()  # the change is found by every search, from Chroma or from the copy
        through_chroma.append(bool(chroma_opened))
    assert through_chroma == [True] * searches_through_chroma + [False]


def test_what_is_wrong_with_the_documents_is_said_by_every_search(home_with_index: Path, chroma_opened: list[str],
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    assert search("debate")
    (home_with_index / "documents.json").write_text('{"documents": ["/half', encoding="utf-8")
    for _ in range(2):  # a copy saved while something was wrong is not used: the next search says it again
        chroma_opened.clear()
        assert search("debate") and chroma_opened
        assert "documents.json" in capsys.readouterr().err


def test_the_lexical_half_scores_as_bm25s_does(home_with_index: Path) -> None:
    import bm25s
    import numpy as np
    import Stemmer

    r = open_retriever(load_settings())
    r.search("debate")
    lexical = r._lexical_index()
    r.index.close()
    stem = Stemmer.Stemmer("english").stemWords
    reference = bm25s.BM25(method="lucene")
    reference.index(bm25s.tokenize(lexical.docs, stopwords="en", stemmer=stem, show_progress=False),
                    show_progress=False)
    for q in questions():
        words = bm25s.tokenize([q["question"]], stopwords="en", stemmer=stem, return_ids=False, show_progress=False)[0]
        assert lexical.bm25 is not None
        ours = lexical.bm25.scores(lexical.words(q["question"]), len(lexical.docs))
        assert np.allclose(ours, reference.get_scores(words) if words else 0.0, atol=1e-6), q["question"]


@pytest.fixture
def parses(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Path]]:
    """The knowledge folders parsed (not read back from the home) during the test."""
    parsed: list[Path] = []
    real = knowledge_base._parse_knowledge

    def counting(directory: Path, texts: dict[str, str]) -> object:
        parsed.append(directory)
        return real(directory, texts)

    monkeypatch.setattr(knowledge_base, "_parse_knowledge", counting)
    yield parsed


def test_the_knowledge_is_read_back_from_the_home_until_a_file_changes(knowledge_copy: Path,
                                                                        parses: list[Path]) -> None:
    first = load_knowledge(knowledge_copy)
    assert load_knowledge(knowledge_copy) == first and parses == [knowledge_copy]  # parsed once, then read back
    card = knowledge_copy / "fields" / "ai-control.md"
    card.write_text(re.sub(r"^name: .*$", "name: Kontrol", card.read_text(encoding="utf-8"), count=1,
                           flags=re.MULTILINE), encoding="utf-8")
    assert load_knowledge(knowledge_copy).field("ai-control").name == "Kontrol" and len(parses) == 2
    card.unlink()  # a card removed is noticed too (the assessments still name it)
    with pytest.raises(KnowledgeError, match="unknown field 'ai-control'"):
        load_knowledge(knowledge_copy)


def test_the_saved_knowledge_never_hides_a_malformed_card(knowledge_copy: Path) -> None:
    name = load_knowledge(knowledge_copy).field("ai-control").name
    card = knowledge_copy / "fields" / "ai-control.md"
    text, before = card.read_text(encoding="utf-8"), card.stat()
    # an edit that keeps the size, with the modification time put back: only the text says it changed
    broken = re.sub(r"^( +score: )[1-5]$", r"\g<1>9", text, count=1, flags=re.MULTILINE)
    assert broken != text and len(broken) == len(text)
    card.write_text(broken, encoding="utf-8")
    os.utime(card, ns=(before.st_atime_ns, before.st_mtime_ns))
    with pytest.raises(KnowledgeError, match=r"ai-control\.md: key 'factors\.\w+\.score'"):
        load_knowledge(knowledge_copy)
    card.write_text(re.sub(r"^name: ", "name: [", text, count=1, flags=re.MULTILINE), encoding="utf-8")
    with pytest.raises(KnowledgeError, match=r"ai-control\.md: front matter is not valid YAML"):
        load_knowledge(knowledge_copy)
    card.write_text(text, encoding="utf-8")
    assert load_knowledge(knowledge_copy).field("ai-control").name == name


def test_a_broken_saved_knowledge_or_a_home_that_cannot_be_written_costs_only_the_parse(
    knowledge_copy: Path, isolated_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, parses: list[Path]
) -> None:
    expected = load_knowledge(knowledge_copy)
    saved = list((isolated_home / "cache").glob("knowledge-*.pickle"))
    assert len(saved) == 1
    saved[0].write_bytes(saved[0].read_bytes()[:100])  # truncated
    assert load_knowledge(knowledge_copy) == expected and len(parses) == 2
    assert load_knowledge(knowledge_copy) == expected and len(parses) == 2  # written again
    (tmp_path / "a-file").write_text("not a folder")
    monkeypatch.setenv("ADVISOR_HOME", str(tmp_path / "a-file" / "home"))
    assert load_knowledge(knowledge_copy) == expected and len(parses) == 3


def test_libyaml_reads_every_knowledge_file_as_the_pure_python_parser_does() -> None:
    import yaml

    files = sorted((PROJECT_ROOT / "knowledge").rglob("*.yaml")) + sorted((PROJECT_ROOT / "knowledge").rglob("*.md"))
    for path in files:
        text = path.read_text(encoding="utf-8")
        if path.suffix == ".md":
            text = text.split("---\n")[1]  # the front matter
        assert knowledge_base._yaml(text) == yaml.safe_load(text), path
