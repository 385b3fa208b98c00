"""Every environment variable the advisor reads, in one typed place (pydantic-settings).

`load_settings()` reads them on demand, never at import; a bad value is a `SettingsError` that names the
variable and what it accepts.
"""

from __future__ import annotations

import os
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from advisor.errors import InputError

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class SettingsError(InputError):
    """An environment variable with a value the advisor cannot use."""


def default_home() -> Path:
    from platformdirs import user_data_dir

    return Path(user_data_dir("ai-safety-advisor", appauthor=False))


def _env(name: str) -> AliasChoices:
    return AliasChoices(name)


class Settings(BaseSettings):
    """Where the advisor keeps its data, which model and services it talks to (see README, Configuration)."""

    model_config = SettingsConfigDict(frozen=True, extra="ignore", populate_by_name=True)

    home: Path = Field(default_factory=default_home, validation_alias=_env("ADVISOR_HOME"))
    knowledge_dir: Path = Field(PROJECT_ROOT / "knowledge", validation_alias=_env("ADVISOR_KNOWLEDGE_DIR"))
    prompts_dir: Path = Field(PROJECT_ROOT / "prompts", validation_alias=_env("ADVISOR_PROMPTS_DIR"))
    chroma_host: str | None = Field(None, validation_alias=_env("CHROMA_HOST"))
    chroma_port: int = Field(8000, ge=1, le=65535, validation_alias=_env("CHROMA_PORT"))
    model: str | None = Field(None, validation_alias=_env("ADVISOR_MODEL"))
    openai_api_key: SecretStr | None = Field(None, validation_alias=_env("OPENAI_API_KEY"))
    openai_base_url: str | None = Field(None, validation_alias=_env("OPENAI_BASE_URL"))
    tool_calling: Literal["auto", "yes", "no"] = Field("auto", validation_alias=_env("ADVISOR_TOOL_CALLING"))
    llm_timeout: float = Field(60.0, gt=0, le=3600, validation_alias=_env("ADVISOR_LLM_TIMEOUT"))
    llm_retries: int = Field(2, ge=0, le=10, validation_alias=_env("ADVISOR_LLM_RETRIES"))
    max_tokens: int = Field(900, ge=16, le=32000, validation_alias=_env("ADVISOR_MAX_TOKENS"))
    turn_deadline: float = Field(60.0, gt=0, le=3600, validation_alias=_env("ADVISOR_TURN_DEADLINE"))
    # Sessions: in PostgreSQL when set (postgresql://user:password@host:port/db), else SQLite in the home;
    # how long to wait for a store that another process keeps locked.
    database_url: SecretStr | None = Field(None, validation_alias=_env("ADVISOR_DATABASE_URL"))
    store_timeout: float = Field(30.0, gt=0, le=3600, validation_alias=_env("ADVISOR_STORE_TIMEOUT"))
    # The HTTP API (`advisor serve`): bearer tokens (comma-separated; unset: no token needed), the largest
    # request body in bytes, and chat completions per minute per client (0: no limit).
    api_tokens: SecretStr | None = Field(None, validation_alias=_env("ADVISOR_API_TOKENS"))
    api_max_body: int = Field(1_048_576, ge=1024, le=67_108_864, validation_alias=_env("ADVISOR_API_MAX_BODY"))
    api_rate_limit: int = Field(60, ge=0, le=1_000_000, validation_alias=_env("ADVISOR_API_RATE_LIMIT"))

    # The web app (`ui.py`, `advisor ui`): an optional login, `user:password` (unset: no login).
    ui_auth: SecretStr | None = Field(None, validation_alias=_env("ADVISOR_UI_AUTH"))

    @field_validator("ui_auth")
    @classmethod
    def _user_colon_password(cls, value: SecretStr | None) -> SecretStr | None:
        user, sep, password = value.get_secret_value().partition(":") if value else ("x", ":", "x")
        if not (sep and user.strip() and password):
            raise ValueError("expected user:password, both non-empty")
        return value

    @property
    def ui_login(self) -> tuple[str, str] | None:
        """The web app's (user, password) from ADVISOR_UI_AUTH, or None when no login is asked for."""
        if self.ui_auth is None:
            return None
        user, _, password = self.ui_auth.get_secret_value().partition(":")
        return user.strip(), password

    @property
    def index_dir(self) -> Path:
        return self.home / "index"

    @property
    def sessions_db(self) -> Path:
        return self.home / "sessions.sqlite3"

    @property
    def api_token_list(self) -> list[str]:
        """The API's bearer tokens (ADVISOR_API_TOKENS split at commas); empty: no token needed."""
        raw = self.api_tokens.get_secret_value() if self.api_tokens else ""
        return [token.strip() for token in raw.split(",") if token.strip()]


ENV_NAMES = {name: str(info.validation_alias.choices[0])  # type: ignore[union-attr]
             for name, info in Settings.model_fields.items()}


SECRET_VARS = {ENV_NAMES[name] for name, info in Settings.model_fields.items()
               if SecretStr in typing.get_args(info.annotation)}


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Settings from `env` (default: the process environment); empty values count as unset. No I/O."""
    source = os.environ if env is None else env
    values = {var: source[var] for var in ENV_NAMES.values() if source.get(var, "").strip()}
    try:
        return Settings.model_validate(values)
    except ValidationError as exc:
        err = exc.errors()[0]
        field = str(err["loc"][0]) if err["loc"] else "?"
        var = ENV_NAMES.get(field, field)
        shown = "(hidden)" if var in SECRET_VARS else repr(values.get(var, ""))
        raise SettingsError(f"{var}={shown} cannot be used: {err['msg']}. Fix or unset {var}.") from None
