"""Reading the offline advisor's editable data files (intents, lexicon, preferences) with one clear error: the
file's path and what is wrong with it."""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel

from advisor.knowledge import KnowledgeError
from advisor.search.semantic import note_examples

M = TypeVar("M", bound=BaseModel)
# libyaml's parser when PyYAML was built with it (the same documents, about ten times faster to read).
LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_data(path: Path, model: type[M], **extra: Any) -> M:
    """`path` parsed as YAML and checked against `model` (with `extra` fields added), or a KnowledgeError that
    names the file."""
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=LOADER)  # a safe loader: plain data only
        note_examples(data)  # their vectors ship beside the knowledge (advisor.chat.shipped_texts)
        return model.model_validate({**data, **extra} if extra and isinstance(data, dict) else data)
    except FileNotFoundError as exc:
        raise KnowledgeError(f"{path}: file not found") from exc
    except (yaml.YAMLError, ValueError) as exc:
        raise KnowledgeError(f"{path}: {exc}") from exc
