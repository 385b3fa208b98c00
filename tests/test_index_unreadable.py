"""`advisor index --add FOLDER` with files it cannot read (not UTF-8, a broken PDF): each is skipped with a note
naming it and why, and the rest of the folder is added."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

RunCli = Callable[..., tuple[int, str, str]]


def test_unreadable_files_in_a_folder_are_skipped_and_the_rest_added(run_cli: RunCli, home_with_index: Path,
                                                                     tmp_path: Path) -> None:
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "good.md").write_text("# Pangolin notes\n\nThe pangolin reading group meets on Tuesdays.\n")
    (folder / "latin1.txt").write_bytes("Caf\xe9 notes about the okapi".encode("latin-1"))
    (folder / "broken.pdf").write_bytes(b"%PDF-1.4\n1 0 obj << /Type /Catalog >> garbage, no xref")
    (folder / "also-good.txt").write_text("Notes about the quokka survey.\n")
    code, out, err = run_cli("index", "--add", str(folder), "--json")
    assert code == 0, err
    added = json.loads(out)["added"]
    assert sorted(Path(p).name for p in added) == ["also-good.txt", "good.md"]
    assert "skipped" in err and "latin1.txt: not UTF-8 text" in err and "broken.pdf: not a readable PDF" in err
    code, out, err = run_cli("search", "pangolin reading group", "--kind", "user", "--json")
    assert code == 0 and any("pangolin" in hit["text"] for hit in json.loads(out))


def test_a_single_unreadable_file_is_still_an_error(run_cli: RunCli, home_with_index: Path, tmp_path: Path) -> None:
    bad = tmp_path / "latin1.txt"
    bad.write_bytes("Caf\xe9".encode("latin-1"))
    code, _, err = run_cli("index", "--add", str(bad))
    assert code == 2 and "not UTF-8 text" in err and "Traceback" not in err
