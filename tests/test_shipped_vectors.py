"""A fresh install builds its index from the vectors shipped with the knowledge, embedding nothing, so the
first question that searches is about as fast as later ones; a changed chunk is still embedded."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from advisor.knowledge import Knowledge, load_knowledge
from advisor.search import embeddings
from advisor.search.chunking import knowledge_chunks
from advisor.search.index import ChunkIndex
from advisor.search.retrieve import Retriever
from advisor.search.shipped import load_shipped, write_shipped
from advisor.settings import PROJECT_ROOT, load_settings


def test_the_shipped_vectors_cover_the_knowledge(knowledge: Knowledge) -> None:
    shipped = load_shipped(PROJECT_ROOT / "knowledge")
    missing = [c.passage_id for c in knowledge_chunks(knowledge) if c.id not in shipped]
    assert not missing, f"run `advisor index --ship-vectors` after changing the knowledge (missing {missing[:5]})"


def test_a_fresh_index_inserts_the_shipped_vectors(tmp_path: Path, knowledge: Knowledge,
                                                   embed_calls: list[int]) -> None:
    calls = embed_calls
    r = Retriever(ChunkIndex(load_settings({"ADVISOR_HOME": str(tmp_path)})), knowledge)
    report = r.sync_knowledge()
    assert report.added == len(knowledge_chunks(knowledge)) and sum(calls) == 0
    hits = r.search("which fields are safer bets for me", k=3)
    assert hits and sum(calls) == 1  # only the query was embedded
    chunk = next(c for c in knowledge_chunks(knowledge) if c.passage_id == "essay-22")
    stored = r.index.collection().get(ids=[chunk.id], include=["embeddings"])["embeddings"][0]
    assert np.allclose(stored, embeddings.get_embedder().embed([chunk.text])[0], atol=1e-5)


def test_a_changed_card_is_embedded_and_a_foreign_file_is_ignored(tmp_path: Path, knowledge_copy: Path,
                                                                  embed_calls: list[int]) -> None:
    card = knowledge_copy / "fields" / "forecasting.md"
    card.write_text(card.read_text().replace("summary: ", "summary: Quokka-grade forecasting. ", 1))
    changed = load_knowledge(knowledge_copy)
    calls = embed_calls
    settings = load_settings({"ADVISOR_HOME": str(tmp_path / "home"), "ADVISOR_KNOWLEDGE_DIR": str(knowledge_copy)})
    Retriever(ChunkIndex(settings), changed).sync_knowledge()
    assert 0 < sum(calls) < 10  # only the chunks whose text changed
    np.savez(knowledge_copy / "vectors" / "other.npz", ids=np.array(["x"]))
    write_shipped(knowledge_copy, knowledge_chunks(changed))
    assert len(load_shipped(knowledge_copy)) == len(knowledge_chunks(changed))
    bad = knowledge_copy / "vectors" / f"{embeddings.MODEL_ID}.npz"
    bad.write_bytes(b"not an npz file")
    assert load_shipped(knowledge_copy) == {}  # a broken file only costs speed
