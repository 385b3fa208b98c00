"""`advisor index` and `advisor search`: build the search index, add your own documents, search with citations."""

from __future__ import annotations

import argparse
import contextlib
from pathlib import Path

from advisor.interfaces.terminal import print_json, table
from advisor.search.chunking import KINDS
from advisor.search.index import IndexStoreError, tqdm_progress
from advisor.search.library import Library
from advisor.search.retrieve import Retriever, open_retriever


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("index", help="build or update the search index; add or remove your own documents")
    group = p.add_mutually_exclusive_group()
    group.add_argument("--rebuild", action="store_true", help="delete the index and build it again")
    group.add_argument("--add", nargs="+", type=Path, metavar="PATH", help="add Markdown, text or PDF files or folders")
    group.add_argument("--remove", nargs="+", type=Path, metavar="PATH", help="remove documents you added")
    group.add_argument("--list", action="store_true", help="list the documents you added")
    group.add_argument("--ship-vectors", action="store_true",
                       help="for maintainers: write the shipped knowledge's vectors to knowledge/vectors/ so a fresh "
                            "install builds its index without embedding")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_index)

    p = sub.add_parser("search", help="search the essay, field cards, readings and your documents")
    p.add_argument("query")
    p.add_argument("-k", type=int, default=5, help="number of results (default 5)")
    p.add_argument("--kind", action="append", choices=KINDS, help="only this kind (repeatable)")
    p.add_argument("--field", help="only passages about this field (id, name or alias)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_search)


def _library(r: Retriever) -> Library:
    return Library(r.index, r.index.settings.home / "documents.json")


def cmd_index(args: argparse.Namespace) -> int:
    r = open_retriever()
    try:
        return _index(r, args)
    finally:
        r.index.close()


def _index(r: Retriever, args: argparse.Namespace) -> int:
    library = _library(r)
    progress = tqdm_progress("indexing")
    result: dict[str, object] = {"index": r.index.where}
    if args.ship_vectors:
        from advisor.chat.shipped_texts import ship_fixed_texts
        from advisor.search.chunking import knowledge_chunks
        from advisor.search.shipped import write_shipped

        paths = [write_shipped(r.knowledge_dir(), knowledge_chunks(r.knowledge)),
                 ship_fixed_texts(r.knowledge, r.index.settings, lambda: r)]
        print_json({"wrote": [str(p) for p in paths]}) if args.json else print(f"Wrote {', '.join(map(str, paths))}")
        return 0
    if args.list:
        library.reconcile(tqdm_progress("adding your documents again"))
        docs = library.documents()
        if args.json:
            print_json([d.__dict__ for d in docs])
        else:
            print(table(["chunks", "title", "path", "status"], [[d.chunks, d.title, d.path, d.status] for d in docs],
                        max_width=60)
                  if docs else "No documents added. Add some with `advisor index --add PATH`.")
        return 0
    if args.remove:
        library.reconcile(readd=False)
        result["removed"] = library.remove(args.remove)
    else:
        if args.rebuild:
            with contextlib.suppress(IndexStoreError):  # a corrupt index has nothing to record
                library.reconcile(readd=False)  # documents only the index knew of are in the manifest first
            r.index.drop()
        result["knowledge"] = str(r.sync_knowledge(progress))
        repaired = library.reconcile(tqdm_progress("adding your documents again"))
        if args.rebuild:
            result["documents_readded"] = len(repaired.readded)
            result["documents_missing"] = repaired.gone
        elif repaired:
            result["documents_repaired"] = {"readded": repaired.readded, "recorded": repaired.recorded,
                                            "missing": repaired.gone, "failed": repaired.failed}
        if args.add:
            reports = library.add(args.add, progress)
            result["added"] = {path: str(rep) for path, rep in reports.items()}
    if args.json:
        print_json(result)
    else:
        for key, value in result.items():
            if isinstance(value, dict):
                print(f"{key}:")
                for k, v in value.items():
                    print(f"  {k}: {v}")
            else:
                print(f"{key}: {value}")
    return 0


def cmd_search(args: argparse.Namespace) -> int:
    r = open_retriever()
    try:
        hits = r.search(args.query, k=args.k, kinds=args.kind, field=args.field)
    finally:
        r.index.close()
    if args.json:
        print_json([h.to_dict() for h in hits])
        return 0
    if not hits:
        print("No passages found. Try other words, or fewer filters.")
    for n, h in enumerate(hits, 1):
        print(f"[{n}] {h.title} ({h.kind}, {h.passage_id})\n    {h.source}\n    {h.text}\n")
    return 0
