"""Vectors of the shipped knowledge, computed once by the team and kept beside it
(`knowledge/vectors/<model>.npz`, keyed by chunk content hash and embedding model), so a fresh install
builds its index by inserting them instead of embedding every chunk: the first question that searches is
answered about as fast as later ones. A chunk whose text changed has a new hash and is embedded as usual.
`advisor index --ship-vectors` writes the file again after the knowledge changes."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from advisor.search.chunking import Chunk
from advisor.search.embeddings import DIMENSION, MODEL_ID


def shipped_path(knowledge_dir: Path) -> Path:
    return knowledge_dir / "vectors" / f"{MODEL_ID}.npz"


def load_shipped(knowledge_dir: Path) -> dict[str, np.ndarray]:
    """Chunk id -> vector, or nothing when the file is missing, unreadable or for another model."""
    path = shipped_path(knowledge_dir)
    try:
        with np.load(path, allow_pickle=False) as data:
            if str(data["model"]) != MODEL_ID or data["vectors"].shape[1:] != (DIMENSION,):
                return {}
            return dict(zip((str(i) for i in data["ids"]), data["vectors"].astype(np.float32), strict=True))
    except (OSError, KeyError, ValueError):
        return {}


def write_shipped(knowledge_dir: Path, chunks: Sequence[Chunk]) -> Path:
    """Embed every chunk of the shipped knowledge and save the vectors beside it."""
    from advisor.search.embeddings import get_embedder

    path = shipped_path(knowledge_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    ordered = sorted(chunks, key=lambda c: c.id)
    vectors = get_embedder().embed([c.text for c in ordered], batch_size=8)
    tmp = path.with_suffix(".tmp.npz")
    np.savez_compressed(tmp, ids=np.array([c.id for c in ordered]), vectors=vectors, model=np.array(MODEL_ID))
    tmp.replace(path)
    return path
