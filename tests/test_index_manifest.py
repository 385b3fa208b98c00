"""The index and the list of documents the user added (documents.json) agree after any crash: a killed
`--add`, a killed `--rebuild`, a deleted index folder, a document indexed but never recorded."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from advisor.search.chunking import user_document_chunks
from advisor.search.index import ChunkIndex
from advisor.search.library import Library
from advisor.settings import Settings, load_settings

RunCli = Callable[..., tuple[int, str, str]]


@pytest.fixture
def settings(home_with_index: Path) -> Settings:
    return load_settings({"ADVISOR_HOME": str(home_with_index)})


def write_notes(folder: Path, words: dict[str, str]) -> dict[str, Path]:
    """One Markdown file per unusual word, each long enough for several chunks."""
    folder.mkdir(parents=True, exist_ok=True)
    out = {}
    for name, word in words.items():
        body = "\n\n".join(f"Paragraph {i} of my notes about {word}: " + "filler words here " * 40
                           for i in range(4))
        path = folder / f"{name}.md"
        path.write_text(f"# Notes on {word}\n\n{body}\n", encoding="utf-8")
        out[word] = path
    return out


def listed(run_cli: RunCli) -> dict[str, dict[str, object]]:
    code, out, err = run_cli("index", "--list", "--json")
    assert code == 0, err
    return {d["path"]: d for d in json.loads(out)}


def found(run_cli: RunCli, word: str) -> list[str]:
    """The files whose passages a search for `word` finds."""
    code, out, err = run_cli("search", word, "--kind", "user", "--json", "-k", "3")
    assert code == 0, err
    return sorted({h["source"] for h in json.loads(out) if word in h["text"]})


def manifest(settings: Settings) -> dict[str, list[str]]:
    return json.loads((settings.home / "documents.json").read_text())


def test_a_deleted_index_folder_gets_the_documents_back(run_cli: RunCli, settings: Settings, tmp_path: Path) -> None:
    notes = write_notes(tmp_path / "notes", {"a": "quetzal", "b": "axolotl"})
    assert run_cli("index", "--add", str(tmp_path / "notes"))[0] == 0
    shutil.rmtree(settings.index_dir)

    code, out, err = run_cli("index", "--list", "--json")
    assert code == 0, err
    docs = {d["path"]: d for d in json.loads(out)}
    assert set(docs) == {str(p.resolve()) for p in notes.values()}
    assert all(d["chunks"] > 0 and d["status"] == "indexed" for d in docs.values())
    assert "adding again 2 document(s)" in err


def test_a_first_search_after_a_killed_rebuild_adds_the_documents_again(run_cli: RunCli, settings: Settings,
                                                                         tmp_path: Path) -> None:
    notes = write_notes(tmp_path / "notes", {"a": "pangolin"})
    assert run_cli("index", "--add", str(notes["pangolin"]))[0] == 0
    index = ChunkIndex(settings)
    index.drop()  # what `--rebuild` does first; killed right after
    assert found(run_cli, "pangolin") == [str(notes["pangolin"].resolve())]
    assert manifest(settings)["documents"] == [str(notes["pangolin"].resolve())]


def test_a_killed_add_is_finished_by_the_next_run(run_cli: RunCli, settings: Settings, tmp_path: Path) -> None:
    notes = write_notes(tmp_path / "notes", {"a": "narwhal"})
    path = str(notes["narwhal"].resolve())
    chunks = user_document_chunks(notes["narwhal"])
    assert len(chunks) >= 3
    # what a run killed half-way through indexing leaves: the manifest entry marked, a few chunks indexed
    (settings.home / "documents.json").write_text(json.dumps({"documents": [path], "indexing": [path]}))
    index = ChunkIndex(settings)
    index.add(chunks[:1])
    index.close()

    docs = listed(run_cli)
    assert docs[path]["chunks"] == len(chunks) and docs[path]["status"] == "indexed"
    assert "indexing" not in manifest(settings)


def test_a_document_indexed_but_never_recorded_survives_a_rebuild(run_cli: RunCli, settings: Settings,
                                                                  tmp_path: Path) -> None:
    notes = write_notes(tmp_path / "notes", {"a": "okapi"})
    index = ChunkIndex(settings)
    index.add(user_document_chunks(notes["okapi"]))  # an old killed `--add`: indexed, manifest never written
    index.close()
    code, out, err = run_cli("index", "--rebuild")
    assert code == 0, err
    assert "documents_readded: 1" in out and "recorded them" in err
    assert manifest(settings)["documents"] == [str(notes["okapi"].resolve())]
    assert found(run_cli, "okapi") == [str(notes["okapi"].resolve())]


def test_a_document_whose_file_moved_is_kept_by_a_rebuild_and_reported_first(run_cli: RunCli, settings: Settings,
                                                                             tmp_path: Path) -> None:
    notes = write_notes(tmp_path / "notes", {"a": "tapir", "b": "dugong"})
    assert run_cli("index", "--add", str(tmp_path / "notes"))[0] == 0
    tapir = str(notes["tapir"].resolve())
    notes["tapir"].rename(tmp_path / "moved-away.md")
    code, out, err = run_cli("index", "--rebuild", "--json")
    assert code == 0, err
    result = json.loads(out)
    assert result["documents_readded"] == 2 and result["documents_missing"] == []
    # said before the rebuild starts, then again when it is put back
    assert err.index("no longer at their path") < err.index("kept 1 document(s) whose files moved, from their copy")
    assert tapir in err and "--remove" in err
    assert found(run_cli, "tapir") == [tapir]  # still searchable, from the copy the rebuild put back
    assert str(listed(run_cli)[tapir]["status"]).startswith("file moved or deleted; kept")
    assert run_cli("index", "--rebuild")[0] == 0  # a second rebuild keeps it too
    assert found(run_cli, "tapir") == [tapir]
    assert run_cli("index", "--remove", tapir)[0] == 0
    assert manifest(settings)["documents"] == [str(notes["dugong"].resolve())]
    assert found(run_cli, "tapir") == [] and not (settings.home / "kept-documents.json").exists()


def test_a_document_gone_before_any_copy_was_kept_is_reported_not_dropped(run_cli: RunCli, settings: Settings,
                                                                         tmp_path: Path) -> None:
    notes = write_notes(tmp_path / "notes", {"a": "tapir"})
    assert run_cli("index", "--add", str(tmp_path / "notes"))[0] == 0
    notes["tapir"].unlink()
    shutil.rmtree(settings.index_dir)  # the index lost it too: nothing to keep it from
    code, out, err = run_cli("index", "--json")
    assert code == 0, err
    assert json.loads(out)["documents_repaired"]["missing"] == [str(notes["tapir"].resolve())]
    assert "gone from disk" in err and "--remove" in err
    assert str(listed(run_cli)[str(notes["tapir"].resolve())]["status"]).startswith("file gone")


def test_the_manifest_is_written_atomically_and_a_corrupt_one_is_a_clear_error(
    run_cli: RunCli, settings: Settings, tmp_path: Path
) -> None:
    notes = write_notes(tmp_path / "notes", {"a": "wombat"})
    assert run_cli("index", "--add", str(notes["wombat"]))[0] == 0
    assert not list(settings.home.glob(".documents-*"))  # no temporary file left behind
    (settings.home / "documents.json").write_text('{"documents": ["/half')
    code, _, err = run_cli("index", "--add", str(notes["wombat"]))
    assert code == 1 and "documents.json" in err and "move it aside" in err
    code, _, err = run_cli("search", "wombat")  # a search still answers, and says what is wrong
    assert code == 0 and "documents.json" in err


def test_parallel_adds_record_every_document(settings: Settings, tmp_path: Path) -> None:
    from concurrent.futures import ThreadPoolExecutor

    notes = write_notes(tmp_path / "notes", {f"n{i}": f"word{i}x" for i in range(6)})

    def add(path: Path) -> None:
        index = ChunkIndex(settings)
        Library(index).add([path])

    with ThreadPoolExecutor(3) as pool:
        list(pool.map(add, notes.values()))
    assert manifest(settings)["documents"] == sorted(str(p.resolve()) for p in notes.values())
