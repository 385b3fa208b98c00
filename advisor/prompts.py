"""Every prompt and answer template lives in `prompts/` as a file with named `{variables}`; `Prompts` renders
them from one folder, the one the settings name (ADVISOR_PROMPTS_DIR), so nothing here reads the environment."""

from __future__ import annotations

import string
from functools import lru_cache
from pathlib import Path

from advisor.errors import DataError

DEFAULT_PROMPTS_DIR = Path(__file__).resolve().parent.parent / "prompts"


class PromptError(DataError, KeyError):
    """A template is missing, or was rendered without one of its variables."""


@lru_cache(maxsize=512)
def _read(directory: Path, name: str) -> str:
    path = directory / f"{name}.txt"
    try:
        return path.read_text(encoding="utf-8").rstrip("\n")
    except FileNotFoundError as exc:
        raise PromptError(f"No template {name!r}: expected the file {path}") from exc


class Prompts:
    """The templates in one folder."""

    def __init__(self, directory: Path = DEFAULT_PROMPTS_DIR) -> None:
        self.directory = directory

    def variables(self, template: str) -> set[str]:
        """The named variables a template expects."""
        return {field for _, field, _, _ in string.Formatter().parse(_read(self.directory, template)) if field}

    def render(self, template: str, **values: object) -> str:
        """Fill `template` with `values`; a variable the template needs but was not given is an error."""
        missing = self.variables(template) - set(values)
        if missing:
            raise PromptError(f"Template {template!r} needs variable(s) {', '.join(sorted(missing))}")
        return _read(self.directory, template).format(**values)


DEFAULT_PROMPTS = Prompts()


def render(template: str, directory: Path | None = None, **values: object) -> str:
    """Render with the templates in `directory` (default: this checkout's `prompts/`)."""
    return Prompts(directory).render(template, **values) if directory else DEFAULT_PROMPTS.render(template, **values)


def variables(template: str, directory: Path | None = None) -> set[str]:
    return Prompts(directory or DEFAULT_PROMPTS_DIR).variables(template)
