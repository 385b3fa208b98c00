"""The advisor's home comes from ADVISOR_HOME or the platform's data folder, never from $HOME itself (read by field
name, the environment's HOME used to become the home: index and sessions landed in the user's home folder), and a
person whose data is still where earlier versions kept it is told where it is."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from advisor.settings import legacy_home_notice, load_settings


def test_home_and_model_are_not_read_from_unrelated_variables(tmp_path: Path) -> None:
    code = "from advisor.settings import load_settings as l; s = l(); print(s.home); print(s.model)"
    env = {"HOME": str(tmp_path), "MODEL": "openai:gpt-4o", "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True).stdout
    home, model = out.split("\n")[:2]
    assert Path(home) != tmp_path and Path(home).is_relative_to(tmp_path) and model == "None"
    env["ADVISOR_HOME"] = str(tmp_path / "chosen")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True).stdout
    assert Path(out.split("\n")[0]) == tmp_path / "chosen"


def test_data_left_in_the_old_home_is_pointed_at_and_not_moved(tmp_path: Path) -> None:
    (tmp_path / "sessions.sqlite3").write_bytes(b"")
    settings = load_settings({"ADVISOR_HOME": str(tmp_path / "new")}).model_copy(update={"home": tmp_path / "new"})
    notice = legacy_home_notice(settings, {"HOME": str(tmp_path)})
    assert notice and f"ADVISOR_HOME={tmp_path}" in notice and (tmp_path / "sessions.sqlite3").exists()
    assert legacy_home_notice(settings, {"HOME": str(tmp_path), "ADVISOR_HOME": str(tmp_path / "new")}) is None
    (tmp_path / "new").mkdir()
    assert legacy_home_notice(settings, {"HOME": str(tmp_path)}) is None  # the new home is in use: nothing to say
