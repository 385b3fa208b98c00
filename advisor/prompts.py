"""Every prompt and answer template lives in `prompts/` as a file with named `{variables}`; this renders them."""

from __future__ import annotations

import string
from functools import lru_cache
from pathlib import Path

from advisor.config import load_settings


class PromptError(KeyError):
    """A template is missing, or was rendered without one of its variables."""

    def __str__(self) -> str:
        return str(self.args[0])


@lru_cache(maxsize=256)
def _read(directory: Path, name: str) -> str:
    path = directory / f"{name}.txt"
    try:
        return path.read_text(encoding="utf-8").rstrip("\n")
    except FileNotFoundError as exc:
        raise PromptError(f"No template {name!r}: expected the file {path}") from exc


def variables(template: str, directory: Path | None = None) -> set[str]:
    """The named variables a template expects."""
    text = _read(directory or load_settings().prompts_dir, template)
    return {field for _, field, _, _ in string.Formatter().parse(text) if field}


def render(template: str, directory: Path | None = None, **values: object) -> str:
    """Fill `template` with `values`; a variable the template needs but was not given is an error."""
    text = _read(directory or load_settings().prompts_dir, template)
    missing = variables(template, directory) - set(values)
    if missing:
        raise PromptError(f"Template {template!r} needs variable(s) {', '.join(sorted(missing))}")
    return text.format(**values)
