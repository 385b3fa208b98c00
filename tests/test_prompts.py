"""Templates render with their named variables and fail loudly without one."""

from __future__ import annotations

from pathlib import Path

import pytest

from advisor.prompts import PromptError, render, variables
from advisor.settings import PROJECT_ROOT


def test_render_fills_named_variables() -> None:
    assert render("whatif_moved", old=9, new=3, reasons="x") == "moves from #9 to #3 because x."


def test_a_missing_variable_is_an_error_naming_it() -> None:
    with pytest.raises(PromptError, match=r"'whatif_moved' needs variable\(s\) reasons"):
        render("whatif_moved", old=9, new=3)


def test_a_missing_template_names_the_file(tmp_path: Path) -> None:
    with pytest.raises(PromptError, match=r"nope\.txt"):
        render("nope", directory=tmp_path)


def test_every_template_file_parses() -> None:
    for path in (PROJECT_ROOT / "prompts").glob("*.txt"):
        assert isinstance(variables(path.stem), set)
