"""Vectors computed once by the team and kept beside the knowledge, so a fresh process embeds only what is new.

- Chunks (`knowledge/vectors/<model>.npz`, keyed by chunk content hash): a fresh install builds its index by
  inserting them instead of embedding every chunk, so the first question that searches is answered about as
  fast as later ones. A chunk whose text changed has a new hash and is embedded as usual.
- Labelled texts (`knowledge/vectors/<model>.texts.npz`, keyed by a hash of each text): the examples and
  field facets the offline advisor compares a message with, so a cold `advisor ask` embeds only the user's
  words. A text that changed has a new hash and is embedded when first used; a file for another model is
  ignored. The model gives a text the same vector alone or in any batch, so a shipped vector is the one the
  text would get when embedded (bit for bit on the machine that shipped it; another CPU's int8 kernels may
  differ in the seventh decimal, as for the chunks). The file is read from the project's `knowledge/` folder
  whatever ADVISOR_KNOWLEDGE_DIR says: a text's vector does not depend on where the text came from.

`advisor index --ship-vectors` writes both files again after the knowledge changes."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from advisor.search.chunking import Chunk
from advisor.search.embeddings import DIMENSION, MODEL_ID


def shipped_path(knowledge_dir: Path) -> Path:
    return knowledge_dir / "vectors" / f"{MODEL_ID}.npz"


def texts_path(knowledge_dir: Path) -> Path:
    return knowledge_dir / "vectors" / f"{MODEL_ID}.texts.npz"


def text_key(text: str) -> str:
    """The content hash a labelled text's vector is stored under."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def _load(path: Path, key_name: str) -> dict[str, np.ndarray]:
    try:
        with np.load(path, allow_pickle=False) as data:
            if str(data["model"]) != MODEL_ID or data["vectors"].shape[1:] != (DIMENSION,):
                return {}
            return dict(zip((str(i) for i in data[key_name]), data["vectors"].astype(np.float32), strict=True))
    except (OSError, KeyError, ValueError):
        return {}


def load_shipped(knowledge_dir: Path) -> dict[str, np.ndarray]:
    """Chunk id -> vector, or nothing when the file is missing, unreadable or for another model."""
    return _load(shipped_path(knowledge_dir), "ids")


def load_text_vectors(knowledge_dir: Path) -> dict[str, np.ndarray]:
    """`text_key(text)` -> vector, or nothing when the file is missing, unreadable or for another model."""
    return _load(texts_path(knowledge_dir), "keys")


def _save(path: Path, key_name: str, keys: list[str], vectors: np.ndarray) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name.removesuffix(".npz") + ".tmp.npz")
    arrays: dict[str, Any] = {key_name: np.array(keys), "vectors": vectors, "model": np.array(MODEL_ID)}
    np.savez_compressed(tmp, **arrays)
    tmp.replace(path)
    return path


def write_shipped(knowledge_dir: Path, chunks: Sequence[Chunk]) -> Path:
    """Embed every chunk of the shipped knowledge and save the vectors beside it."""
    from advisor.search.embeddings import get_embedder

    ordered = sorted(chunks, key=lambda c: c.id)
    vectors = get_embedder().embed([c.text for c in ordered], batch_size=8)
    return _save(shipped_path(knowledge_dir), "ids", [c.id for c in ordered], vectors)


def write_text_vectors(knowledge_dir: Path, texts: Iterable[str]) -> Path:
    """Embed `texts` and save their vectors beside the knowledge (replacing the file: a text no longer used
    is dropped)."""
    from advisor.search.embeddings import get_embedder

    unique = sorted(set(texts))
    vectors = get_embedder().embed(unique, batch_size=16)
    return _save(texts_path(knowledge_dir), "keys", [text_key(t) for t in unique], vectors)
