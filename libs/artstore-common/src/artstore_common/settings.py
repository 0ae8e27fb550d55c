"""Settings base class shared by every service.

Environment variables win over an optional config file (``CONFIG_FILE``, TOML or JSON).
Services subclass ``ArtStoreSettings`` and add their own UPPERCASE fields, named exactly
like the environment variables that set them.
"""

from __future__ import annotations

import json
import os
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, field_validator
from pydantic_settings import (
    BaseSettings,
    InitSettingsSource,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)


def _load_config_file() -> dict[str, Any]:
    path = os.environ.get("CONFIG_FILE")
    if not path:
        return {}
    text = Path(path).read_text(encoding="utf-8")
    data = json.loads(text) if path.endswith(".json") else tomllib.loads(text)
    return {str(key).upper(): value for key, value in data.items()}


class ArtStoreSettings(BaseSettings):
    # An empty variable means "use the default": compose passes every setting as ${NAME:-}.
    model_config = SettingsConfigDict(case_sensitive=True, extra="ignore", env_ignore_empty=True)

    SERVICE_NAME: str = "artstore"
    ENVIRONMENT: Literal["development", "production", "test"] = "development"
    LOG_LEVEL: str = "INFO"
    LOG_FORMAT: Literal["json", "text"] = "text"
    # API docs (/docs, /redoc, /openapi.json): unset means on outside production, off in it.
    APP_SWAGGER_ENABLED: bool | None = None
    # Bearer credential Prometheus sends to scrape /metrics (or a file holding it). Without one,
    # /metrics is open outside production and closed (401) in production.
    METRICS_TOKEN: str | None = None
    METRICS_TOKEN_FILE: str | None = None
    # How often every service re-reads the access-token deny-list from Redis.
    REVOCATION_POLL_SECONDS: float = Field(default=2.0, gt=0)

    CORS_ALLOW_ORIGINS: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: ["http://localhost:4200"]
    )
    CORS_ALLOW_CREDENTIALS: bool = True

    JWT_ISSUER: str = "artstore-admin"
    JWT_AUDIENCE: str = "artstore"
    JWKS_URL: str | None = None
    JWT_PUBLIC_KEY_FILE: str | None = None
    JWKS_CACHE_SECONDS: int = 300
    JWKS_MIN_REFETCH_SECONDS: float = 10.0
    JWT_LEEWAY_SECONDS: int = 30

    TLS_CA_FILE: str | None = None
    OTEL_EXPORTER_OTLP_ENDPOINT: str | None = None

    @field_validator("CORS_ALLOW_ORIGINS", mode="before")
    @classmethod
    def _split_origins(cls, value: Any) -> Any:
        if isinstance(value, str) and not value.strip().startswith("["):
            return [item.strip() for item in value.split(",") if item.strip()]
        return value

    @field_validator("CORS_ALLOW_ORIGINS")
    @classmethod
    def _no_wildcard(cls, value: list[str]) -> list[str]:
        if "*" in value:
            raise ValueError("CORS_ALLOW_ORIGINS must list origins; '*' is refused")
        return value

    @property
    def is_production(self) -> bool:
        return self.ENVIRONMENT == "production"

    @property
    def docs_enabled(self) -> bool:
        if self.APP_SWAGGER_ENABLED is None:
            return not self.is_production
        return self.APP_SWAGGER_ENABLED

    def metrics_token(self) -> str | None:
        if self.METRICS_TOKEN:
            return self.METRICS_TOKEN
        if self.METRICS_TOKEN_FILE:
            return Path(self.METRICS_TOKEN_FILE).read_text(encoding="utf-8").strip() or None
        return None

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        file_source = InitSettingsSource(settings_cls, init_kwargs=_load_config_file())
        return (init_settings, env_settings, file_source, file_secret_settings)
