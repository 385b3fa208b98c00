"""Every environment variable the advisor reads, in one typed place (pydantic-settings).

`load_settings()` reads them on demand, never at import; a bad value is a `SettingsError` that names the
variable and what it accepts.
"""

from __future__ import annotations

import ipaddress
import os
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import AliasChoices, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from advisor.errors import InputError

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class SettingsError(InputError):
    """An environment variable with a value the advisor cannot use."""


def default_home() -> Path:
    from platformdirs import user_data_dir

    return Path(user_data_dir("ai-safety-advisor", appauthor=False))


def legacy_home_notice(settings: Settings, environ: Mapping[str, str] | None = None) -> str | None:
    """Before 2026-12-07 the default home was $HOME itself (the environment's HOME was read as the setting): when
    the person set no ADVISOR_HOME, has no data in today's default home, and has sessions or an index there, say
    where they are and how to keep using them. Nothing is moved."""
    env = os.environ if environ is None else environ
    if env.get("ADVISOR_HOME", "").strip() or not env.get("HOME"):
        return None
    old = Path(env["HOME"])
    found = [n for n in ("sessions.sqlite3", "index") if (old / n).exists()]
    if not found or settings.home == old or settings.home.exists():
        return None
    return (f"Your earlier conversations and index are in {old} ({', '.join(found)}), where earlier versions kept "
            f"them; this version keeps its data in {settings.home}. To keep using them, set ADVISOR_HOME={old}, or "
            f"move them into {settings.home}.")


def _env(name: str) -> AliasChoices:
    return AliasChoices(name)


class Settings(BaseSettings):
    """Where the advisor keeps its data, which model and services it talks to (see README, Configuration)."""

    model_config = SettingsConfigDict(frozen=True, extra="ignore", populate_by_name=True)

    @classmethod
    def settings_customise_sources(
            cls, settings_cls: type[BaseSettings], init_settings: PydanticBaseSettingsSource,
            env_settings: PydanticBaseSettingsSource, dotenv_settings: PydanticBaseSettingsSource,
            file_secret_settings: PydanticBaseSettingsSource) -> tuple[PydanticBaseSettingsSource, ...]:
        """Only what `load_settings` passes: the variables named in the README. Read by field name, the
        environment would take $HOME as the advisor's home and $MODEL as its model."""
        return (init_settings,)

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
    # Proxies whose X-Forwarded-For is believed (addresses or networks, comma-separated; unset: none), the
    # seconds a request body may take to arrive, and how many turns one client may have running at once.
    trusted_proxies: str | None = Field(None, validation_alias=_env("ADVISOR_TRUSTED_PROXIES"))
    api_body_timeout: float = Field(30.0, gt=0, le=3600, validation_alias=_env("ADVISOR_API_BODY_TIMEOUT"))
    api_client_turns: int = Field(1, ge=1, le=1000, validation_alias=_env("ADVISOR_API_CLIENT_TURNS"))
    # What one turn may cost: the history a client may send with a stateless request (messages and characters)
    # and the CPU seconds a turn may use reading it.
    max_history_messages: int = Field(60, ge=1, le=10_000, validation_alias=_env("ADVISOR_MAX_HISTORY_MESSAGES"))
    max_history_chars: int = Field(60_000, ge=1000, le=10_000_000, validation_alias=_env("ADVISOR_MAX_HISTORY_CHARS"))
    turn_cpu: float = Field(10.0, gt=0, le=3600, validation_alias=_env("ADVISOR_TURN_CPU"))

    # The web app (`ui.py`, `advisor ui`): an optional login, `user:password` (unset: no login).
    ui_auth: SecretStr | None = Field(None, validation_alias=_env("ADVISOR_UI_AUTH"))

    @field_validator("ui_auth")
    @classmethod
    def _user_colon_password(cls, value: SecretStr | None) -> SecretStr | None:
        user, sep, password = value.get_secret_value().partition(":") if value else ("x", ":", "x")
        if not (sep and user.strip() and password):
            raise ValueError("expected user:password, both non-empty")
        return value

    @field_validator("openai_base_url")
    @classmethod
    def _endpoint_url(cls, value: str | None) -> str | None:
        if value is not None:
            problem = url_problem(value.strip())
            if problem:
                raise ValueError(problem)
        return value.strip() if value else value

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: str | None) -> str | None:
        for item in (value or "").split(","):
            if item.strip():
                try:
                    ipaddress.ip_network(item.strip(), strict=False)
                except ValueError:
                    raise ValueError(f"{item.strip()!r} is not an IP address or network (e.g. 10.0.0.5 or "
                                     "10.0.0.0/8); separate several with commas") from None
        return value

    @property
    def trusted_proxy_networks(self) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
        """The proxies named in ADVISOR_TRUSTED_PROXIES (empty: trust no X-Forwarded-For)."""
        return [ipaddress.ip_network(item.strip(), strict=False)
                for item in (self.trusted_proxies or "").split(",") if item.strip()]

    def check_api_tokens(self) -> None:
        """Refuse weak API tokens (a `SettingsError` naming ADVISOR_API_TOKENS, never a token): each must have at
        least MIN_TOKEN_CHARS characters and MIN_TOKEN_DISTINCT different ones."""
        if self.api_tokens is not None and not self.api_token_list:
            raise SettingsError("ADVISOR_API_TOKENS holds no token: give one or more, separated by commas, or unset "
                                "it.")
        weak = [(i, why) for i, token in enumerate(self.api_token_list, 1) if (why := token_weakness(token))]
        if weak:
            which = ", ".join(f"token {i} {why}" for i, why in weak)
            raise SettingsError(f"ADVISOR_API_TOKENS=(hidden) holds weak tokens ({which}): use random tokens of at "
                                f"least {MIN_TOKEN_CHARS} characters, e.g. `python -c 'import secrets; "
                                "print(secrets.token_urlsafe(24))'`.")

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


MIN_TOKEN_CHARS = 16
MIN_TOKEN_DISTINCT = 8  # "aaaaaaaaaaaaaaaa" and "abababababababab" are long but guessable


def token_weakness(token: str) -> str | None:
    """Why `token` is too weak to guard a server, or None: too short, or too few different characters."""
    if len(token) < MIN_TOKEN_CHARS:
        return f"is {len(token)} character{'s' if len(token) != 1 else ''} long"
    if len(set(token)) < MIN_TOKEN_DISTINCT:
        return f"uses only {len(set(token))} different characters"
    return None


def url_problem(url: str) -> str | None:
    """Why `url` cannot be an endpoint's base URL, without repeating any of it (it may hold a password)."""
    try:
        parts = urlsplit(url)
        port = parts.port  # raises for a port that is not a number: often a password with '/', '#' or '?'
    except ValueError:
        return ("not a valid URL (a password or user name holding '/', '#', '?', '@' or ':' must be "
                "percent-encoded, e.g. %2F for '/')")
    if parts.scheme not in ("http", "https"):
        return "expected an http:// or https:// URL, e.g. http://127.0.0.1:11434/v1"
    if not parts.hostname or port == 0:
        return "the URL names no host and port, e.g. http://127.0.0.1:11434/v1"
    if parts.fragment or "#" in url or "@" in parts.path + parts.query:
        return ("not a valid URL (a password or user name holding '/', '#', '?', '@' or ':' must be "
                "percent-encoded, e.g. %2F for '/')")
    return None


ENV_NAMES = {name: str(info.validation_alias.choices[0])  # type: ignore[union-attr]
             for name, info in Settings.model_fields.items()}


SECRET_VARS = {ENV_NAMES[name] for name, info in Settings.model_fields.items()
               if SecretStr in typing.get_args(info.annotation)} | {"OPENAI_BASE_URL"}  # it may hold a password


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
        reason = str(err["msg"]).removeprefix("Value error, ")
        raise SettingsError(f"{var}={shown} cannot be used: {reason}. Fix or unset {var}.") from None
