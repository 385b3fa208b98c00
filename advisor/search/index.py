"""The Chroma index of chunks: on disk under the advisor's home, or on a Chroma server when configured.

Syncing is idempotent (content-hash ids): unchanged chunks cost nothing, changed or deleted ones are
replaced or removed, and a run killed half-way is repaired by the next one. The embedding model's id and
dimension are stored on the collection, so an index built with another model is refused with the fix.
"""

from __future__ import annotations

import contextlib
import hashlib
import shutil
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from advisor.errors import ServiceError
from advisor.search.chunking import Chunk
from advisor.settings import Settings

if TYPE_CHECKING:
    import numpy as np
    from chromadb.api import ClientAPI
    from chromadb.api.models.Collection import Collection

COLLECTION = "advisor-knowledge"
DATABASE_FILE = "chroma.sqlite3"  # where a local index keeps everything Chroma stores (in `Settings.index_dir`)
KNOWLEDGE_KINDS = ["essay", "field", "reading", "assessment"]
BATCH = 64  # chunks stored per write: what a killed run keeps
EMBED_BATCH = 8  # texts per model call: measured fastest on 2 cores (benchmarks/RESULTS.md)
PAGE = 5000  # rows per read
REBUILD_HINT = (
    "Run `advisor index --rebuild` to rebuild it from the knowledge base (documents you added are re-added)."
)


def chroma_where(kinds: Sequence[str] | None = None, source: str | None = None,
                 field_id: str | None = None) -> dict[str, Any] | None:
    """A Chroma `where` filter for chunks of these kinds, from this source, about this field."""
    clauses: list[dict[str, Any]] = []
    if kinds:
        clauses.append({"kind": {"$in": list(kinds)}})
    if source:
        clauses.append({"source": source})
    if field_id:
        clauses.append({f"field__{field_id}": True})
    if len(clauses) > 1:
        return {"$and": clauses}
    return clauses[0] if clauses else None


class IndexStoreError(ServiceError):
    """The index cannot be opened or used; the message says how to fix it."""


@dataclass(frozen=True)
class SyncReport:
    added: int
    removed: int
    unchanged: int

    def __str__(self) -> str:
        return f"{self.added} chunk(s) added, {self.removed} removed, {self.unchanged} unchanged"


Progress = Callable[[int, int], None]  # (done, total)
REPORT_FROM = BATCH * 2  # jobs smaller than this finish in a few seconds: no progress output


def tqdm_progress(description: str, unit: str = "chunk", report_from: int = REPORT_FROM) -> Progress:
    """Progress on stderr for a job of `report_from` items or more: a tqdm bar on a terminal (shown once the
    job has run for a second), otherwise a line at the start, at every tenth and at the end, so a long job
    is never silent in a log or a pipe either."""
    state: dict[str, Any] = {}

    def update(done: int, total: int) -> None:
        if total < report_from:
            return
        if sys.stderr.isatty():
            from tqdm import tqdm

            if "bar" not in state:
                state["bar"] = tqdm(total=total, desc=description, unit=unit, file=sys.stderr, delay=1.0)
            state["bar"].update(done - state["bar"].n)
            if done >= total:
                state["bar"].close()
            return
        tenth = done * 10 // total
        if state.get("tenth") != tenth:
            if "started" not in state:
                state["started"] = time.monotonic()
            elapsed = time.monotonic() - state["started"]
            left = f", about {elapsed / done * (total - done):.0f} s left" if 0 < done < total and elapsed > 1 else ""
            print(f"advisor: {description}: {done}/{total} {unit}s ({done * 100 // total}%){left}",
                  file=sys.stderr, flush=True)
            state["tenth"] = tenth

    return update


class ChunkIndex:
    """One collection of chunks with their embeddings; local (PersistentClient) or remote (HttpClient)."""

    def __init__(self, settings: Settings, collection_name: str = COLLECTION) -> None:
        self.settings = settings
        self.name = collection_name
        self._client: ClientAPI | None = None
        self._collection: Collection | None = None

    @property
    def where(self) -> str:
        if self.settings.chroma_host:
            return f"Chroma server {self.settings.chroma_host}:{self.settings.chroma_port}"
        return str(self.settings.index_dir)

    def client(self) -> ClientAPI:
        if self._client is None:
            import chromadb
            from chromadb.config import Settings as ChromaSettings

            chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=True)
            try:
                if self.settings.chroma_host:
                    self._client = chromadb.HttpClient(
                        host=self.settings.chroma_host, port=self.settings.chroma_port, settings=chroma_settings
                    )
                else:
                    self.settings.index_dir.mkdir(parents=True, exist_ok=True)
                    self._client = chromadb.PersistentClient(path=str(self.settings.index_dir),
                                                             settings=chroma_settings)
            except Exception as exc:  # chromadb raises many types for a dead server or a corrupt file
                _forget_path(self.settings.index_dir)
                raise IndexStoreError(f"Cannot open the index at {self.where}: {exc}. {self._hint()}") from exc
        return self._client

    def _hint(self) -> str:
        if self.settings.chroma_host:
            return (
                "Check that the Chroma server is running (`chroma run --path DIR --port N`) "
                "and that CHROMA_HOST and CHROMA_PORT name it."
            )
        return REBUILD_HINT

    def collection(self) -> Collection:
        if self._collection is None:
            from advisor.search.embeddings import DIMENSION, MODEL_ID, chroma_embedding_function, register_with_chroma

            register_with_chroma()
            try:
                with _first_use_lock(self.settings):  # processes starting at once on a fresh folder take turns
                    col = self.client().get_or_create_collection(
                        self.name,
                        embedding_function=chroma_embedding_function(),
                        metadata={"embedding_model": MODEL_ID, "dimension": DIMENSION, "revision": uuid.uuid4().hex},
                        configuration={"hnsw": {"space": "cosine"}},
                    )
            except IndexStoreError:
                raise
            except Exception as exc:
                self._check_model(self._stored_metadata())
                raise IndexStoreError(f"Cannot open the index at {self.where}: {exc}. {self._hint()}") from exc
            self._check_model(col.metadata or {})
            self._collection = col
        return self._collection

    def open_existing(self) -> Collection | None:
        """The collection, checked against the embedding model, if the index holds one; None when it holds
        none yet. Creates nothing (for `advisor doctor`)."""
        if self._collection is None:
            from advisor.search.embeddings import chroma_embedding_function, register_with_chroma

            register_with_chroma()
            meta = self._stored_metadata()
            if not meta and self.name not in {c.name for c in self.client().list_collections()}:
                return None
            self._check_model(meta)
            self._collection = self.client().get_collection(self.name, embedding_function=chroma_embedding_function())
        return self._collection

    def _stored_metadata(self) -> dict[str, Any]:
        try:
            found = [c for c in self.client().list_collections() if c.name == self.name]
        except Exception:
            return {}
        return dict(found[0].metadata or {}) if found else {}

    def _check_model(self, meta: dict[str, Any]) -> None:
        from advisor.search.embeddings import DIMENSION, MODEL_ID

        if meta and (meta.get("embedding_model") != MODEL_ID or meta.get("dimension") != DIMENSION):
            raise IndexStoreError(
                f"The index at {self.where} was built with embedding model {meta.get('embedding_model')!r} "
                f"({meta.get('dimension')} dimensions), not {MODEL_ID!r} ({DIMENSION}). {REBUILD_HINT}"
            )

    def cache_key(self) -> str:
        """Names this index (folder or server, and collection) for caches kept beside it."""
        return hashlib.sha256(f"{self.where}\x1f{self.name}".encode()).hexdigest()[:16]

    def revision(self) -> str:
        """Changes whenever the index's content changes, also when another process changed it."""
        return self.state()[0]

    def taking_turns(self) -> contextlib.AbstractContextManager[None]:
        """Held while the index is filled or read whole: processes sharing a local index folder take turns, so
        none reads rows whose vectors another is still writing (Chroma's local store is not made for that). The
        collection is opened first, since opening takes the same lock."""
        self.collection()
        return _first_use_lock(self.settings)

    def state(self) -> tuple[str, dict[str, Any]]:
        """The revision and the collection's metadata, both read afresh (another process may have changed them)."""
        col = self.client().get_collection(self.name)
        meta = dict(col.metadata or {})
        return f"{col.count()}:{meta.get('revision')}", meta

    def _bump_revision(self) -> None:
        """Tell other processes (and their caches of the lexical index) that the content changed."""
        col = self.collection()
        col.modify(metadata={**(col.metadata or {}), "revision": uuid.uuid4().hex})

    def _get_all(self, where: dict[str, Any] | None, include: list[str]) -> dict[str, list[Any]]:
        """`collection.get` a page at a time: one call for every row fails past ~32,000 rows in Chroma."""
        col = self.collection()
        out: dict[str, list[Any]] = {"ids": [], "documents": [], "metadatas": [], "embeddings": []}
        offset = 0
        while True:
            got = col.get(where=where, include=include, limit=PAGE, offset=offset)  # type: ignore[arg-type]
            out["ids"] += got["ids"]
            out["documents"] += list(got.get("documents") or [])
            out["metadatas"] += [dict(m) for m in got.get("metadatas") or []]
            vectors = got.get("embeddings")
            out["embeddings"] += list(vectors) if vectors is not None else []
            if len(got["ids"]) < PAGE:
                return out
            offset += PAGE

    def ids(self, kinds: Sequence[str] | None = None, source: str | None = None) -> set[str]:
        return set(self._get_all(chroma_where(kinds, source=source), [])["ids"])

    def ids_by_source(self, kind: str) -> dict[str, set[str]]:
        """Source -> ids of its chunks, for every source of one kind, in one read."""
        got = self._get_all({"kind": kind}, ["metadatas"])
        out: dict[str, set[str]] = {}
        for cid, meta in zip(got["ids"], got["metadatas"], strict=True):
            out.setdefault(str(meta.get("source", "")), set()).add(cid)
        return out

    def sync(self, chunks: Sequence[Chunk], scope_kinds: Sequence[str] | None = None,
             scope_source: str | None = None, progress: Progress | None = None,
             present: set[str] | None = None, known: Mapping[str, Any] | None = None) -> SyncReport:
        """Make the index hold exactly `chunks` within the scope (kinds and/or one source); `present`: the ids
        already in that scope, when the caller has read them."""
        with self.taking_turns():  # no other process reads the index whole while it changes
            return self._sync(chunks, scope_kinds, scope_source, progress, present, known)

    def _sync(self, chunks: Sequence[Chunk], scope_kinds: Sequence[str] | None, scope_source: str | None,
              progress: Progress | None, present: set[str] | None, known: Mapping[str, Any] | None) -> SyncReport:
        wanted = {c.id: c for c in chunks}
        present = self.ids(scope_kinds, scope_source) if present is None else present
        stale = sorted(present - set(wanted))
        missing = [wanted[i] for i in wanted if i not in present]
        if missing:
            self.add(missing, progress, known)
        self.delete(stale)
        if missing or stale:
            self._bump_revision()
        return SyncReport(len(missing), len(stale), len(wanted) - len(missing))

    def delete(self, ids: Sequence[str]) -> None:
        col = self.collection()
        for start in range(0, len(ids), 1000):
            col.delete(ids=list(ids[start:start + 1000]))

    def add(self, chunks: Sequence[Chunk], progress: Progress | None = None,
            known: Mapping[str, Any] | None = None) -> None:
        """Embed and store chunks batch by batch, so a killed run keeps what it finished. Chunks whose vector is
        `known` (by chunk id) are stored with it instead of being embedded."""
        from advisor.search.embeddings import get_embedder

        embedder = get_embedder()
        col = self.collection()
        chunks = sorted(chunks, key=lambda c: len(c.text))  # similar lengths together: little padding
        if progress:
            progress(0, len(chunks))
        for start in range(0, len(chunks), BATCH):
            batch = chunks[start:start + BATCH]
            missing = [c for c in batch if not known or c.id not in known]
            embedded = dict(zip((c.id for c in missing), embedder.embed([c.text for c in missing],
                                                                        batch_size=EMBED_BATCH), strict=True)) \
                if missing else {}
            vectors = [known[c.id] if known and c.id in known else embedded[c.id] for c in batch]
            col.upsert(ids=[c.id for c in batch], documents=[c.text for c in batch],
                       metadatas=[c.metadata() for c in batch],
                       embeddings=vectors)
            if progress:
                progress(min(start + BATCH, len(chunks)), len(chunks))

    def sources(self, kind: str) -> dict[str, tuple[str, int]]:
        """Source -> (title, number of chunks) for every source of one kind."""
        out: dict[str, tuple[str, int]] = {}
        for meta in self._get_all({"kind": kind}, ["metadatas"])["metadatas"]:
            source, title = str(meta["source"]), str(meta["title"])
            out[source] = (title, out.get(source, (title, 0))[1] + 1)
        return out

    def records(self, kind: str, source: str) -> list[dict[str, Any]]:
        """Every chunk of one source as stored (id, text, metadata, vector), to be put back with `restore`."""
        col = self.collection()
        got = col.get(where=chroma_where([kind], source=source), include=["documents", "metadatas", "embeddings"])
        vectors = got.get("embeddings")
        return [{"id": cid, "text": text, "metadata": dict(meta), "vector": [float(x) for x in vector]}
                for cid, text, meta, vector in zip(got["ids"], got.get("documents") or [], got.get("metadatas") or [],
                                                   vectors if vectors is not None else [], strict=True)]

    def restore(self, records: Sequence[dict[str, Any]]) -> None:
        """Put back chunks saved by `records`, with their vectors (nothing is embedded)."""
        col = self.collection()
        for start in range(0, len(records), BATCH):
            batch = records[start:start + BATCH]
            col.upsert(ids=[r["id"] for r in batch], documents=[r["text"] for r in batch],
                       metadatas=[r["metadata"] for r in batch], embeddings=[r["vector"] for r in batch])
        if records:
            self._bump_revision()

    def everything(self) -> tuple[list[str], list[str], list[dict[str, Any]], np.ndarray | None]:
        """Every chunk: ids, texts, metadata and, for a local index, the vectors (a search can then run on a saved
        copy of them without opening Chroma; from a server they are not fetched)."""
        import numpy as np

        from advisor.search.embeddings import DIMENSION

        if self.settings.chroma_host:
            got = self._get_all(None, ["documents", "metadatas"])
            return got["ids"], got["documents"], got["metadatas"], None
        got = self._get_all(None, ["documents", "metadatas", "embeddings"])
        vectors = np.asarray(got["embeddings"], dtype=np.float32).reshape(len(got["ids"]), DIMENSION)
        return got["ids"], got["documents"], got["metadatas"], vectors

    def drop(self) -> None:
        """Delete the whole index (the collection; locally the folder too)."""
        self._collection = None
        if self.settings.chroma_host:
            with contextlib.suppress(Exception):
                self.client().delete_collection(self.name)
            return
        self.close()
        _forget_path(self.settings.index_dir)
        shutil.rmtree(self.settings.index_dir, ignore_errors=True)

    def close(self) -> None:
        """Release this index's client; other indexes open in the process are not touched."""
        self._collection = None
        client, self._client = self._client, None
        if client is not None:
            with contextlib.suppress(Exception):
                client.close()  # type: ignore[attr-defined]


_THREAD_LOCKS: dict[str, threading.RLock] = {}
_DEPTH: dict[str, int] = {}


@contextlib.contextmanager
def _first_use_lock(settings: Settings) -> Iterator[None]:
    """An exclusive lock on `index.lock` in the advisor's home while a local index is opened (and created on
    first use), so that processes starting together do not both create Chroma's tables."""
    if settings.chroma_host:
        yield
        return
    try:
        import fcntl
    except ImportError:  # not on this platform: no lock, as before
        yield
        return
    settings.home.mkdir(parents=True, exist_ok=True)
    path = str(settings.home / "index.lock")
    with _THREAD_LOCKS.setdefault(path, threading.RLock()):  # one thread of this process at a time
        if _DEPTH.get(path):  # this thread holds the file lock already (a sync inside a first use): go on
            _DEPTH[path] += 1
            try:
                yield
            finally:
                _DEPTH[path] -= 1
            return
        with open(path, "a+b") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            _DEPTH[path] = 1
            try:
                yield
            finally:
                _DEPTH[path] = 0
                fcntl.flock(handle, fcntl.LOCK_UN)


def _forget_path(path: Path) -> None:
    """Drop chromadb's cached system for one index folder (only that one), so a failed or deleted index is
    opened afresh next time."""
    from chromadb.api.shared_system_client import SharedSystemClient

    system = SharedSystemClient._identifier_to_system.pop(str(path), None)
    SharedSystemClient._identifier_to_refcount.pop(str(path), None)
    if system is not None:
        with contextlib.suppress(Exception):
            system.stop()
