"""Meaning-based matching for small labelled sets (intent exemplars, skills, field descriptions): each set is
embedded once per process with the packaged MiniLM model (its vectors taken from the ones shipped beside the
knowledge when its texts are known there); a query is scored against it by cosine similarity."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np

_LOCK = threading.Lock()
_KNOWN: dict[str, np.ndarray] | None = None


def embed(texts: Sequence[str]) -> np.ndarray:
    """Unit vectors for `texts` (rows)."""
    from advisor.search.embeddings import get_embedder

    return get_embedder().embed(list(texts), batch_size=16)


@lru_cache(maxsize=512)
def embed_one(text: str) -> np.ndarray:
    return embed([text])[0]


@dataclass
class Recorder:
    """The fixed texts asked for while it records (`used`), and those that had no shipped vector (`missing`)."""

    used: set[str] = field(default_factory=set)
    missing: set[str] = field(default_factory=set)


_RECORDERS: list[Recorder] = []


@contextlib.contextmanager
def recording() -> Iterator[Recorder]:
    """Record, in every thread, the fixed texts in use: those of each labelled set built or compared with, those
    `known_vectors` is asked for, and the strings of the example files read (to ship their vectors, or to test
    that they ship)."""
    recorder = Recorder()
    _RECORDERS.append(recorder)
    try:
        yield recorder
    finally:
        _RECORDERS.remove(recorder)


def _note(texts: Sequence[str], missing: Sequence[str] = ()) -> None:
    for recorder in list(_RECORDERS):
        recorder.used.update(texts)
        recorder.missing.update(missing)


def note_examples(data: Any) -> None:
    """While recording, note every string in `data` (a data file of examples, as read): each may become a
    labelled text, however rarely the advisor needs it."""
    if not _RECORDERS:
        return
    found: list[str] = []
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            found.append(item)
        elif isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list | tuple):
            stack.extend(item)
    _note(found)


def _shipped() -> dict[str, np.ndarray]:
    global _KNOWN
    if _KNOWN is None:
        from advisor.search.shipped import load_text_vectors
        from advisor.settings import PROJECT_ROOT

        _KNOWN = load_text_vectors(PROJECT_ROOT / "knowledge")
    return _KNOWN


def forget_shipped() -> None:
    """Read the shipped vectors again at the next use (after writing them)."""
    global _KNOWN
    _KNOWN = None


def known_vectors(texts: Sequence[str]) -> np.ndarray:
    """Unit vectors for fixed texts of the knowledge (examples, field facets): the shipped vector of each text
    the shipped file knows, the others embedded now. The same vectors as `embed(texts)` (see `shipped`)."""
    if not texts:
        return np.zeros((0, 384), dtype=np.float32)
    from advisor.search.shipped import text_key

    shipped = _shipped()
    found = {t: v for t in set(texts) if (v := shipped.get(text_key(t))) is not None}
    missing = sorted(set(texts) - set(found))
    _note(texts, missing)
    if missing:
        found.update(zip(missing, embed(missing), strict=True))
    return np.stack([found[t] for t in texts])


class LabelledSet:
    """Texts with labels; `scores(query)` gives each label the mean similarity of its `k` nearest texts."""

    def __init__(self, items: Sequence[tuple[str, str]], k: int = 3) -> None:
        self.labels = [label for label, _ in items]
        self.texts = [text for _, text in items]
        self.k = k
        self._vectors: np.ndarray | None = None
        _note(self.texts)

    def vectors(self) -> np.ndarray:
        _note(self.texts)
        with _LOCK:
            if self._vectors is None:
                self._vectors = known_vectors(self.texts)
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
