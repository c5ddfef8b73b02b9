"""Kefu's one typed settings object: ``KEFU_*`` environment variables over an optional kefu.toml.

Precedence, highest first: arguments passed in code, ``KEFU_*`` environment variables, the TOML
file named by ``KEFU_CONFIG`` (default ``./kefu.toml`` when it exists), the defaults below.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

SECRET_FILE = "secret.key"
#: Seconds between the ``ping`` frames Kefu's own clients send (shared/socket.js PING_EVERY_MS).
CLIENT_PING_INTERVAL = 25.0


def _config_file() -> Path | None:
    named = os.environ.get("KEFU_CONFIG")
    if named:
        path = Path(named)
        if not path.is_file():
            raise FileNotFoundError(f"KEFU_CONFIG names {path}, which is not a file")
        return path
    default = Path("kefu.toml")
    return default if default.is_file() else None


class Settings(BaseSettings):
    """Everything an operator can configure; see docs/configuration.md for each field."""

    model_config = SettingsConfigDict(env_prefix="KEFU_", extra="forbid", frozen=True)

    data_dir: Path = Field(Path("var"), description="SQLite file, secrets and indexes live here")
    database_url: str = Field(
        "", description="SQLAlchemy async URL; empty means a SQLite file in data_dir"
    )
    bus_url: str = Field("memory://", description="memory:// or redis://host:port/db")
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=0, le=65535)
    secret_key: str = Field("", description="signing secret; generated into data_dir if empty")
    max_frame_bytes: int = Field(16_384, ge=256, description="largest WebSocket frame accepted")
    ws_idle_timeout: float = Field(
        75.0,
        gt=0,
        description="seconds a WebSocket may stay silent before it is closed (4408 idle_timeout)",
    )
    ws_client_ping_interval: float = Field(
        CLIENT_PING_INTERVAL,
        gt=0,
        description="seconds between clients' ping frames; ws_idle_timeout must exceed twice it",
    )
    max_message_chars: int = Field(4_000, ge=1, description="longest visitor/agent message")
    agent_capacity: int = Field(5, ge=1, description="default concurrent conversations per agent")
    filters: tuple[str, ...] = Field(("sensitive_words",), description="kefu.filter plugins")
    policy: str = Field("handoff", description="kefu.policy plugin for bot-first conversations")
    policy_options: dict[str, Any] = Field(
        default_factory=dict, description="options passed to the policy plugin"
    )
    intent: str = Field("", description="kefu.intent plugin; empty means no intent recognition")
    intent_model_dir: Path | None = Field(
        None, description="directory of a fitted intent model to load (written by its save())"
    )
    retriever: str = Field("", description="kefu.retriever plugin; empty means no retrieval")
    retriever_index_dir: Path | None = Field(
        None, description="directory of a built retrieval index to load"
    )
    assistant_top_k: int = Field(5, ge=1, le=50, description="knowledge hits per turn")
    pack: str = Field(
        "", description="installed knowledge pack the assistant serves; empty means none"
    )
    pack_upload_max_bytes: int = Field(
        512 * 1024 * 1024, ge=1, description="largest pack archive the admin page may upload"
    )
    filter_options: dict[str, dict[str, Any]] = Field(
        default_factory=dict,
        description='options per filter, e.g. {"sensitive_words": {"words_file": "..."}}',
    )
    demo: bool = Field(False, description="seed demo agents and data on start")
    log_level: str = "INFO"
    log_format: Literal["auto", "json", "text"] = Field(
        "auto", description="json lines, plain text, or auto: text on a terminal, else json"
    )

    @field_validator("bus_url")
    @classmethod
    def _known_bus_scheme(cls, value: str) -> str:
        scheme = value.split("://", 1)[0]
        if "://" not in value or not scheme:
            raise ValueError(
                f"bus_url must look like memory:// or redis://host:port, got {value!r}"
            )
        return value

    @model_validator(mode="after")
    def _idle_timeout_outlasts_pings(self) -> Settings:
        """Refuse an idle timeout that a client pinging on schedule could still run into."""
        if self.ws_idle_timeout <= 2 * self.ws_client_ping_interval:
            raise ValueError(
                f"ws_idle_timeout ({self.ws_idle_timeout:g} s) must be more than twice "
                f"ws_client_ping_interval ({self.ws_client_ping_interval:g} s), so one late or "
                "lost ping does not close a healthy socket"
            )
        return self

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        path = _config_file()
        if path is not None:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=path))
        return tuple(sources)

    @property
    def resolved_database_url(self) -> str:
        """The database URL, defaulting to a SQLite file inside the data directory."""
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'kefu.db').resolve()}"

    @property
    def bus_scheme(self) -> str:
        """The bus backend's name in ``kefu.bus``, from the URL scheme."""
        return self.bus_url.split("://", 1)[0]


def ensure_data_dir(settings: Settings) -> Settings:
    """Create the data directory and, when no secret is configured, a persistent random one.

    Returns settings whose ``secret_key`` is set. The generated secret is written once with
    mode 0600 and reused on every later start, so tokens survive restarts.
    """
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    if settings.secret_key:
        return settings
    path = settings.data_dir / SECRET_FILE
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_urlsafe(48))
    secret = path.read_text().strip()
    if len(secret) < 32:
        raise ValueError(
            f"{path} holds a secret shorter than 32 characters; delete it to regenerate"
        )
    return settings.model_copy(update={"secret_key": secret})


def load_settings(**overrides: Any) -> Settings:
    """Read settings from the environment and kefu.toml, then prepare the data directory."""
    return ensure_data_dir(Settings(**overrides))
