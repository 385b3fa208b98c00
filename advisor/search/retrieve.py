"""Hybrid search over the index: dense (cosine over the chunks' vectors) and lexical (BM25) results fused by
reciprocal rank.

Each hit is a citable passage with its text, title, source, passage id, kind and field. Filters by kind
(essay, field, reading, assessment, user) and by field apply to both searches. Chroma is the index of record; a
local index is searched from a saved copy of its chunks while its files are as they were when the copy was read, so
a new process does not open Chroma to answer.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import tempfile
import threading
import zipfile
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from advisor.errors import InputError
from advisor.knowledge import Knowledge, load_knowledge
from advisor.search.chunking import KINDS, Chunk, knowledge_chunks
from advisor.search.index import (
    DATABASE_FILE,
    KNOWLEDGE_KINDS,
    ChunkIndex,
    Progress,
    SyncReport,
    chroma_where,
    tqdm_progress,
)
from advisor.settings import Settings, load_settings

RRF_K = 60
POOL = 10  # candidates per half before fusion: measured best on the question set (benchmarks/RESULTS.md)
CACHE_FORMAT = 2  # of the saved copy of the index (`_Lexical.save`); a copy of another format is rebuilt


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


class _BM25:
    """BM25 scores (bm25s's Lucene variant) of every word in every chunk, as a word-major sparse matrix: a query's
    score for a chunk is the sum of its words' scores there. Built with bm25s; searching needs numpy only."""

    def __init__(self, vocab: dict[str, int], data: np.ndarray, indices: np.ndarray, indptr: np.ndarray) -> None:
        self.vocab = vocab
        self.data, self.indices, self.indptr = data, indices, indptr  # word i: data[indptr[i]:indptr[i + 1]]

    @classmethod
    def build(cls, words: list[list[str]]) -> _BM25:
        import bm25s

        bm25 = bm25s.BM25(method="lucene")
        bm25.index(words, show_progress=False)
        s = bm25.scores
        return cls(dict(bm25.vocab_dict), np.asarray(s["data"], dtype=np.float32), np.asarray(s["indices"]),
                   np.asarray(s["indptr"]))

    def scores(self, words: list[str], n: int) -> np.ndarray:
        """The score of each of the `n` chunks for a query of these words (a word said twice counts twice)."""
        out = np.zeros(n, dtype=np.float32)
        for word in words:
            i = self.vocab.get(word)
            if i is not None:
                start, end = self.indptr[i], self.indptr[i + 1]
                np.add.at(out, self.indices[start:end], self.data[start:end])
        return out


_WORD = re.compile(r"(?u)\b\w\w+\b")  # bm25s's (and scikit-learn's) words


def _stopwords() -> list[str]:
    from bm25s.stopwords import STOPWORDS_EN

    return list(STOPWORDS_EN)


def _tokenize(texts: Sequence[str], stopwords: frozenset[str]) -> list[list[str]]:
    """Lower-cased words of two letters or more, stop words left out, stemmed: what `bm25s.tokenize` gives with
    English stop words and PyStemmer, without importing bm25s (its import costs a cold search ~0.4 s)."""
    import Stemmer

    stem = Stemmer.Stemmer("english").stemWords
    return [stem([w for w in _WORD.findall(text.lower()) if w not in stopwords]) for text in texts]


def _top(scores: np.ndarray, n: int, keep: np.ndarray | None) -> list[int]:
    """Rows of the `n` highest scores among those kept, best first; a tie goes to the earlier row."""
    rows = np.flatnonzero(keep) if keep is not None else np.arange(len(scores))
    order = rows[np.argsort(-scores[rows], kind="stable")[:n]]
    return [int(i) for i in order]


class _Lexical:
    """A copy of every chunk in the index (text, metadata and, for a local index, vector) with BM25 over them,
    rebuilt when the index's revision changes and saved on disk, so that a new process loads it instead of fetching
    and tokenizing every chunk again.

    The saved copy also records the knowledge fingerprint the index held and a stamp of the local index's files
    (`_files_stamp`) taken before it was read. While both still hold, a search answers from the copy alone,
    without opening Chroma: exact cosine over the saved vectors, and BM25."""

    def __init__(self, revision: str, ids: list[str], docs: list[str], metas: list[dict[str, Any]],
                 vectors: np.ndarray | None = None, *, stopwords: Sequence[str] | None = None,
                 bm25: _BM25 | None = None, fingerprint: str | None = None,
                 stamp: list[list[int]] | None = None) -> None:
        self.revision = revision
        self.ids, self.docs, self.metas = ids, docs, metas
        self.kinds = np.array([m.get("kind", "") for m in metas])
        self.vectors = vectors
        self.fingerprint = fingerprint  # of the knowledge the index held when this was read
        self.stamp = stamp  # of the index's files, when this copy may answer alone; else None
        self.stopwords = frozenset(_stopwords() if stopwords is None else stopwords)
        self.bm25 = bm25 or (_BM25.build(_tokenize(docs, self.stopwords)) if docs else None)
        self._unit: np.ndarray | None = None

    def save(self, folder: Path) -> None:
        """Write atomically: a half-written cache is never read (a new folder is renamed into place), nor one file
        of one save with the other of another (both name the save)."""
        from advisor.search.embeddings import MODEL_ID

        folder.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(dir=folder.parent, prefix=".lexical-"))
        try:
            arrays = {"save": np.array(tmp.name)}
            if self.bm25 is not None:
                arrays.update(data=self.bm25.data, indices=self.bm25.indices, indptr=self.bm25.indptr)
            if self.vectors is not None:
                arrays["vectors"] = self.vectors
            np.savez(tmp / "arrays.npz", allow_pickle=False, **arrays)
            rows = {"format": CACHE_FORMAT, "save": tmp.name, "revision": self.revision,
                    "fingerprint": self.fingerprint, "stamp": self.stamp, "model": MODEL_ID,
                    "stopwords": sorted(self.stopwords), "vocab": self.bm25.vocab if self.bm25 else {},
                    "ids": self.ids, "docs": self.docs, "metas": self.metas}
            (tmp / "rows.json").write_text(json.dumps(rows), encoding="utf-8")
            shutil.rmtree(folder, ignore_errors=True)
            tmp.rename(folder)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    @classmethod
    def load(cls, folder: Path) -> _Lexical | None:
        """The saved copy; None when missing, unreadable, of another format or of another embedding model."""
        from advisor.search.embeddings import MODEL_ID

        try:
            rows = json.loads((folder / "rows.json").read_text(encoding="utf-8"))
            if rows.get("format") != CACHE_FORMAT or rows.get("model") != MODEL_ID:
                return None
            with np.load(folder / "arrays.npz", allow_pickle=False) as arrays:
                if str(arrays["save"]) != rows["save"]:  # read while another process replaced the folder
                    return None
                bm25 = _BM25(rows["vocab"], arrays["data"], arrays["indices"], arrays["indptr"]) \
                    if rows["docs"] else None
                vectors = arrays["vectors"] if "vectors" in arrays.files else None
            if vectors is not None and vectors.shape[0] != len(rows["ids"]):
                return None
            return cls(rows["revision"], rows["ids"], rows["docs"], rows["metas"], vectors,
                       stopwords=rows["stopwords"], bm25=bm25, fingerprint=rows["fingerprint"], stamp=rows["stamp"])
        except (OSError, ValueError, KeyError, TypeError, zipfile.BadZipFile):
            return None

    def words(self, text: str) -> list[str]:
        """The words BM25 matches in `text`, tokenized as the chunks were."""
        return _tokenize([text], self.stopwords)[0]

    def keep(self, kinds: Sequence[str] | None, field_id: str | None) -> np.ndarray | None:
        """Which rows a search with these filters may return (the same rows as `chroma_where`); None: all."""
        if not kinds and not field_id:
            return None
        keep = np.ones(len(self.ids), dtype=bool)
        if kinds:
            keep &= np.isin(self.kinds, list(kinds))
        if field_id:
            keep &= np.array([bool(m.get(f"field__{field_id}")) for m in self.metas], dtype=bool)
        return keep

    def search(self, query: str, n: int, mask: np.ndarray | None) -> list[int]:
        """Rows of the `n` best BM25 matches (only those with a score; `mask`: 0 drops a row)."""
        if not self.docs or self.bm25 is None:
            return []
        scores = self.bm25.scores(self.words(query), len(self.docs))
        if mask is not None:
            scores *= mask
        return [i for i in _top(scores, n, None) if scores[i] > 0]

    def nearest(self, vector: np.ndarray, n: int, keep: np.ndarray | None) -> list[int]:
        """Rows of the `n` chunks nearest to `vector` by cosine (exact; Chroma's HNSW search approximates it)."""
        if self.vectors is None or not self.ids:
            return []
        if self._unit is None:
            norms = np.linalg.norm(self.vectors, axis=1, keepdims=True)
            self._unit = self.vectors / np.clip(norms, 1e-12, None)
        query = vector / max(float(np.linalg.norm(vector)), 1e-12)
        return _top(self._unit @ query, n, keep)


def _files_stamp(settings: Settings) -> list[list[int]] | None:
    """What identifies the state of the local index's files: the database's SQLite change counter (raised by every
    write transaction, also by Chroma's own bookkeeping when a client opens it) with the identity, size and times of
    the database, of its write-ahead log if any, and of the manifest of added documents. None for a Chroma server,
    when the index has no database, or while a write is in progress (a rollback journal is present)."""
    from advisor.search.library import manifest_file

    if settings.chroma_host:
        return None
    database = settings.index_dir / DATABASE_FILE
    stamp: list[list[int]] = []
    try:
        with open(database, "rb") as handle:
            header = handle.read(100)
            st = os.fstat(handle.fileno())
        if len(header) < 100 or os.path.lexists(f"{database}-journal"):
            return None
        stamp.append([int.from_bytes(header[24:28], "big"), st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns])
        for path in (Path(f"{database}-wal"), manifest_file(settings)):
            try:
                st = path.stat()
                stamp.append([st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns])
            except FileNotFoundError:
                stamp.append([])
    except OSError:
        return None
    return stamp


class Retriever:
    """Searches one index; builds or refreshes the shipped knowledge in it on first use. A local index is searched
    from its saved copy while the copy still describes it (see `_Lexical`), otherwise through Chroma."""

    def __init__(self, index: ChunkIndex, knowledge: Knowledge) -> None:
        self.index = index
        self.knowledge = knowledge
        self._lexical: _Lexical | None = None
        self._ready = False
        self._fingerprint: str | None = None
        self._reconciled: list[list[int]] | None = None  # stamp of the files when ensure_ready found all in order
        self._stamp_tried: list[list[int]] | None = None  # stamp for which the saved copy was last looked at
        self._lock = threading.RLock()  # one build of the index and of BM25, however many threads search

    def knowledge_dir(self) -> Path:
        return self.index.settings.knowledge_dir

    def fingerprint(self) -> str:
        """The fingerprint of this retriever's knowledge (as the index records it once synced)."""
        if self._fingerprint is None:
            self._fingerprint = knowledge_fingerprint(knowledge_chunks(self.knowledge))
        return self._fingerprint

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
        from advisor.search.library import notify_stderr, reconcile_documents

        with self._lock:
            if self._ready:
                return
            notices: list[str] = []

            def notify(message: str) -> None:
                notices.append(message)
                notify_stderr(message)

            with self.index.taking_turns():  # the fingerprint is read afresh: another process may have synced
                if self.index.state()[1].get("knowledge_fingerprint") != self.fingerprint():
                    self.sync_knowledge(progress)
            reconcile_documents(self.index, notify)  # outside: it takes the documents' own lock
            # Only a state found in order may be answered from the saved copy: anything to say is said again by
            # the next search, as it was before there was a copy.
            self._reconciled = None if notices else _files_stamp(self.index.settings)
            self._ready = True

    def _cache_folder(self) -> Path:
        return self.index.settings.home / "lexical" / self.index.cache_key()

    def _saved_copy(self) -> _Lexical | None:
        """The saved copy of the index, when it may answer a search alone: the index is local, its files are as
        they were when the copy was read, and the index then held this retriever's knowledge. Opens no Chroma."""
        with self._lock:
            stamp = _files_stamp(self.index.settings)
            if stamp is None:
                return None
            if self._lexical is None or self._lexical.stamp != stamp:
                if stamp == self._stamp_tried:  # looked at the saved copy for these files already: stale
                    return None
                self._stamp_tried = stamp
                saved = _Lexical.load(self._cache_folder())
                if saved is None or saved.stamp != stamp:
                    return None
                self._lexical = saved
            lexical = self._lexical
            if lexical.vectors is None or lexical.fingerprint != self.fingerprint():
                return None
            return lexical

    def _lexical_index(self) -> _Lexical:
        with self._lock:
            return self._current_lexical()

    def _current_lexical(self) -> _Lexical:
        stamp = _files_stamp(self.index.settings)  # before reading: a later write changes it
        revision, meta = self.index.state()
        folder = self._cache_folder()
        if self._lexical is None or self._lexical.revision != revision:
            lexical = _Lexical.load(folder)
            local = not self.index.settings.chroma_host
            if lexical is None or lexical.revision != revision or (local and lexical.vectors is None):
                with self.index.taking_turns():
                    lexical = _Lexical(revision, *self.index.everything())
            self._lexical = lexical
        lexical = self._lexical
        trusted = stamp if stamp is not None and stamp == self._reconciled else None
        fingerprint = meta.get("knowledge_fingerprint")
        if (lexical.stamp, lexical.fingerprint) != (trusted, fingerprint) or not folder.is_dir():
            lexical.stamp, lexical.fingerprint = trusted, fingerprint
            with contextlib.suppress(OSError):  # a read-only home still searches, only slower
                lexical.save(folder)
        return lexical

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
        pool = max(POOL, k)  # independent of k: a bigger k must not reshuffle the top results

        saved = self._saved_copy()
        if saved is not None:
            lexical = saved
            keep = lexical.keep(kinds, field_id)
            dense = [(lexical.ids[i], lexical.docs[i], lexical.metas[i])
                     for i in lexical.nearest(self._embed(query), pool, keep)]
        else:
            if not self._ready:
                self.ensure_ready(tqdm_progress("first use: building the search index"))
            dense = self._dense(query, pool, kinds, field_id)
            lexical = self._lexical_index()
            keep = lexical.keep(kinds, field_id)
        lexical_rows = lexical.search(self._expand(query), pool, keep)

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

    @staticmethod
    def _embed(query: str) -> np.ndarray:
        from advisor.search.embeddings import get_embedder

        return get_embedder().embed([query])[0]

    def _expand(self, query: str) -> str:
        """The query plus the full names of the fields it names by alias ("mech interp" -> "Mechanistic
        interpretability"), so BM25 matches passages that use the other form."""
        from advisor.knowledge.names import field_mentions

        names = [self.knowledge.field(f).name for f in field_mentions(query, self.knowledge)]
        return " ".join([query, *(n for n in names if n.lower() not in query.lower())])

    def _dense(self, query: str, n: int, kinds: Sequence[str] | None,
               field_id: str | None) -> list[tuple[str, str, dict[str, Any]]]:
        col = self.index.collection()
        where = chroma_where(kinds, field_id=field_id)
        got = col.query(query_embeddings=[self._embed(query)], n_results=n, where=where,
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
