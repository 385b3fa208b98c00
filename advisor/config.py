"""Where the advisor keeps its data and which services it talks to, read from the environment on demand."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Settings:
    """Everything configurable, resolved from environment variables (see README, Configuration)."""

    home: Path
    knowledge_dir: Path
    prompts_dir: Path
    chroma_host: str | None
    chroma_port: int
    model: str | None

    @property
    def index_dir(self) -> Path:
        return self.home / "index"

    @property
    def sessions_db(self) -> Path:
        return self.home / "sessions.sqlite3"


def default_home() -> Path:
    from platformdirs import user_data_dir

    return Path(user_data_dir("ai-safety-advisor", appauthor=False))


def load_settings(env: dict[str, str] | None = None) -> Settings:
    """Settings from `env` (default: the process environment). Does no I/O."""
    env = dict(os.environ) if env is None else env
    home = Path(env["ADVISOR_HOME"]).expanduser() if env.get("ADVISOR_HOME") else default_home()
    port_text = env.get("CHROMA_PORT", "8000")
    try:
        port = int(port_text)
    except ValueError as exc:
        raise ValueError(f"CHROMA_PORT must be a port number, got {port_text!r}") from exc
    return Settings(
        home=home,
        knowledge_dir=Path(env.get("ADVISOR_KNOWLEDGE_DIR") or PROJECT_ROOT / "knowledge"),
        prompts_dir=Path(env.get("ADVISOR_PROMPTS_DIR") or PROJECT_ROOT / "prompts"),
        chroma_host=env.get("CHROMA_HOST") or None,
        chroma_port=port,
        model=env.get("ADVISOR_MODEL") or None,
    )
