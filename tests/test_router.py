"""The intent router: shipped weights fresh against their data, reproducible training, the newer answer types
recognised, and a cold start that embeds only the message."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import yaml

from advisor.chat.offline import intents as intents_module
from advisor.chat.offline.intents import INTENTS, IntentGuess, IntentModel, load_intent_model
from advisor.chat.offline.router import META_FILE, WEIGHTS_FILE, load_router
from advisor.chat.offline.text import normalise
from advisor.chat.offline.train import Setting, freshness, parts_of, read_part, train
from advisor.knowledge import KnowledgeError
from advisor.settings import PROJECT_ROOT

KNOWLEDGE = PROJECT_ROOT / "knowledge"
EVALS = PROJECT_ROOT / "evals"


def test_shipped_weights_are_fresh_against_their_data() -> None:
    today, stored = freshness(KNOWLEDGE, EVALS)
    assert today == stored, "knowledge/router.npy is stale against intents.yaml or the tuning parts: run `make train`"


def test_the_freshness_check_sees_a_changed_example(tmp_path: Path) -> None:
    shutil.copy(KNOWLEDGE / "intents.yaml", tmp_path / "intents.yaml")
    shutil.copy(KNOWLEDGE / META_FILE, tmp_path / META_FILE)
    assert len(set(freshness(tmp_path, EVALS))) == 1
    data = yaml.safe_load((tmp_path / "intents.yaml").read_text(encoding="utf-8"))
    data["intents"]["recap"].append("boil it down for me")
    (tmp_path / "intents.yaml").write_text(yaml.safe_dump(data), encoding="utf-8")
    assert len(set(freshness(tmp_path, EVALS))) == 2


def test_no_evaluation_case_is_copied_into_the_examples() -> None:
    examples = yaml.safe_load((KNOWLEDGE / "intents.yaml").read_text(encoding="utf-8"))["intents"]
    ours = {normalise(t) for texts in examples.values() for t in texts}
    for path in sorted(EVALS.glob("*.yaml")):
        cases = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("cases") or []
        theirs = {normalise(m) for c in cases for m in (c.get("turns") or [c.get("message")]) if isinstance(m, str)}
        assert not ours & theirs, f"{path.name} cases copied into intents.yaml: {sorted(ours & theirs)[:3]}"


def test_every_intent_has_examples_and_no_held_out_part_is_trained_on() -> None:
    meta = json.loads((KNOWLEDGE / META_FILE).read_text(encoding="utf-8"))
    assert tuple(meta["labels"]) == INTENTS
    assert not [p for p in meta["training"]["parts"] if "heldout" in p]
    assert set(parts_of(EVALS, "tuning")) <= set(meta["training"]["parts"]) | {
        p for p in parts_of(EVALS, "tuning") if not read_part(EVALS / f"{p}.yaml")}


@pytest.mark.slow
def test_training_twice_gives_the_same_bytes_and_matches_the_shipped_router(tmp_path: Path) -> None:
    pytest.importorskip("sklearn")
    shipped = json.loads((KNOWLEDGE / META_FILE).read_text(encoding="utf-8"))
    setting = Setting(shipped["training"]["C"], shipped["features"]["cue_scale"], shipped["training"]["class_weight"])
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    train(KNOWLEDGE, EVALS, tmp_path / "a", setting, heldout=False)
    train(KNOWLEDGE, EVALS, tmp_path / "b", setting, heldout=False)
    for name in (WEIGHTS_FILE, META_FILE):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
    assert (tmp_path / "a" / META_FILE).read_bytes() == (KNOWLEDGE / META_FILE).read_bytes()
    # the same data gives the same weights here as on the machine that trained the shipped ones (up to float noise)
    ours, theirs = np.load(tmp_path / "a" / WEIGHTS_FILE), np.load(KNOWLEDGE / WEIGHTS_FILE)
    assert np.allclose(ours, theirs, atol=1e-3)


@pytest.mark.parametrize(("text", "intent"), [
    ("right, and what does a normal working day look like there?", "details"),
    ("does unlearning research require a computer science degree?", "details"),
    ("can you name every area you know about?", "list_fields"),
    ("sorry, what does 'economic incentive' actually mean?", "define"),
    ("is anybody else saying something different from this essay?", "other_views"),
    ("will interpretability still be done by humans in 2031?", "timing"),
    ("should I leave my engineering job or keep it while I learn?", "decision"),
    ("build me a plan for 6 hours a week over the next two months", "plan"),
    ("could you boil all of that down to three bullet points?", "recap"),
    ("why is scalable oversight at the top of the automation list?", "why_rank"),
    ("what if labs pay a fortune to automate safety work?", "what_if"),
    ("what's a good first paper on AI control?", "readings"),
])
def test_the_router_recognises_what_people_ask_for(text: str, intent: str) -> None:
    guess = load_intent_model(KNOWLEDGE).guess(text, normalise(text))
    assert guess.intent == intent, (guess.intent, guess.runner_up, round(guess.confidence, 2))
    assert abs(sum(guess.scores.values()) - 1) < 1e-6 and set(guess.scores) == set(INTENTS)


def test_loading_the_router_embeds_nothing_and_a_guess_embeds_only_the_message(monkeypatch: pytest.MonkeyPatch) -> None:
    embedded: list[list[str]] = []

    class Recorder:
        def embed(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
            embedded.append(list(texts))
            return np.full((len(texts), 384), 1 / np.sqrt(384), dtype=np.float32)

    monkeypatch.setattr("advisor.search.embeddings.get_embedder", lambda *a: Recorder())
    intents_module._embedding.cache_clear()
    model = load_intent_model.__wrapped__(KNOWLEDGE)
    assert embedded == []
    model.guess("hello there, a brand new message", "hello there, a brand new message")
    assert embedded == [["hello there, a brand new message"]]
    intents_module._embedding.cache_clear()


def test_unsure_when_below_the_floor_or_within_the_margin() -> None:
    model = load_intent_model(KNOWLEDGE)
    assert 0 < model.floor < 1 and 0 < model.margin < 1
    sure = IntentGuess("plan", 0.9, "decision", {"plan": 0.9, "decision": 0.05})
    close = IntentGuess("plan", 0.45, "decision", {"plan": 0.45, "decision": 0.45 - model.margin / 2})
    low = IntentGuess("plan", model.floor / 2, "decision", {"plan": model.floor / 2, "decision": 0.0})
    assert not model.unsure(sure)
    assert model.unsure(close) and model.unsure(low)


def test_weights_trained_with_other_cues_fail_loudly_with_the_fix(tmp_path: Path) -> None:
    shutil.copy(KNOWLEDGE / WEIGHTS_FILE, tmp_path / WEIGHTS_FILE)
    meta = json.loads((KNOWLEDGE / META_FILE).read_text(encoding="utf-8"))
    cues = meta["features"]["cues"]
    cues[0], cues[1] = cues[1], cues[0]  # the same cues in another order are other features
    (tmp_path / META_FILE).write_text(json.dumps(meta), encoding="utf-8")
    with pytest.raises(KnowledgeError, match="advisor train"):
        load_router(tmp_path, intents_module.feature_cues())
    (tmp_path / META_FILE).unlink()
    with pytest.raises(KnowledgeError, match="advisor train"):
        IntentModel(load_router(tmp_path, intents_module.feature_cues()), 0.3, 0.1)
