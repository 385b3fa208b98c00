"""Hybrid search over the index: dense (Chroma) and lexical (BM25) results fused by reciprocal rank.

Each hit is a citable passage with its text, title, source, passage id, kind and field. Filters by kind
(essay, field, reading, assessment, user) and by field apply to both searches.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import shutil
import tempfile
import threading
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from advisor.errors import InputError
from advisor.knowledge import Knowledge, load_knowledge
from advisor.search.chunking import KINDS, Chunk, knowledge_chunks
from advisor.search.index import KNOWLEDGE_KINDS, ChunkIndex, Progress, SyncReport, chroma_where, tqdm_progress
from advisor.settings import Settings, load_settings

RRF_K = 60
POOL = 10  # candidates per half before fusion: measured best on the question set (benchmarks/RESULTS.md)


class SearchInputError(InputError, ValueError):
    """A search the user asked for that cannot be run (empty query, unknown kind)."""


@dataclass(frozen=True)
class Hit:
    text: str
    title: str
    source: str
    passage_id: str
    kind: str
    field_id: str
    score: float
    chunk_id: str

    @property
    def url(self) -> str | None:
        return self.source if self.source.startswith("http") else None

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "url": self.url, "score": round(self.score, 6)}


def knowledge_fingerprint(chunks: Sequence[Chunk]) -> str:
    return hashlib.sha256("\n".join(sorted(c.id for c in chunks)).encode()).hexdigest()[:16]


def _tokenize(texts: list[str]) -> list[list[str]]:
    import bm25s
    import Stemmer

    stemmer = Stemmer.Stemmer("english")
    tokens = bm25s.tokenize(texts, stopwords="en", stemmer=stemmer.stemWords, return_ids=False, show_progress=False)
    return tokens


class _Lexical:
    """BM25 over every chunk in the index, rebuilt when the index's revision changes, and saved on disk so
    that a new process loads it instead of fetching and tokenizing every chunk again."""

    def __init__(self, revision: str, ids: list[str], docs: list[str], metas: list[dict[str, Any]],
                 bm25: Any = None) -> None:
        import bm25s

        self.revision = revision
        self.ids, self.docs, self.metas = ids, docs, metas
        self.kinds = np.array([m.get("kind", "") for m in metas])
        self.bm25 = bm25 or bm25s.BM25()
        if docs and bm25 is None:
            self.bm25.index(_tokenize(docs), show_progress=False)

    def save(self, folder: Path) -> None:
        """Write atomically: a half-written cache is never read (a new folder is renamed into place)."""
        folder.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(dir=folder.parent, prefix=".lexical-"))
        try:
            if self.docs:
                self.bm25.save(str(tmp / "bm25"))
            rows = {"revision": self.revision, "ids": self.ids, "docs": self.docs, "metas": self.metas}
            (tmp / "rows.json").write_text(json.dumps(rows), encoding="utf-8")
            shutil.rmtree(folder, ignore_errors=True)
            tmp.rename(folder)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    @classmethod
    def load(cls, folder: Path, revision: str) -> _Lexical | None:
        """The saved index if it is of this revision; None when missing, stale or unreadable."""
        import bm25s

        try:
            rows = json.loads((folder / "rows.json").read_text(encoding="utf-8"))
            if rows.get("revision") != revision:
                return None
            bm25 = bm25s.BM25.load(str(folder / "bm25")) if rows["docs"] else None
            return cls(revision, rows["ids"], rows["docs"], rows["metas"], bm25)
        except (OSError, ValueError, KeyError):
            return None

    def search(self, query: str, n: int, mask: np.ndarray | None) -> list[int]:
        if not self.docs:
            return []
        n = min(n, len(self.docs))
        found, scores = self.bm25.retrieve(_tokenize([query]), k=n, show_progress=False, weight_mask=mask)
        return [int(i) for i, s in zip(found[0], scores[0], strict=True) if s > 0]


class Retriever:
    """Searches one index; builds or refreshes the shipped knowledge in it on first use."""

    def __init__(self, index: ChunkIndex, knowledge: Knowledge) -> None:
        self.index = index
        self.knowledge = knowledge
        self._lexical: _Lexical | None = None
        self._ready = False
        self._lock = threading.RLock()  # one build of the index and of BM25, however many threads search

    def knowledge_dir(self) -> Path:
        return self.index.settings.knowledge_dir

    def sync_knowledge(self, progress: Progress | None = None) -> SyncReport:
        """Make the index hold exactly the current knowledge base (user documents are left alone)."""
        from advisor.search.shipped import load_shipped

        chunks = knowledge_chunks(self.knowledge)
        report = self.index.sync(chunks, scope_kinds=KNOWLEDGE_KINDS, progress=progress,
                                 known=load_shipped(self.index.settings.knowledge_dir))
        col = self.index.collection()
        fingerprint = knowledge_fingerprint(chunks)
        if (col.metadata or {}).get("knowledge_fingerprint") != fingerprint:
            col.modify(metadata={**(col.metadata or {}), "knowledge_fingerprint": fingerprint})
        self._ready = True
        return report

    def ensure_ready(self, progress: Progress | None = None) -> None:
        """Index the knowledge base if it is missing or out of date (cheap when it is current), and add again
        the user's documents a crash or a deleted index left out."""
        from advisor.search.library import reconcile_documents

        with self._lock:
            if self._ready:
                return
            col = self.index.collection()
            current = knowledge_fingerprint(knowledge_chunks(self.knowledge))
            if (col.metadata or {}).get("knowledge_fingerprint") != current:
                self.sync_knowledge(progress)
            reconcile_documents(self.index)
            self._ready = True

    def _lexical_index(self) -> _Lexical:
        with self._lock:
            return self._current_lexical()

    def _current_lexical(self) -> _Lexical:
        revision = self.index.revision()
        if self._lexical is None or self._lexical.revision != revision:
            folder = self.index.settings.home / "lexical" / self.index.cache_key()
            lexical = _Lexical.load(folder, revision)
            if lexical is None:
                lexical = _Lexical(revision, *self.index.everything())
                with contextlib.suppress(OSError):  # a read-only home still searches, only slower
                    lexical.save(folder)
            self._lexical = lexical
        return self._lexical

    def search(self, query: str, k: int = 5, kinds: Sequence[str] | None = None, field: str | None = None) -> list[Hit]:
        """The `k` best passages for `query`, fused from dense and lexical search, one hit per passage."""
        query = query.strip()
        if not query:
            raise SearchInputError("The search query is empty; say what you are looking for.")
        if k < 1:
            raise SearchInputError("-k must be at least 1")
        unknown = set(kinds or []) - set(KINDS)
        if unknown:
            raise SearchInputError(f"Unknown kind(s) {sorted(unknown)}; use one of {', '.join(KINDS)}")
        field_id = self.knowledge.field(field).id if field else None
        if not self._ready:
            self.ensure_ready(tqdm_progress("first use: building the search index"))
        pool = max(POOL, k)  # independent of k: a bigger k must not reshuffle the top results

        dense = self._dense(query, pool, kinds, field_id)
        lexical = self._lexical_index()
        mask = None
        if kinds or field_id:
            keep = np.ones(len(lexical.ids), dtype=bool)
            if kinds:
                keep &= np.isin(lexical.kinds, list(kinds))
            if field_id:
                keep &= np.array([bool(m.get(f"field__{field_id}")) for m in lexical.metas])
            mask = keep.astype(np.float32)
        lexical_rows = lexical.search(self._expand(query), pool, mask)

        fused: dict[str, float] = {}
        rows: dict[str, tuple[str, dict[str, Any]]] = {}
        lexical_rank: dict[str, int] = {}
        for rank, (cid, doc, meta) in enumerate(dense):
            fused[cid] = fused.get(cid, 0.0) + 1.0 / (RRF_K + rank + 1)
            rows[cid] = (doc, meta)
        for rank, i in enumerate(lexical_rows):
            cid = lexical.ids[i]
            fused[cid] = fused.get(cid, 0.0) + 1.0 / (RRF_K + rank + 1)
            rows.setdefault(cid, (lexical.docs[i], lexical.metas[i]))
            lexical_rank[cid] = rank

        hits: list[Hit] = []
        seen: set[str] = set()
        # On a tie, an exact word match beats a neighbour in embedding space.
        for cid in sorted(fused, key=lambda c: (-fused[c], lexical_rank.get(c, len(lexical_rows)))):
            doc, meta = rows[cid]
            passage = str(meta.get("passage_id", cid))
            if passage in seen:
                continue
            seen.add(passage)
            hits.append(Hit(str(meta.get("quote") or doc), str(meta.get("title", "")), str(meta.get("source", "")),
                            passage, str(meta.get("kind", "")), str(meta.get("field_id", "")), fused[cid], cid))
            if len(hits) == k:
                break
        return hits

    def _expand(self, query: str) -> str:
        """The query plus the full names of the fields it names by alias ("mech interp" -> "Mechanistic
        interpretability"), so BM25 matches passages that use the other form."""
        from advisor.knowledge.names import field_mentions

        names = [self.knowledge.field(f).name for f in field_mentions(query, self.knowledge)]
        return " ".join([query, *(n for n in names if n.lower() not in query.lower())])

    def _dense(self, query: str, n: int, kinds: Sequence[str] | None,
               field_id: str | None) -> list[tuple[str, str, dict[str, Any]]]:
        from advisor.search.embeddings import get_embedder

        col = self.index.collection()
        where = chroma_where(kinds, field_id=field_id)
        vector = get_embedder().embed([query])
        got = col.query(query_embeddings=vector, n_results=n, where=where,
                        include=["documents", "metadatas"])
        docs = (got["documents"] or [[]])[0]
        metas = (got["metadatas"] or [[]])[0]
        return [(cid, d, dict(m)) for cid, d, m in zip(got["ids"][0], docs, metas, strict=True)]


def open_retriever(settings: Settings | None = None, knowledge: Knowledge | None = None) -> Retriever:
    """A retriever over the configured index (local folder, or the Chroma server in CHROMA_HOST)."""
    settings = settings or load_settings()
    return Retriever(ChunkIndex(settings), knowledge or load_knowledge(settings.knowledge_dir))


_SHARED: dict[tuple[str, str, int, str], Retriever] = {}
_SHARED_LOCK = threading.Lock()


def shared_retriever(settings: Settings, knowledge: Knowledge) -> Retriever:
    """The one retriever of this process for an index (and its BM25), shared by every session and thread."""
    key = (str(settings.index_dir), settings.chroma_host or "", settings.chroma_port, str(settings.knowledge_dir))
    with _SHARED_LOCK:
        if key not in _SHARED:
            _SHARED[key] = open_retriever(settings, knowledge)
        return _SHARED[key]
