"""The index and hybrid search, on a real Chroma index on disk: idempotent sync, user documents, filters,
citations, and clear errors for a corrupt or foreign index."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from advisor.knowledge import Knowledge, load_knowledge
from advisor.search.chunking import MAX_WORDS, DocumentError, knowledge_chunks, split_words
from advisor.search.index import ChunkIndex, IndexStoreError
from advisor.search.library import Library
from advisor.search.retrieve import Retriever, SearchInputError, open_retriever
from advisor.settings import Settings, load_settings

RunCli = Callable[..., tuple[int, str, str]]


def make_pdf(path: Path, text: str) -> None:
    """A minimal one-page PDF whose page shows `text` (enough for pypdf to extract it)."""
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for i, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    path.write_bytes(bytes(out))


@pytest.fixture
def settings(home_with_index: Path) -> Settings:
    return load_settings({"ADVISOR_HOME": str(home_with_index)})


@pytest.fixture
def empty_settings(tmp_path: Path) -> Settings:
    return load_settings({"ADVISOR_HOME": str(tmp_path / "empty-home")})


@pytest.fixture
def retriever(settings: Settings, knowledge: Knowledge) -> Iterator[Retriever]:
    r = Retriever(ChunkIndex(settings), knowledge)
    r.sync_knowledge()
    yield r
    r.index.close()


def test_chunks_stay_short_and_keep_their_provenance(knowledge: Knowledge) -> None:
    chunks = knowledge_chunks(knowledge)
    assert all(len(c.text.split()) <= MAX_WORDS for c in chunks)
    essay = [c for c in chunks if c.kind == "essay" and c.passage_id.startswith("essay-")]
    assert [c.extra["quote"] for c in essay] == [p.text for p in knowledge.essay.passages]
    assert all(c.text.startswith(c.extra["quote"]) for c in essay)  # plus our gist, for search only
    assert len({c.id for c in chunks}) == len(chunks)


def test_split_words_never_exceeds_the_limit() -> None:
    text = "\n\n".join(" ".join(f"w{i}" for i in range(n)) + "." for n in (10, 400, 50, 179, 181))
    pieces = split_words(text)
    assert all(len(p.split()) <= MAX_WORDS for p in pieces)
    assert sum(len(p.split()) for p in pieces) == 10 + 400 + 50 + 179 + 181


def test_resyncing_unchanged_knowledge_embeds_nothing(retriever: Retriever, embed_calls: list[int]) -> None:
    calls = embed_calls
    report = retriever.sync_knowledge()
    assert report.added == 0 and report.removed == 0 and report.unchanged == len(knowledge_chunks(retriever.knowledge))
    assert calls == []


def test_changed_and_deleted_cards_are_updated(settings: Settings, knowledge_copy: Path) -> None:
    r = Retriever(ChunkIndex(settings), load_knowledge(knowledge_copy))
    r.sync_knowledge()
    card = knowledge_copy / "fields" / "forecasting.md"
    card.write_text(card.read_text().replace("summary: ", "summary: Zanzibar-style quokka forecasting. ", 1))
    (knowledge_copy / "fields" / "cooperative-ai.md").unlink()
    r2 = Retriever(r.index, load_knowledge(knowledge_copy))
    report = r2.sync_knowledge()
    assert report.added >= 1 and report.removed > report.added  # one section changed, one whole card gone
    assert r2.search("quokka", k=1)[0].passage_id == "field:forecasting#overview"
    assert not [h for h in r2.search("cooperative AI multi-agent", k=10) if h.field_id == "cooperative-ai"]


def test_every_hit_is_a_distinct_citable_passage(retriever: Retriever) -> None:
    hits = retriever.search("which safety fields will be automated first and why", k=10)
    assert len(hits) == 10
    assert len({h.passage_id for h in hits}) == 10
    assert all(h.text and h.title and h.source and h.kind for h in hits)
    assert hits == sorted(hits, key=lambda h: -h.score)


def test_the_essay_answers_questions_about_the_essay(retriever: Retriever) -> None:
    hits = retriever.search("why did the author move mech interp down from first place?", k=5)
    assert "essay-22" in {h.passage_id for h in hits}
    hit = next(h for h in hits if h.passage_id == "essay-22")
    assert hit.text == retriever.knowledge.passage("essay-22").text  # cited verbatim, never our gist


def test_filters_by_kind_and_field(retriever: Retriever) -> None:
    readings = retriever.search("introduction", k=5, kinds=["reading"])
    assert readings and all(h.kind == "reading" for h in readings)
    about_evals = retriever.search("automation", k=8, field="evals")
    assert about_evals and all("evaluations" in h.field_id.split(",") for h in about_evals)
    essay_only = retriever.search("interpretability", k=5, kinds=["essay"])
    assert essay_only and all(h.kind == "essay" for h in essay_only)


def test_bad_searches_are_refused_clearly(retriever: Retriever) -> None:
    with pytest.raises(SearchInputError, match="empty"):
        retriever.search("   ")
    with pytest.raises(SearchInputError, match="Unknown kind"):
        retriever.search("x", kinds=["blog"])


def test_user_documents_are_searchable_citable_and_removable(settings: Settings, tmp_path: Path,
                                                             knowledge: Knowledge) -> None:
    docs = tmp_path / "notes"
    docs.mkdir()
    (docs / "plan.md").write_text("# My transition plan\n\nI will apply to the Pomegranate fellowship in March.\n")
    (docs / "ignored.csv").write_text("a,b\n")
    make_pdf(tmp_path / "offer.pdf", "Offer letter from the Tangerine institute")
    r = Retriever(ChunkIndex(settings), knowledge)
    library = Library(r.index, settings.home / "documents.json")
    library.add([docs, tmp_path / "offer.pdf"])
    assert {d.title for d in library.documents()} == {"My transition plan", "offer"}

    hit = r.search("pomegranate fellowship", k=1, kinds=["user"])[0]
    assert hit.kind == "user" and hit.title == "My transition plan" and hit.source.endswith("plan.md")
    assert hit.passage_id == "user:plan.md#1"
    assert r.search("tangerine institute", k=1)[0].source.endswith("offer.pdf")

    (docs / "plan.md").write_text("# My transition plan\n\nNow applying to the Kumquat programme instead.\n")
    library.add([docs / "plan.md"])
    assert not [h for h in r.search("pomegranate", k=5, kinds=["user"]) if "Pomegranate" in h.text]
    library.remove([docs / "plan.md"])
    assert not [h for h in r.search("kumquat programme", k=5, kinds=["user"]) if "Kumquat" in h.text]
    assert json.loads((settings.home / "documents.json").read_text())["documents"] == [
        str((tmp_path / "offer.pdf").resolve())
    ]
    with pytest.raises(DocumentError, match="not an added document"):
        library.remove([docs / "plan.md"])
    with pytest.raises(DocumentError, match="unsupported file type"):
        library.add([docs / "ignored.csv"])
    with pytest.raises(DocumentError, match="no such file"):
        library.add([tmp_path / "missing.md"])


def test_a_killed_run_is_repaired_by_the_next(empty_settings: Settings, knowledge: Knowledge) -> None:
    chunks = knowledge_chunks(knowledge)
    index = ChunkIndex(empty_settings)
    index.add(chunks[:70])  # what a run killed after its first batch leaves behind
    r = Retriever(index, knowledge)
    r.ensure_ready()
    assert index.collection().count() == len(chunks)
    assert r.sync_knowledge().added == 0


def test_an_index_built_with_another_model_is_refused_with_the_fix(empty_settings: Settings,
                                                                   knowledge: Knowledge) -> None:
    import chromadb

    settings = empty_settings
    client = chromadb.PersistentClient(path=str(settings.index_dir))
    client.create_collection("advisor-knowledge", metadata={"embedding_model": "other-model", "dimension": 768})
    client.clear_system_cache()
    with pytest.raises(IndexStoreError, match=r"other-model.*advisor index --rebuild"):
        Retriever(ChunkIndex(settings), knowledge).search("oversight")


def test_a_corrupt_index_gives_the_fix_and_rebuild_repairs_it(run_cli: RunCli, tmp_path: Path,
                                                              home_with_index: Path) -> None:
    home = home_with_index
    notes = tmp_path / "n.md"
    notes.write_text("# Notes\n\nMy mentor suggested the Persimmon reading group.\n")
    assert run_cli("index", "--add", str(notes))[0] == 0
    shutil.rmtree(home / "index")
    (home / "index").mkdir()
    (home / "index" / "chroma.sqlite3").write_bytes(b"this is not a database" * 100)
    code, _, err = run_cli("search", "oversight")
    assert code == 1 and "advisor index --rebuild" in err
    code, out, err = run_cli("index", "--rebuild")
    assert code == 0, err
    assert "documents_readded: 1" in out
    code, out, _ = run_cli("search", "persimmon reading group", "--json", "-k", "1")
    assert code == 0 and json.loads(out)[0]["source"] == str(notes.resolve())


def test_search_cli_json_and_errors(run_cli: RunCli, home_with_index: Path) -> None:
    code, out, _ = run_cli("search", "scalable oversight", "-k", "3", "--json")
    rows = json.loads(out)
    assert code == 0 and len(rows) == 3
    assert all({"text", "title", "source", "kind", "score"} <= set(r) for r in rows)
    assert run_cli("search", "  ")[0] == 2
    assert run_cli("search", "x", "--field", "basket weaving")[0] == 2


def test_open_retriever_uses_the_configured_home(settings: Settings) -> None:
    r = open_retriever(settings)
    assert r.index.where == str(settings.index_dir)
    assert r.search("debate", k=1)
    assert (settings.index_dir / "chroma.sqlite3").exists()
    r.index.close()


def test_the_lexical_index_is_saved_and_reused_until_the_index_changes(settings: Settings, knowledge: Knowledge,
                                                                        tmp_path: Path) -> None:
    first = Retriever(ChunkIndex(settings), knowledge)
    expected = first.search("debate", k=1)[0].passage_id
    assert len(list((settings.home / "lexical").glob("*/rows.json"))) == 1

    fetched: list[int] = []  # every rebuild of BM25 starts by fetching every chunk from Chroma
    real = ChunkIndex.everything

    def counting(self: ChunkIndex) -> tuple[list[str], list[str], list[dict[str, object]]]:
        fetched.append(1)
        return real(self)

    second = Retriever(ChunkIndex(settings), knowledge)  # a new process, as far as the cache is concerned
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(ChunkIndex, "everything", counting)
        assert second.search("debate", k=1)[0].passage_id == expected
        assert fetched == []  # loaded from disk, not rebuilt
        note = tmp_path / "n.md"
        note.write_text("# N\n\nThe lexical cache follows changes: zebrafish.\n")
        Library(second.index, settings.home / "documents.json").add([note])
        assert second.search("zebrafish", k=1)[0].source == str(note.resolve())
        assert fetched == [1]  # the index changed, so BM25 was rebuilt (and saved again)
