"""Training the intent router (`advisor train`, `make train`): multinomial logistic regression (scikit-learn, a dev
dependency) on the labelled examples of `knowledge/intents.yaml` plus the intent-labelled cases of the tuning
parts in `evals/`; the regularisation and the weight of the cue features are chosen by leave-one-part-out over
the tuning parts only. The held-out parts are never fitted on nor used to choose anything: their accuracy is
printed for information. Same data, same bytes."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from advisor.chat.offline.data import read_data
from advisor.chat.offline.intents import INTENTS, IntentExamples, feature_cues
from advisor.chat.offline.router import Features, Router, read_meta, save_router
from advisor.chat.offline.text import normalise
from advisor.errors import DataError

EXAMPLES_PART = "intents.yaml"
PART = re.compile(r"(tuning|heldout)(\d*)")
# (C, cue_scale, class_weight), simplest first: the first best setting wins a tie.
# The cues always count (cue weight > 0): the tuning parts have no case of the newer answer types, so
# leave-one-part-out cannot see what their cues are worth.
GRID: tuple[tuple[float, float, str | None], ...] = tuple(
    (c, s, w) for w in ("balanced", None) for s in (1.0, 0.5, 0.25) for c in (4.0, 16.0, 64.0))


@dataclass(frozen=True)
class Example:
    text: str
    intent: str
    part: str  # "intents.yaml" or the name of the tuning part it comes from


@dataclass(frozen=True)
class Setting:
    C: float
    cue_scale: float
    class_weight: str | None

    def as_dict(self) -> dict[str, Any]:
        return {"C": self.C, "class_weight": self.class_weight}


@dataclass
class TrainReport:
    setting: Setting
    examples: int
    data_sha256: str
    lopo: dict[str, tuple[int, int]] = field(default_factory=dict)  # tuning part -> (correct, cases)
    grid: list[tuple[Setting, float]] = field(default_factory=list)  # each setting's pooled LOPO accuracy
    heldout: dict[str, tuple[int, int]] = field(default_factory=dict)  # for information only
    newer_types: tuple[int, int] = (0, 0)  # 5-fold over intents.yaml: the answer types no tuning part has yet
    written: list[Path] = field(default_factory=list)


def parts_of(evals_dir: Path, kind: str) -> list[str]:
    """The parts of one kind (tuning or heldout) in `evals_dir`, in number order."""
    found = [m for p in evals_dir.glob("*.yaml") if (m := PART.fullmatch(p.stem)) and m.group(1) == kind]
    return [m.group(0) for m in sorted(found, key=lambda m: int(m.group(2) or 1))]


# Cases whose kind says what their message asks for: a self-description alone asks for picks; a reading case
# for readings, a what-if case for a what-if, an essay case about the essay.
IMPLIED = {"persona": "career", "readings": "readings", "what_if": "what_if", "essay": "essay"}


def _listed(path: Path, key: str, what: str) -> list[Any]:
    """The list under `key` in the YAML file `path`, or a DataError naming the file."""
    try:
        items: list[Any] = yaml.safe_load(path.read_text(encoding="utf-8"))[key]
    except (OSError, yaml.YAMLError, KeyError, TypeError) as exc:
        raise DataError(f"{path}: cannot read {what} ({exc})") from exc
    return items


def read_part(path: Path) -> list[Example]:
    """The `intent` cases and the `conversation` cases with an intent label (a conversation counts its last
    message, the one the label is about), and the cases whose kind implies their intent (`IMPLIED`)."""
    cases = _listed(path, "cases", "the case set")
    out = []
    for case in cases:
        implied = IMPLIED.get(str(case.get("kind")))
        if implied and isinstance(case.get("message"), str):  # the kind says what the message asks for
            out.append(Example(case["message"], implied, path.stem))
            continue
        if case.get("kind") not in ("intent", "conversation") or not case.get("intent"):
            continue
        message = (case.get("turns") or [case.get("message")])[-1]
        if case["intent"] not in INTENTS or not isinstance(message, str):
            raise DataError(f"{path}: case {case.get('id')}: intent {case['intent']!r} or its message is not usable")
        out.append(Example(message, case["intent"], path.stem))
    return out


def read_examples(knowledge_dir: Path) -> tuple[IntentExamples, list[Example]]:
    path = knowledge_dir / "intents.yaml"
    examples = read_data(path, IntentExamples)
    examples.check(path)
    return examples, [Example(t, i, EXAMPLES_PART) for i in INTENTS for t in examples.intents.get(i, [])]


def read_conversation_part(path: Path) -> list[Example]:
    """Each turn of a conversation part whose expected answer is one type: the message and that type. (A turn
    that accepts several types says nothing certain about which one it is.)"""
    conversations = _listed(path, "conversations", "the conversation part")
    out = []
    for conversation in conversations:
        for turn in conversation.get("turns") or []:
            answer = (turn.get("expect") or {}).get("answer")
            answer = answer[0] if isinstance(answer, list) and len(answer) == 1 else answer
            if isinstance(answer, str) and answer in INTENTS and isinstance(turn.get("say"), str):
                out.append(Example(turn["say"], answer, f"conv-{path.stem}"))
    return out


def training_data(knowledge_dir: Path, evals_dir: Path) -> tuple[IntentExamples, list[Example]]:
    """intents.yaml's examples, then each tuning part's labelled messages, single messages and the turns of the
    conversation parts (never a held-out part)."""
    examples, rows = read_examples(knowledge_dir)
    for part in parts_of(evals_dir, "tuning"):
        rows += read_part(evals_dir / f"{part}.yaml")
    for part in parts_of(evals_dir / "conversations", "tuning"):
        rows += read_conversation_part(evals_dir / "conversations" / f"{part}.yaml")
    return examples, rows


def data_sha256(examples: IntentExamples, rows: Sequence[Example], features: Features) -> str:
    """What the weights depend on: the examples and their labels, the thresholds, the feature definitions and
    the cues each training message fires (so a change in normalisation shows too)."""
    cues = features.cue_matrix([normalise(r.text) for r in rows]).astype(np.uint8)
    payload = {"examples": [[r.part, r.intent, r.text] for r in rows], "features": features.definition(),
               "thresholds": [examples.confidence_floor, examples.ambiguity_margin],
               "cues_fired": hashlib.sha256(cues.tobytes()).hexdigest()}
    return hashlib.sha256(json.dumps(payload, sort_keys=True, ensure_ascii=False).encode("utf-8")).hexdigest()


def freshness(knowledge_dir: Path, evals_dir: Path) -> tuple[str, str]:
    """(the hash of today's data, the hash the shipped weights were trained on)."""
    examples, rows = training_data(knowledge_dir, evals_dir)
    stored = str(read_meta(knowledge_dir).get("training", {}).get("data_sha256", ""))
    return data_sha256(examples, rows, Features(feature_cues())), stored


class Embeddings:
    """Each text embedded on its own, as at run time (int8 activations are quantised per batch, so a batch
    would change a text's vector slightly)."""

    def __init__(self) -> None:
        self._cache: dict[str, np.ndarray] = {}

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        from advisor.search.embeddings import get_embedder

        embedder = get_embedder()
        for t in texts:
            if t not in self._cache:
                self._cache[t] = embedder.embed([t])[0]
        return np.stack([self._cache[t] for t in texts]) if texts else np.zeros((0, 384), dtype=np.float32)


def fit(rows: np.ndarray, intents: Sequence[str], setting: Setting) -> tuple[np.ndarray, np.ndarray]:
    """Weights (INTENTS × features) and biases of a multinomial logistic regression."""
    from sklearn.linear_model import LogisticRegression
    from threadpoolctl import threadpool_limits

    model = LogisticRegression(C=setting.C, class_weight=setting.class_weight, max_iter=5000, tol=1e-5,
                               random_state=0)
    with threadpool_limits(limits=1):  # one thread: the same sums in the same order on every machine
        model.fit(rows.astype(np.float64), np.array(intents))
    classes = [str(c) for c in model.classes_]
    if sorted(classes) != sorted(INTENTS):
        raise DataError(f"every intent needs examples; missing: {sorted(set(INTENTS) - set(classes))}")
    order = [classes.index(i) for i in INTENTS]
    return model.coef_[order].astype(np.float32), model.intercept_[order].astype(np.float32)


def _predict(weights: np.ndarray, bias: np.ndarray, rows: np.ndarray) -> list[str]:
    return [INTENTS[i] for i in np.argmax(rows @ weights.T + bias, axis=1)]


def leave_one_part_out(data: Sequence[Example], vectors: np.ndarray, normalised: Sequence[str],
                       setting: Setting) -> dict[str, tuple[int, int]]:
    """Per tuning part: fit on intents.yaml and every other tuning part, count the left-out part's hits."""
    rows = Features(feature_cues(), setting.cue_scale).matrix(vectors, normalised)
    out = {}
    for part in dict.fromkeys(r.part for r in data if r.part != EXAMPLES_PART):
        train = [i for i, r in enumerate(data) if r.part != part]
        test = [i for i, r in enumerate(data) if r.part == part]
        weights, bias = fit(rows[train], [data[i].intent for i in train], setting)
        predicted = _predict(weights, bias, rows[test])
        out[part] = (sum(p == data[i].intent for p, i in zip(predicted, test, strict=True)), len(test))
    return out


def newer_types_cv(data: Sequence[Example], vectors: np.ndarray, normalised: Sequence[str],
                   setting: Setting) -> tuple[int, int]:
    """The intents no tuning part labels yet, measured by 5-fold cross-validation over intents.yaml's examples
    (each fold fitted on the other folds and every tuning part): (hits, cases)."""
    from sklearn.model_selection import StratifiedKFold

    rows = Features(feature_cues(), setting.cue_scale).matrix(vectors, normalised)
    in_tuning = {r.intent for r in data if r.part != EXAMPLES_PART}
    own = [i for i, r in enumerate(data) if r.part == EXAMPLES_PART]
    hits = cases = 0
    folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=0)
    for _, test_at in folds.split(own, [data[i].intent for i in own]):
        test = [own[j] for j in test_at]
        held = set(test)
        train = [i for i in range(len(data)) if i not in held]
        weights, bias = fit(rows[train], [data[i].intent for i in train], setting)
        for p, i in zip(_predict(weights, bias, rows[test]), test, strict=True):
            if data[i].intent not in in_tuning:
                hits, cases = hits + (p == data[i].intent), cases + 1
    return hits, cases


def pooled(figures: dict[str, tuple[int, int]]) -> float:
    cases = sum(n for _, n in figures.values())
    return sum(c for c, _ in figures.values()) / cases if cases else 0.0


def train(knowledge_dir: Path, evals_dir: Path, out_dir: Path | None = None, setting: Setting | None = None,
          heldout: bool = True, progress: Callable[[str], None] = lambda _: None) -> TrainReport:
    """Choose the setting by leave-one-part-out (unless given), fit on all the training data, write the router
    to `out_dir` (default: `knowledge_dir`) and score the held-out parts for information."""
    examples, data = training_data(knowledge_dir, evals_dir)
    embed = Embeddings()
    progress(f"embedding {len(data)} training messages")
    vectors = embed([r.text for r in data])
    normalised = [normalise(r.text) for r in data]
    features = Features(feature_cues())
    report = TrainReport(setting or Setting(*GRID[0]), len(data), data_sha256(examples, data, features))
    if setting is None:
        progress(f"choosing C, cue weight and class weights by leave-one-part-out ({len(GRID)} settings)")
        for grid_setting in (Setting(*g) for g in GRID):
            report.grid.append((grid_setting, pooled(leave_one_part_out(data, vectors, normalised, grid_setting))))
        report.setting = max(report.grid, key=lambda sa: sa[1])[0]  # max keeps the first of equals
        report.lopo = leave_one_part_out(data, vectors, normalised, report.setting)
        report.newer_types = newer_types_cv(data, vectors, normalised, report.setting)
    features = Features(feature_cues(), report.setting.cue_scale)
    weights, bias = fit(features.matrix(vectors, normalised), [r.intent for r in data], report.setting)
    training = {**report.setting.as_dict(), "confidence_floor": examples.confidence_floor,
                "ambiguity_margin": examples.ambiguity_margin, "data_sha256": report.data_sha256,
                "examples": len(data), "parts": list(dict.fromkeys(r.part for r in data))}
    router = Router(INTENTS, features, weights, bias, training)
    report.written = list(save_router(out_dir or knowledge_dir, router))
    if heldout:
        for part in parts_of(evals_dir, "heldout"):
            cases = read_part(evals_dir / f"{part}.yaml")
            if cases:
                texts = [c.text for c in cases]
                predicted = _predict(weights, bias, features.matrix(embed(texts), [normalise(t) for t in texts]))
                report.heldout[part] = (sum(p == c.intent for p, c in zip(predicted, cases, strict=True)),
                                        len(cases))
    return report
