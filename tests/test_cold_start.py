"""A cold `advisor ask` embeds only the user's words: the vectors of the fixed texts the offline advisor compares
a message with (examples, field facets) ship beside the knowledge, keyed by a hash of each text, so a text
that changed is embedded instead of being matched with a stale vector. Once a search has saved its copy of the
index, a cold ask opens neither Chroma nor bm25s (their imports were most of its CPU time)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np

from advisor.chat.fit import fixed_texts as card_texts
from advisor.chat.shipped_texts import fixed_texts
from advisor.knowledge import Knowledge
from advisor.search import semantic
from advisor.search.embeddings import get_embedder
from advisor.search.retrieve import open_retriever
from advisor.search.shipped import load_text_vectors, text_key, write_text_vectors
from advisor.settings import PROJECT_ROOT, load_settings

COLD_ASK = """
import json, sys
from advisor.search import semantic
from advisor.search.embeddings import MiniLMEmbedder
embedded = []
real = MiniLMEmbedder.embed
def spy(self, texts, batch_size=32):
    embedded.extend(texts)
    return real(self, texts, batch_size)
MiniLMEmbedder.embed = spy
from advisor.interfaces.cli import main
with semantic.recording() as recorder:
    code = main(["ask", "--session", sys.argv[2], sys.argv[1]])
print(json.dumps({"code": code, "embedded": embedded, "missing": sorted(recorder.missing),
                  "imported": [m for m in ("chromadb", "bm25s") if m in sys.modules]}), file=sys.stderr)
"""


def test_the_shipped_text_vectors_cover_what_the_advisor_compares_with(home_with_index: Path,
                                                                       knowledge: Knowledge) -> None:
    settings = load_settings({"ADVISOR_HOME": str(home_with_index)})
    retriever = open_retriever(settings, knowledge)
    try:
        texts = fixed_texts(knowledge, settings, lambda: retriever)
    finally:
        retriever.index.close()
    shipped = load_text_vectors(PROJECT_ROOT / "knowledge")
    missing = [t for t in texts if text_key(t) not in shipped]
    assert not missing, (f"the shipped vectors are stale: run `advisor index --ship-vectors` after changing the "
                         f"knowledge or its examples ({len(missing)} texts have none, e.g. {missing[:3]})")


def test_a_shipped_vector_is_the_one_the_model_gives(knowledge: Knowledge) -> None:
    texts = card_texts(knowledge)[:24]
    assert np.allclose(semantic.known_vectors(texts), get_embedder().embed(texts), atol=1e-5)


def test_a_changed_text_is_embedded_not_matched_with_a_stale_vector(tmp_path: Path, knowledge: Knowledge) -> None:
    texts = card_texts(knowledge)[:3]
    changed = texts[0] + " Quokka-grade."
    write_text_vectors(tmp_path, texts)
    assert text_key(changed) not in load_text_vectors(tmp_path) and text_key(texts[0]) in load_text_vectors(tmp_path)
    with semantic.recording() as recorder:
        vectors = semantic.known_vectors([changed, texts[1]])
    assert recorder.missing == {changed}
    assert np.allclose(vectors[0], get_embedder().embed([changed])[0], atol=1e-6)
    (tmp_path / "vectors" / next(p.name for p in (tmp_path / "vectors").iterdir())).write_bytes(b"not npz")
    assert load_text_vectors(tmp_path) == {}  # a broken file only costs speed


def cold_ask(home: Path, question: str, session: str = "cold") -> tuple[str, dict[str, Any]]:
    """`advisor ask` in a new process: what it printed, and what it embedded and imported."""
    env = {**os.environ, "ADVISOR_HOME": str(home), "ADVISOR_MODEL": "offline"}
    done = subprocess.run([sys.executable, "-c", COLD_ASK, question, session], cwd=PROJECT_ROOT, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.stderr.strip(), done.stdout
    report: dict[str, Any] = json.loads(done.stderr.strip().splitlines()[-1])
    return done.stdout, report


def test_a_cold_question_embeds_only_the_users_words(home_with_index: Path) -> None:
    out, report = cold_ask(home_with_index, "I'm a nurse, what should I do?")
    assert report["code"] == 0 and "nurse" in out.lower()
    assert report["missing"] == []  # no example or field facet was embedded: their vectors shipped
    assert report["embedded"] and all("nurse" in text.lower() for text in report["embedded"]), report["embedded"]


def test_a_cold_question_after_the_first_opens_neither_chroma_nor_bm25s(home_with_index: Path) -> None:
    question = "I'm a nurse, which fields should I look at?"
    first_out, first = cold_ask(home_with_index, question, "first")  # its search reads the index and saves a copy
    out, report = cold_ask(home_with_index, question, "second")
    assert first["code"] == report["code"] == 0 and "chromadb" in first["imported"]
    assert report["imported"] == []
    assert out == first_out  # the same answer, with the same sources
