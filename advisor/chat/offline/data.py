"""Reading the offline advisor's editable data files (intents, lexicon, preferences) with one clear error: the
file's path and what is wrong with it."""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel

from advisor.knowledge import KnowledgeError

M = TypeVar("M", bound=BaseModel)


def read_data(path: Path, model: type[M], **extra: Any) -> M:
    """`path` parsed as YAML and checked against `model` (with `extra` fields added), or a KnowledgeError that
    names the file."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        return model.model_validate({**data, **extra} if extra and isinstance(data, dict) else data)
    except FileNotFoundError as exc:
        raise KnowledgeError(f"{path}: file not found") from exc
    except (yaml.YAMLError, ValueError) as exc:
        raise KnowledgeError(f"{path}: {exc}") from exc
