"""Query module settings: UPPERCASE fields equal the environment variable names."""

from __future__ import annotations

import socket

from pydantic import Field

from artstore_common.contracts import DISCOVERY_CHANNEL, DISCOVERY_KEY, FILE_EVENTS_STREAM
from artstore_common.settings import ArtStoreSettings


class Settings(ArtStoreSettings):
    SERVICE_NAME: str = "query-module"
    PORT: int = 8030

    DATABASE_URL: str = "postgresql+asyncpg://artstore:artstore@localhost:5432/artstore_query"
    DATABASE_POOL_SIZE: int = 10
    DATABASE_ECHO: bool = False
    MIGRATE_ON_STARTUP: bool = True
    REDIS_URL: str = "redis://localhost:6379/0"

    # Service account used when calling storage elements (client credentials at ADMIN_URL).
    ADMIN_URL: str = "http://localhost:8000"
    QUERY_CLIENT_ID: str | None = None
    QUERY_CLIENT_SECRET: str | None = None
    TOKEN_REFRESH_AT: float = Field(default=0.8, gt=0.1, lt=1.0)  # fraction of expires_in
    ADMIN_TIMEOUT_SECONDS: float = Field(default=10.0, gt=0)

    DISCOVERY_FALLBACK_FILE: str | None = None
    DISCOVERY_REFRESH_SECONDS: float = Field(default=30.0, gt=0)
    DISCOVERY_KEY: str = DISCOVERY_KEY
    DISCOVERY_CHANNEL: str = DISCOVERY_CHANNEL

    # Event stream consumer
    FILE_EVENTS_STREAM: str = FILE_EVENTS_STREAM
    CONSUMER_GROUP: str = "query"
    CONSUMER_NAME: str = Field(default_factory=socket.gethostname)
    CONSUMER_ENABLED: bool = True
    CONSUMER_BATCH_SIZE: int = Field(default=100, ge=1, le=1000)
    CONSUMER_BLOCK_MS: int = Field(default=2000, ge=10)
    CONSUMER_CLAIM_IDLE_SECONDS: float = Field(default=60.0, gt=0)
    CONSUMER_CLAIM_INTERVAL_SECONDS: float = Field(default=15.0, gt=0)
    INDEX_LAG_DEGRADED_SECONDS: float = Field(default=300.0, gt=0)

    # Metadata caches
    CACHE_KEY_PREFIX: str = "artstore:query:file:"
    CACHE_INVALIDATION_CHANNEL: str = "artstore:query:invalidate"
    METADATA_LRU_SIZE: int = Field(default=10_000, ge=0)
    METADATA_LRU_TTL_SECONDS: float = Field(default=30.0, gt=0)
    METADATA_REDIS_TTL_SECONDS: int = Field(default=300, ge=1)

    # Read-after-write: an id missing from the catalog is looked up on the edit/rw SEs
    CATALOG_MISS_CONCURRENCY: int = Field(default=4, ge=1, le=64)  # lookups at once
    CATALOG_MISS_TIMEOUT_SECONDS: float = Field(default=3.0, gt=0)  # per SE
    CATALOG_MISS_NEGATIVE_TTL_SECONDS: float = Field(default=2.0, gt=0)  # "no SE has it"

    # Download proxy and re-index
    SE_CONNECT_TIMEOUT_SECONDS: float = Field(default=5.0, gt=0)
    SE_READ_TIMEOUT_SECONDS: float = Field(default=60.0, gt=0)
    DOWNLOAD_CHUNK_BYTES: int = Field(default=256 * 1024, ge=4096)
    # POST /api/v1/files/archive (a streamed ZIP of a selection): its bounds
    ARCHIVE_MAX_FILES: int = Field(default=1000, ge=1, le=10_000)
    ARCHIVE_MAX_BYTES: int = Field(default=10 * 1024**3, ge=1)
    THUMBNAIL_MAX_SOURCE_BYTES: int = Field(default=50 * 1024 * 1024, ge=1)
    REINDEX_PAGE_SIZE: int = Field(default=500, ge=1, le=1000)

    # Document text extraction (a child process per file, with these limits)
    TEXT_EXTRACTION_ENABLED: bool = True
    TEXT_CONCURRENCY: int = Field(default=1, ge=1, le=16)
    TEXT_POLL_SECONDS: float = Field(default=1.0, gt=0)
    TEXT_TIMEOUT_SECONDS: float = Field(default=120.0, gt=0)
    TEXT_MEMORY_MB: int = Field(default=1024, ge=128)
    TEXT_MAX_FILE_BYTES: int = Field(default=100 * 1024 * 1024, ge=1)
    TEXT_MAX_CHARS: int = Field(default=500_000, ge=1000, le=5_000_000)
    TEXT_OCR_LANGUAGES: str = "rus+eng"
    TEXT_OCR_MAX_PAGES: int = Field(default=50, ge=0)
    TEXT_RETRY_SECONDS: float = Field(default=60.0, gt=0)  # SE unreachable: try again after

    # Search bounds: beyond these many matches, total is a lower bound and facets a sample
    SEARCH_EXACT_TOTAL_LIMIT: int = Field(default=1_000, ge=100)
    SEARCH_FACET_SAMPLE: int = Field(default=1_000, ge=100)


def get_settings() -> Settings:
    return Settings()
