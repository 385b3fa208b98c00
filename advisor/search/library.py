"""The user's own documents: added to the index, listed, removed, and remembered in a manifest
(`documents.json`) so that a rebuild, a deleted index or a killed run never loses one.

The manifest is written before the index (atomically: a temporary file renamed into place) and marks the
documents being indexed until they are done. `reconcile()` makes the two agree after any crash: documents in
the manifest but missing (or half-indexed) in the index are added again, and documents found in the index but
not in the manifest are recorded in it.

A document whose file has moved or been deleted stays in the index; its chunks (text and vectors) are also
copied to `kept-documents.json`, so `advisor index --rebuild` keeps it (and says so before it starts) instead of
dropping it. In a folder, a file that cannot be read (not UTF-8, a broken PDF) is skipped with a note and the
rest are added.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from advisor.errors import DataError
from advisor.search.chunking import Chunk, DocumentError, expand_paths, user_document_chunks
from advisor.search.index import ChunkIndex, Progress, SyncReport, tqdm_progress
from advisor.settings import Settings

Notify = Callable[[str], None]
READ_REPORT_FROM = 50  # reading this many files or more shows progress
LONG_JOB_CHUNKS = 2000  # announce a job this long before it starts
CHUNKS_PER_SECOND = 20  # full-length chunks embedded per second on 2 cores (measured: 700 in 61 s of CPU)


def manifest_file(settings: Settings) -> Path:
    """The manifest of the documents the user added, in the advisor's home."""
    return settings.home / "documents.json"


def notify_stderr(message: str) -> None:
    print(f"advisor: {message}", file=sys.stderr, flush=True)


class ManifestError(DataError):
    """The list of added documents cannot be read; the message names the file and the fix."""


@dataclass(frozen=True)
class Document:
    path: str
    title: str
    chunks: int
    status: str = "indexed"  # or "file gone, not in the index", "not indexed: <why>"


@dataclass
class Manifest:
    documents: list[str] = field(default_factory=list)
    indexing: list[str] = field(default_factory=list)  # written before indexing starts, cleared when done


@dataclass
class Reconciled:
    readded: list[str] = field(default_factory=list)  # in the manifest, missing or half-indexed: added again
    recorded: list[str] = field(default_factory=list)  # in the index, not in the manifest: now recorded
    gone: list[str] = field(default_factory=list)  # in the manifest, not in the index, file no longer there
    failed: list[str] = field(default_factory=list)  # could not be added again: why
    moved: list[str] = field(default_factory=list)  # file no longer at its path; kept from the index

    def __bool__(self) -> bool:
        return bool(self.readded or self.recorded or self.gone or self.failed)


class Library:
    def __init__(self, index: ChunkIndex, manifest: Path | None = None, notify: Notify = notify_stderr) -> None:
        self.index = index
        self.manifest = manifest or manifest_file(index.settings)
        self.notify = notify

    # -- the manifest
    def _read(self) -> Manifest:
        try:
            data = json.loads(self.manifest.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return Manifest()
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ManifestError(
                f"{self.manifest}: the list of documents you added cannot be read ({exc}). Fix it, or move it "
                "aside and run `advisor index`: documents still in the index are listed again."
            ) from exc
        if not isinstance(data, dict) or not isinstance(data.get("documents", []), list):
            raise ManifestError(f"{self.manifest}: expected {{\"documents\": [paths]}}; fix it or move it aside")
        return Manifest([str(p) for p in data.get("documents", [])], [str(p) for p in data.get("indexing", [])])

    def _write(self, m: Manifest) -> None:
        """Write atomically: a reader sees the old list or the new one, never half of one."""
        self.manifest.parent.mkdir(parents=True, exist_ok=True)
        data = {"documents": sorted(set(m.documents))}
        if m.indexing:
            data["indexing"] = sorted(set(m.indexing) & set(m.documents))
        fd, tmp = tempfile.mkstemp(dir=self.manifest.parent, prefix=".documents-", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(data, handle, indent=2)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, self.manifest)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise

    @contextlib.contextmanager
    def _locked(self) -> Iterator[Manifest]:
        """The manifest, read and written back under an exclusive lock (parallel adds lose nothing)."""
        self.manifest.parent.mkdir(parents=True, exist_ok=True)
        with open(self.manifest.with_name(self.manifest.name + ".lock"), "a+b") as handle:
            try:
                import fcntl

                fcntl.flock(handle, fcntl.LOCK_EX)
            except ImportError:  # no advisory locks on this platform
                pass
            m = self._read()
            yield m
            self._write(m)

    # -- what users do
    def add(self, paths: list[Path], progress: Progress | None = None) -> dict[str, SyncReport]:
        """Index each file (or the supported files under each folder); re-adding a changed file updates it."""
        skipped: list[str] = []
        files = expand_paths(paths, skipped)
        for reason in skipped:
            self.notify(f"skipped {reason}")
        if not files:
            raise DocumentError("No .md, .txt or .pdf files found in what you named")
        chunks = self._read_files(files)  # read everything before writing anything
        return self._index(chunks, progress)

    def _read_files(self, files: list[Path]) -> dict[str, list[Chunk]]:
        """The chunks of every file that can be read; one that cannot (not UTF-8, a broken PDF, no text) is
        skipped with a note. None readable: the first reason, as an error."""
        reading = tqdm_progress("reading documents", "file", READ_REPORT_FROM)
        out: dict[str, list[Chunk]] = {}
        problems: list[DocumentError] = []
        for i, f in enumerate(files):
            try:
                out[str(f.resolve())] = user_document_chunks(f)
            except Exception as exc:  # a PDF library can fail in many ways on a broken file
                problem = exc if isinstance(exc, DocumentError) else DocumentError(
                    f"{f}: cannot be read ({type(exc).__name__}: {exc})")
                problems.append(problem)
                self.notify(f"skipped {problem}")
            reading(i + 1, len(files))
        if not out:
            raise problems[0] if len(problems) == 1 else DocumentError(
                f"None of the {len(problems)} files could be added; the first: {problems[0]}")
        return out

    def _index(self, chunks: dict[str, list[Chunk]], progress: Progress | None) -> dict[str, SyncReport]:
        """Record the files in the manifest (marked as being indexed), index them all in one pass, then clear
        the mark. A run killed at any point leaves the manifest naming every file: `reconcile` finishes it."""
        with self._locked() as m:
            m.documents += list(chunks)
            m.indexing += list(chunks)
        present = self.index.ids_by_source("user")
        before = {path: present.get(path, set()) for path in chunks}
        wanted = [c for file_chunks in chunks.values() for c in file_chunks]
        to_embed = len({c.id for c in wanted} - set().union(*before.values()))
        if to_embed >= LONG_JOB_CHUNKS:
            self.notify(f"embedding {to_embed} chunks takes about {to_embed / CHUNKS_PER_SECOND / 60:.0f} min on a "
                        "2-core laptop; interrupting is safe: the next run continues where this one stopped")
        self.index.sync(wanted, scope_kinds=["user"], progress=progress,
                        present=set().union(*before.values()) if before else set())
        with self._locked() as m:
            m.indexing = [p for p in m.indexing if p not in chunks]
        reports = {}
        for path, file_chunks in chunks.items():
            ids = {c.id for c in file_chunks}
            reports[path] = SyncReport(len(ids - before[path]), len(before[path] - ids), len(ids & before[path]))
        return reports

    def remove(self, paths: list[Path]) -> list[str]:
        known = self._read().documents
        keys = [str(p.resolve()) for p in paths]
        for p, key in zip(paths, keys, strict=True):
            if key not in known and not self.index.ids(["user"], key):
                raise DocumentError(f"{p}: not an added document; see `advisor index --list`")
        for key in keys:  # out of the index first: a run killed here leaves it listed, and removable again
            self.index.sync([], scope_kinds=["user"], scope_source=key)
        with self._locked() as m:
            m.documents = [p for p in m.documents if p not in keys]
            m.indexing = [p for p in m.indexing if p not in keys]
            kept = self._read_kept()
            if set(kept) & set(keys):
                self._write_kept({p: records for p, records in kept.items() if p not in keys})
        return keys

    # -- documents whose files moved
    @property
    def kept_file(self) -> Path:
        return self.manifest.with_name("kept-documents.json")

    def _read_kept(self) -> dict[str, list[dict[str, Any]]]:
        try:
            data = json.loads(self.kept_file.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            self.notify(f"{self.kept_file} cannot be read ({exc}); documents whose files moved are kept only in "
                        "the index")
            return {}
        return data if isinstance(data, dict) else {}

    def _write_kept(self, kept: dict[str, list[dict[str, Any]]]) -> None:
        if not kept:
            with contextlib.suppress(FileNotFoundError):
                self.kept_file.unlink()
            return
        fd, tmp = tempfile.mkstemp(dir=self.kept_file.parent, prefix=".kept-", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(kept, handle)
            os.replace(tmp, self.kept_file)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise

    def _keep_moved(self, present: dict[str, set[str]], listed: list[str]) -> tuple[list[str], list[str]]:
        """Copy out of the index the chunks of added documents whose files are no longer at their path (so a
        rebuild can put them back); forget copies no longer needed. Returns (moved, newly copied)."""
        moved = sorted(p for p in present if p in listed and not Path(p).exists())
        kept = self._read_kept()
        wanted = {p: records for p, records in kept.items() if p in listed and not Path(p).exists()}
        new = [p for p in moved if {r.get("id") for r in wanted.get(p, [])} != present[p]]
        for path in new:
            wanted[path] = self.index.records("user", path)
        if new or wanted.keys() != kept.keys():
            self._write_kept(wanted)
        return moved, new

    def documents(self) -> list[Document]:
        """Every document you added: those in the index, and those the manifest names that are not in it."""
        m = self._read()
        indexed = self.index.sources("user")
        docs = [Document(src, title, n, "indexing interrupted: run `advisor index`" if src in m.indexing
                         else "indexed" if Path(src).exists() else
                         "file moved or deleted; kept from the index (`advisor index --remove` forgets it)")
                for src, (title, n) in indexed.items()]
        for path in m.documents:
            if path not in indexed:
                status = ("not in the index: run `advisor index` to add it again" if Path(path).is_file()
                          else "file gone and not in the index: `advisor index --remove` forgets it")
                docs.append(Document(path, Path(path).stem, 0, status))
        return sorted(docs, key=lambda d: d.path)

    def reconcile(self, progress: Progress | None = None, readd: bool = True) -> Reconciled:
        """Make the manifest and the index agree after a crash, a rebuild or a deleted index folder: record
        documents found only in the index; add again (with `readd`) documents missing or half-indexed."""
        report = Reconciled()
        present = self.index.ids_by_source("user")
        if not present and not self.manifest.exists():
            return report
        with self._locked() as m:
            report.recorded = sorted(set(present) - set(m.documents))
            m.documents += report.recorded
            needed = [p for p in dict.fromkeys(m.documents) if p in m.indexing or p not in present]
            report.moved, copied = self._keep_moved(present, m.documents)
        if report.moved and (copied or not readd):  # said before a rebuild (readd=False) and when first seen
            self.notify(f"{len(report.moved)} document(s) you added are no longer at their path: "
                        f"{', '.join(report.moved)}. They stay searchable from the index, and a rebuild keeps them; "
                        "`advisor index --remove PATH` forgets one, `advisor index --add NEWPATH` adds it from where "
                        "it is now")
        if report.recorded:
            self.notify(f"{len(report.recorded)} document(s) were in the index but not in the list of documents "
                        f"you added ({self.manifest.name}); recorded them: {', '.join(report.recorded)}")
        if not readd or not needed:
            return report
        chunks: dict[str, list[Chunk]] = {}
        kept = self._read_kept()
        restored: list[str] = []
        for path in needed:
            try:
                chunks[path] = user_document_chunks(Path(path))
            except DocumentError as exc:
                if path in present:  # half-indexed and now unreadable: keep what the index has
                    report.failed.append(str(exc))
                elif not Path(path).exists() and kept.get(path):
                    self.index.restore(kept[path])  # moved before a rebuild: put back what the index had
                    restored.append(path)
                elif not Path(path).exists():
                    report.gone.append(path)
                else:
                    report.failed.append(str(exc))
        if restored:
            self.notify(f"kept {len(restored)} document(s) whose files moved, from their copy in "
                        f"{self.kept_file.name}: {', '.join(restored)}")
            report.readded += restored
            report.moved = sorted({*report.moved, *restored})
        if chunks:
            self.notify(f"adding again {len(chunks)} document(s) you added that are missing from the index or "
                        "were being indexed when a run stopped")
            self._index(chunks, progress)
            report.readded = sorted([*report.readded, *chunks])
        if report.gone:
            self.notify(f"{len(report.gone)} document(s) you added are gone from disk and from the index: "
                        f"{', '.join(report.gone)}; `advisor index --remove PATH` forgets them")
        for reason in report.failed:
            self.notify(f"could not add again: {reason}")
        unfinished = {p for p in needed if p not in chunks and p not in restored}
        if unfinished:
            with self._locked() as m:
                m.indexing = [p for p in m.indexing if p not in unfinished]
        return report

    def readd_all(self, progress: Progress | None = None) -> tuple[int, list[str]]:
        """After a rebuild: add every remembered document again; returns (files added, files now missing)."""
        report = self.reconcile(progress)
        return len(report.readded), report.gone


def reconcile_documents(index: ChunkIndex, notify: Notify = notify_stderr) -> Reconciled:
    """`Library.reconcile` for a search that is about to run: a problem is reported, never raised (the search
    still answers from what the index holds)."""
    from advisor.errors import AdvisorError

    try:
        return Library(index, notify=notify).reconcile(tqdm_progress("adding your documents again"))
    except AdvisorError as exc:
        notify(str(exc))
        return Reconciled()
