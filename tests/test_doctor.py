"""`advisor doctor`: every check says ok or what to fix; exit 0 when all is well, 1 otherwise; `--json`; it
reads only (a fresh home stays untouched)."""

from __future__ import annotations

import json
import shutil
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.scripted_llm import ScriptedLLMServer, scripted_llm_fixture  # noqa: F401

RunCli = Callable[..., tuple[int, str, str]]


def doctor(run_cli: RunCli) -> tuple[int, dict[str, dict[str, object]]]:
    code, out, err = run_cli("doctor", "--json")
    assert "Traceback" not in err
    report = json.loads(out)
    checks = {c["name"]: c for c in report["checks"]}
    assert report["ok"] is (code == 0) and report["ok"] is all(c["ok"] for c in checks.values())
    assert all(c["fix"] for c in checks.values() if not c["ok"])  # every problem says what to do
    return code, checks


def test_a_fresh_install_is_healthy_and_the_doctor_creates_nothing(run_cli: RunCli, isolated_home: Path) -> None:
    home = isolated_home / "fresh"
    import os

    os.environ["ADVISOR_HOME"] = str(home)  # the autouse fixture restores it
    code, checks = doctor(run_cli)
    assert code == 0, checks
    assert set(checks) == {"install", "embedding model", "knowledge", "data folder", "index", "your documents",
                           "session store", "model endpoint"}
    assert not home.exists()
    code, out, _ = run_cli("doctor")
    assert code == 0 and "Everything looks fine." in out and "PROBLEM" not in out


def test_a_corrupt_index_is_a_problem_with_the_fix(run_cli: RunCli, home_with_index: Path) -> None:
    assert doctor(run_cli)[0] == 0
    shutil.rmtree(home_with_index / "index")
    (home_with_index / "index").mkdir()
    (home_with_index / "index" / "chroma.sqlite3").write_bytes(b"not a database" * 100)
    code, checks = doctor(run_cli)
    assert code == 1 and not checks["index"]["ok"] and "advisor index --rebuild" in str(checks["index"]["fix"])
    code, out, _ = run_cli("doctor")
    assert code == 1 and "PROBLEM  index" in out and "fix: " in out


def test_documents_the_index_lost_are_a_problem_until_advisor_index(run_cli: RunCli, home_with_index: Path,
                                                                   tmp_path: Path) -> None:
    note = tmp_path / "note.md"
    note.write_text("# Note\n\nThe Cassowary reading group meets on Fridays.\n")
    (home_with_index / "documents.json").write_text(json.dumps({"documents": [str(note.resolve())]}))
    code, checks = doctor(run_cli)
    assert code == 1 and "missing from the index" in str(checks["your documents"]["detail"])
    assert "advisor index" in str(checks["your documents"]["fix"])
    assert run_cli("index")[0] == 0
    code, checks = doctor(run_cli)
    assert code == 0 and "1 added, all in the index" in str(checks["your documents"]["detail"])


@pytest.mark.parametrize("damage", ["empty", "garbage", "foreign"])
def test_a_damaged_session_store_is_a_problem(damage: str, run_cli: RunCli, isolated_home: Path) -> None:
    db = isolated_home / "sessions.sqlite3"
    if damage == "empty":
        db.write_bytes(b"")
    elif damage == "garbage":
        db.write_bytes(b"SQLite format 3\x00" + b"\xff" * 4000)
    else:
        conn = sqlite3.connect(db)
        conn.execute("CREATE TABLE photos (id INTEGER)")
        conn.commit()
        conn.close()
    before = db.read_bytes()
    code, checks = doctor(run_cli)
    assert code == 1 and not checks["session store"]["ok"], checks["session store"]
    assert db.read_bytes() == before  # the doctor reads only


def test_a_data_folder_that_is_a_file_is_a_problem(run_cli: RunCli, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    monkeypatch.setenv("ADVISOR_HOME", str(blocker / "home"))
    code, checks = doctor(run_cli)
    assert code == 1 and not checks["data folder"]["ok"] and "ADVISOR_HOME" in str(checks["data folder"]["fix"])


def test_the_model_endpoint_is_checked_only_when_configured(run_cli: RunCli, isolated_home: Path,
                                                            scripted_llm: ScriptedLLMServer,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    assert doctor(run_cli)[1]["model endpoint"]["detail"] == "offline backend: no endpoint to reach"
    monkeypatch.setenv("ADVISOR_MODEL", "openai-compatible:scripted")
    monkeypatch.setenv("OPENAI_BASE_URL", scripted_llm.base_url.replace("http://", "http://ann:s3cret-pw@"))
    code, checks = doctor(run_cli)
    assert code == 0 and "answers" in str(checks["model endpoint"]["detail"])
    monkeypatch.setenv("ADVISOR_MODEL", "openai-compatible:not-served")
    code, checks = doctor(run_cli)
    assert code == 1 and "scripted" in str(checks["model endpoint"]["fix"])
    scripted_llm.stop()
    started = time.monotonic()
    code, out, _ = run_cli("doctor", "--json")
    assert time.monotonic() - started < 15
    checks = {c["name"]: c for c in json.loads(out)["checks"]}
    assert code == 1 and "cannot reach" in str(checks["model endpoint"]["detail"])
    assert "s3cret-pw" not in out


def test_a_bad_setting_is_reported_not_raised(run_cli: RunCli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ADVISOR_LLM_TIMEOUT", "soon")
    code, checks = doctor(run_cli)
    assert code == 1 and "ADVISOR_LLM_TIMEOUT" in str(checks["configuration"]["detail"])
    assert checks["install"]["ok"]
