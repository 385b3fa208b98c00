"""The intent router: a multinomial logistic regression over a message's features (its MiniLM sentence embedding
plus one binary feature per strong cue), trained by `advisor train` and shipped as data beside the knowledge
(`router.npy`: weights and biases; `router.json`: labels, feature definitions, training settings and the
SHA-256 of the data it was trained on). Inference is numpy only: softmax(W·x + b)."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from advisor.knowledge import KnowledgeError
from advisor.search.embeddings import DIMENSION, MODEL_ID

WEIGHTS_FILE = "router.npy"
META_FILE = "router.json"
FEATURE_VERSION = 1  # bump when the way features are built changes (not the cues: they are hashed themselves)


@dataclass(frozen=True)
class Features:
    """How a message becomes a vector: its unit MiniLM embedding, then each cue as 0 or `cue_scale`."""

    cues: tuple[tuple[str, re.Pattern[str]], ...]
    cue_scale: float = 1.0

    @property
    def size(self) -> int:
        return DIMENSION + len(self.cues)

    def names(self) -> list[str]:
        return [f"minilm[{i}]" for i in range(DIMENSION)] + [f"cue:{name}" for name, _ in self.cues]

    def definition(self) -> dict[str, Any]:
        """What the weights depend on besides the data; stored beside them and part of the data hash."""
        return {"version": FEATURE_VERSION, "embedding": {"model": MODEL_ID, "dimension": DIMENSION},
                "cues": [[name, cue.pattern] for name, cue in self.cues]}  # in the order of the weights

    def cue_matrix(self, normalised: Sequence[str]) -> np.ndarray:
        """0/1 per message (rows) and cue (columns), unscaled."""
        out = np.zeros((len(normalised), len(self.cues)), dtype=np.float32)
        for i, text in enumerate(normalised):
            for j, (_, cue) in enumerate(self.cues):
                if cue.search(text):
                    out[i, j] = 1.0
        return out

    def matrix(self, vectors: np.ndarray, normalised: Sequence[str]) -> np.ndarray:
        """The feature rows of messages whose embeddings are `vectors` and whose normalised texts are given."""
        if vectors.shape != (len(normalised), DIMENSION):
            raise ValueError(f"expected {len(normalised)} embeddings of {DIMENSION}, got {vectors.shape}")
        return np.hstack([vectors.astype(np.float32), self.cue_matrix(normalised) * np.float32(self.cue_scale)])


@dataclass(frozen=True)
class Router:
    """Trained weights: `weights` (labels × features) and `bias` (labels), in the order of `labels`."""

    labels: tuple[str, ...]
    features: Features
    weights: np.ndarray
    bias: np.ndarray
    training: Mapping[str, Any]

    def probabilities(self, rows: np.ndarray) -> np.ndarray:
        """Softmax of W·x + b for each feature row: shape (rows, labels)."""
        logits = rows.astype(np.float64) @ self.weights.T.astype(np.float64) + self.bias.astype(np.float64)
        logits -= logits.max(axis=1, keepdims=True)
        exp = np.exp(logits)
        out: np.ndarray = exp / exp.sum(axis=1, keepdims=True)
        return out

    def classify(self, vector: np.ndarray, normalised: str) -> dict[str, float]:
        """Each label's probability for one message."""
        probs = self.probabilities(self.features.matrix(vector.reshape(1, -1), [normalised]))[0]
        return {label: float(p) for label, p in zip(self.labels, probs, strict=True)}


def save_router(directory: Path, router: Router) -> tuple[Path, Path]:
    """Write `router.npy` and `router.json` in `directory`; the same router always gives the same bytes."""
    matrix = np.hstack([router.weights, router.bias.reshape(-1, 1)]).astype("<f4")
    weights_path, meta_path = directory / WEIGHTS_FILE, directory / META_FILE
    with weights_path.open("wb") as f:
        np.save(f, matrix, allow_pickle=False)
    meta = {"labels": list(router.labels), "features": {**router.features.definition(),
                                                         "cue_scale": router.features.cue_scale},
            "training": dict(router.training)}
    meta_path.write_text(json.dumps(meta, indent=1, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")
    return weights_path, meta_path


def read_meta(directory: Path) -> dict[str, Any]:
    path = directory / META_FILE
    try:
        meta: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        return meta
    except FileNotFoundError as exc:
        raise KnowledgeError(f"{path}: file not found; run `advisor train` (or `make train`) to build it") from exc
    except ValueError as exc:
        raise KnowledgeError(f"{path}: {exc}; run `advisor train` to rebuild it") from exc


def load_router(directory: Path, cues: Sequence[tuple[str, re.Pattern[str]]]) -> Router:
    """The shipped router, checked against the cue features the code defines today."""
    meta = read_meta(directory)
    path = directory / WEIGHTS_FILE
    try:
        labels = tuple(str(x) for x in meta["labels"])
        stored = meta["features"]
        features = Features(tuple(cues), float(stored["cue_scale"]))
        with path.open("rb") as f:
            matrix = np.load(f, allow_pickle=False)
    except FileNotFoundError as exc:
        raise KnowledgeError(f"{path}: file not found; run `advisor train` (or `make train`) to build it") from exc
    except (KeyError, TypeError, ValueError) as exc:
        raise KnowledgeError(f"{directory / META_FILE}: unreadable router ({exc}); run `advisor train`") from exc
    if stored.get("version") != FEATURE_VERSION or stored.get("cues") != features.definition()["cues"] or \
            stored.get("embedding") != features.definition()["embedding"]:
        raise KnowledgeError(f"{directory / META_FILE}: the router was trained with other features than the code "
                             "defines now; run `advisor train` (or `make train`) to rebuild it")
    if matrix.shape != (len(labels), features.size + 1):
        raise KnowledgeError(f"{path}: weights of shape {matrix.shape}, expected {(len(labels), features.size + 1)}; "
                             "run `advisor train`")
    return Router(labels, features, matrix[:, :-1], matrix[:, -1], meta.get("training", {}))
