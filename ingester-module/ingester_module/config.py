"""Ingester settings: UPPERCASE fields named like the environment variables that set them."""

from __future__ import annotations

import json
from typing import Annotated, Literal

from pydantic import Field, field_validator
from pydantic_settings import NoDecode

from artstore_common.settings import ArtStoreSettings


class Settings(ArtStoreSettings):
    SERVICE_NAME: str = "ingester"
    PORT: int = 8020

    ADMIN_URL: str = "http://127.0.0.1:8000"
    INGESTER_CLIENT_ID: str | None = None
    INGESTER_CLIENT_SECRET: str | None = None
    TOKEN_REFRESH_AT: float = Field(default=0.8, gt=0.1, lt=1.0)  # fraction of expires_in
    ADMIN_TIMEOUT_SECONDS: float = 10.0

    REDIS_URL: str = "redis://127.0.0.1:6379/0"
    DISCOVERY_FALLBACK_FILE: str | None = None
    DISCOVERY_REFRESH_SECONDS: float = 30.0

    MAX_FILE_SIZE: int = Field(default=1024**3, gt=0)
    # Comma list (or JSON array); ``type/*`` allowed. Empty: every type is accepted.
    ALLOWED_MIME_TYPES: Annotated[list[str], NoDecode] = Field(default_factory=list)
    COMPRESSION_DEFAULT: Literal["off", "gzip", "br", "zstd"] = "off"
    METADATA_MAX_BYTES: int = 2048
    FIELD_MAX_BYTES: int = 8192
    BATCH_MAX_FILES: int = 100
    SNIFF_BYTES: int = 8192
    # Start of a file kept so it can go to the next SE after a connect failure or early 5xx
    # (refusals come before the body thanks to 100-continue, so this stays small).
    REPLAY_BUFFER_BYTES: int = 256 * 1024

    SE_CONNECT_TIMEOUT_SECONDS: float = 5.0
    SE_WRITE_TIMEOUT_SECONDS: float = 60.0
    SE_READ_TIMEOUT_SECONDS: float = 300.0
    SE_BREAKER_FAILURES: int = 3
    SE_BREAKER_RESET_SECONDS: float = 30.0
    NO_STORAGE_RETRY_AFTER_SECONDS: int = 30
    # Sent as X-ArtStore-Search-Visible-Within on 201/207: how soon search lists a new file
    SEARCH_VISIBLE_WITHIN_SECONDS: float = Field(default=5.0, gt=0)

    @field_validator("ALLOWED_MIME_TYPES", mode="before")
    @classmethod
    def _split_types(cls, value: object) -> object:
        if isinstance(value, str) and not value.strip().startswith("["):
            return [item.strip().lower() for item in value.split(",") if item.strip()]
        if isinstance(value, str):
            return json.loads(value)
        return value

    @property
    def token_url(self) -> str:
        return self.ADMIN_URL.rstrip("/") + "/api/v1/auth/token"
