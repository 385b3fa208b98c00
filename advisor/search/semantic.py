"""Meaning-based matching for small labelled sets (intent exemplars, skills, field descriptions): each set is
embedded once per process with the packaged MiniLM model; a query is scored against it by cosine similarity."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import numpy as np

_LOCK = threading.Lock()


def embed(texts: Sequence[str]) -> np.ndarray:
    """Unit vectors for `texts` (rows)."""
    from advisor.search.embeddings import get_embedder

    return get_embedder().embed(list(texts), batch_size=16)


@lru_cache(maxsize=512)
def embed_one(text: str) -> np.ndarray:
    return embed([text])[0]


class LabelledSet:
    """Texts with labels; `scores(query)` gives each label the mean similarity of its `k` nearest texts."""

    def __init__(self, items: Sequence[tuple[str, str]], k: int = 3) -> None:
        self.labels = [label for label, _ in items]
        self.texts = [text for _, text in items]
        self.k = k
        self._vectors: np.ndarray | None = None

    def vectors(self) -> np.ndarray:
        with _LOCK:
            if self._vectors is None:
                self._vectors = embed(self.texts) if self.texts else np.zeros((0, 384), dtype=np.float32)
            return self._vectors

    def similarities(self, query: str | np.ndarray) -> np.ndarray:
        vector = embed_one(query) if isinstance(query, str) else query
        return self.vectors() @ vector

    def scores(self, query: str | np.ndarray) -> dict[str, float]:
        sims = self.similarities(query)
        by_label: dict[str, list[float]] = {}
        for label, s in zip(self.labels, sims, strict=True):
            by_label.setdefault(label, []).append(float(s))
        return {label: float(np.mean(sorted(v, reverse=True)[: self.k])) for label, v in by_label.items()}

    def nearest(self, query: str | np.ndarray) -> tuple[str, float]:
        """The label of the single nearest text and its similarity."""
        sims = self.similarities(query)
        if not len(sims):
            return "", 0.0
        i = int(np.argmax(sims))
        return self.labels[i], float(sims[i])


def ranked(scores: dict[str, float]) -> list[tuple[str, float]]:
    return sorted(scores.items(), key=lambda kv: -kv[1])


def as_list(value: Any) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list | tuple) else [str(value)]
