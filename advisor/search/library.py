"""The user's own documents: added to the index, listed, removed, and remembered so a rebuild re-adds them."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from advisor.search.chunking import DocumentError, expand_paths, user_document_chunks
from advisor.search.index import ChunkIndex, Progress, SyncReport


@dataclass(frozen=True)
class Document:
    path: str
    title: str
    chunks: int


class Library:
    def __init__(self, index: ChunkIndex, manifest: Path) -> None:
        self.index = index
        self.manifest = manifest

    def _paths(self) -> list[str]:
        if not self.manifest.exists():
            return []
        try:
            data = json.loads(self.manifest.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise DocumentError(f"{self.manifest}: the list of added documents is not valid JSON ({exc})") from exc
        return [str(p) for p in data.get("documents", [])]

    def _save(self, paths: list[str]) -> None:
        self.manifest.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.manifest.with_suffix(".tmp")
        tmp.write_text(json.dumps({"documents": sorted(set(paths))}, indent=2), encoding="utf-8")
        tmp.replace(self.manifest)

    def add(self, paths: list[Path], progress: Progress | None = None) -> dict[str, SyncReport]:
        """Index each file (or the supported files under each folder); re-adding a changed file updates it."""
        files = expand_paths(paths)
        if not files:
            raise DocumentError("No .md, .txt or .pdf files found in what you named")
        chunks = {f.resolve(): user_document_chunks(f) for f in files}  # read everything before writing
        reports = {}
        for path, file_chunks in chunks.items():
            reports[str(path)] = self.index.sync(file_chunks, scope_kinds=["user"], scope_source=str(path),
                                                 progress=progress)
        self._save(self._paths() + [str(p) for p in chunks])
        return reports

    def remove(self, paths: list[Path]) -> list[str]:
        known = self._paths()
        removed = []
        for p in paths:
            key = str(p.resolve())
            if key not in known and not self.index.ids(["user"], key):
                raise DocumentError(f"{p}: not an added document; see `advisor index --list`")
            self.index.sync([], scope_kinds=["user"], scope_source=key)
            removed.append(key)
        self._save([p for p in known if p not in removed])
        return removed

    def documents(self) -> list[Document]:
        return [Document(src, title, n) for src, (title, n) in sorted(self.index.sources("user").items())]

    def readd_all(self, progress: Progress | None = None) -> tuple[int, list[str]]:
        """After a rebuild: add every remembered document again; returns (files added, files now missing)."""
        remembered = self._paths()
        present = [Path(p) for p in remembered if Path(p).exists()]
        missing = [p for p in remembered if not Path(p).exists()]
        if present:
            self.add(present, progress)
        self._save([str(p) for p in present])
        return len(present), missing
