"""What `advisor index --add` refuses, and what it says while it works: no named pipe or device (reading one
would wait forever), no file over the size limit, and progress on stderr for every long job, also when
stderr is not a terminal."""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from advisor.search.chunking import MAX_DOCUMENT_BYTES, MAX_DOCUMENT_MB

RunCli = Callable[..., tuple[int, str, str]]


def run_with_watchdog(run_cli: RunCli, fifo: Path, *args: str) -> tuple[int, str, str, float]:
    """Run the CLI; if it blocks on the pipe for 20 s, a writer opens it so the test ends (and fails)."""
    done = threading.Event()

    def unblock() -> None:
        if not done.wait(20):
            with open(fifo, "w") as writer:
                writer.write("unblocked")

    watchdog = threading.Thread(target=unblock, daemon=True)
    watchdog.start()
    started = time.monotonic()
    try:
        code, out, err = run_cli(*args)
    finally:
        done.set()
    return code, out, err, time.monotonic() - started


def test_a_named_pipe_is_refused_at_once(run_cli: RunCli, home_with_index: Path, tmp_path: Path) -> None:
    fifo = tmp_path / "x.txt"
    os.mkfifo(fifo)
    code, _, err, seconds = run_with_watchdog(run_cli, fifo, "index", "--add", str(fifo))
    assert seconds < 15, "reading the pipe blocked"
    assert code == 2 and "named pipe" in err and "not a regular file" in err
    assert not (home_with_index / "documents.json").exists()


def test_a_named_pipe_in_a_folder_is_skipped_with_a_note(run_cli: RunCli, home_with_index: Path,
                                                         tmp_path: Path) -> None:
    folder = tmp_path / "notes"
    folder.mkdir()
    os.mkfifo(folder / "pipe.md")
    (folder / "plan.md").write_text("# Plan\n\nApply to the Lychee fellowship.\n")
    code, out, err, seconds = run_with_watchdog(run_cli, folder / "pipe.md", "index", "--add", str(folder), "--json")
    assert seconds < 15 and code == 0, err
    assert list(json.loads(out)["added"]) == [str((folder / "plan.md").resolve())]
    assert "skipped" in err and "pipe.md" in err and "named pipe" in err


def test_a_file_over_the_size_limit_is_refused_with_the_limit(run_cli: RunCli, home_with_index: Path,
                                                               tmp_path: Path) -> None:
    big = tmp_path / "big.txt"
    with open(big, "wb") as handle:  # sparse: costs no disk
        handle.truncate(MAX_DOCUMENT_BYTES + 1)
    started = time.monotonic()
    code, _, err = run_cli("index", "--add", str(big))
    assert time.monotonic() - started < 10
    assert code == 2 and f"limit of {MAX_DOCUMENT_MB} MB" in err and "split it" in err
    folder = tmp_path / "mixed"
    folder.mkdir()
    big.rename(folder / "big.txt")
    (folder / "small.txt").write_text("A note about the Loquat workshop.\n")
    code, out, err = run_cli("index", "--add", str(folder), "--json")
    assert code == 0, err
    assert list(json.loads(out)["added"]) == [str((folder / "small.txt").resolve())]
    assert "skipped" in err and f"limit of {MAX_DOCUMENT_MB} MB" in err


@pytest.mark.parametrize("target", ["/dev/null", "/dev/zero"])
def test_devices_are_refused(run_cli: RunCli, home_with_index: Path, target: str) -> None:
    code, _, err = run_cli("index", "--add", target)
    assert code == 2 and "not a regular file" in err


def test_many_files_show_progress_when_stderr_is_not_a_terminal(run_cli: RunCli, home_with_index: Path,
                                                                 tmp_path: Path) -> None:
    folder = tmp_path / "many"
    folder.mkdir()
    for i in range(200):
        (folder / f"note{i:03}.txt").write_text(f"Note {i}: the meeting about topic {i} went fine.\n")
    code, out, err = run_cli("index", "--add", str(folder), "--json")
    assert code == 0, err
    assert len(json.loads(out)["added"]) == 200
    reading = [line for line in err.splitlines() if line.startswith("advisor: reading documents:")]
    indexing = [line for line in err.splitlines() if line.startswith("advisor: indexing:")]
    assert reading[-1].startswith("advisor: reading documents: 200/200 files (100%)")
    assert indexing[0].startswith("advisor: indexing: 0/200 chunks") and "200/200 chunks (100%)" in indexing[-1]
    assert 3 <= len(indexing) <= 12  # a line per tenth, not one per file


def test_small_jobs_stay_quiet(run_cli: RunCli, home_with_index: Path, tmp_path: Path) -> None:
    note = tmp_path / "note.md"
    note.write_text("# Note\n\nShort.\n")
    code, _, err = run_cli("index", "--add", str(note))
    assert code == 0 and "advisor:" not in err


def test_a_long_job_says_how_long_before_it_starts(home_with_index: Path, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    from advisor.search import library
    from advisor.search.index import ChunkIndex
    from advisor.settings import load_settings

    monkeypatch.setattr(library, "LONG_JOB_CHUNKS", 3)  # stands for thousands of chunks: same code path
    note = tmp_path / "long.md"
    note.write_text("\n\n".join("Paragraph about the Durian seminar. " + "More words here. " * 60 for _ in range(4)))
    said: list[str] = []
    index = ChunkIndex(load_settings({"ADVISOR_HOME": str(home_with_index)}))
    library.Library(index, notify=said.append).add([note])
    index.close()
    assert len(said) == 1 and said[0].startswith("embedding ") and " min " in said[0]
    assert "interrupting is safe" in said[0]
