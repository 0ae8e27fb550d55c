"""Settings of one storage element; UPPERCASE fields are the environment variable names."""

from __future__ import annotations

from typing import Literal
from uuid import UUID

from pydantic import Field

from artstore_common.contracts import FILE_EVENTS_STREAM, Mode
from artstore_common.settings import ArtStoreSettings

GiB = 1024**3
MiB = 1024**2


class Settings(ArtStoreSettings):
    SERVICE_NAME: str = "storage-element"

    SE_ID: UUID | None = None  # generated at first start and persisted on the volume
    SE_NAME: str = "storage-element"
    ADMIN_URL: str | None = None  # its JWKS when JWKS_URL is not set
    SE_MODE: Mode = "edit"  # only used while the volume has no persisted mode
    SE_MODE_OVERRIDE: Mode | None = None  # forces a mode at startup (the only way out of ar)
    SE_BACKEND: Literal["local", "s3"] = "local"
    SE_DATA_DIR: str = "./.artstore/se-data"
    SE_S3_ENDPOINT_URL: str | None = None
    SE_S3_ACCESS_KEY: str | None = None
    SE_S3_SECRET_KEY: str | None = None
    SE_S3_BUCKET: str = "artstore"
    SE_S3_PREFIX: str = ""
    SE_S3_REGION: str = "us-east-1"
    SE_S3_SECURE: bool | None = None  # default: from the endpoint scheme
    SE_S3_PART_SIZE: int = 16 * MiB
    SE_S3_CREATE_BUCKET: bool = True

    SE_CAPACITY_BYTES: int = 100 * GiB
    SE_PRIORITY: int = 100
    SE_RETENTION_DAYS: int | None = None
    SE_MAX_FILE_SIZE: int = GiB
    SE_CHUNK_BYTES: int = MiB
    SE_DIRECT_IO: bool = True  # local backend: file bytes bypass the page cache (O_DIRECT)
    SE_DEFAULT_TTL_DAYS: int = 30

    DATABASE_URL: str = "postgresql+asyncpg://postgres@127.0.0.1:5432/artstore_se"
    DATABASE_POOL_SIZE: int = Field(default=20, ge=1)  # plus 10 overflow connections
    SE_RUN_MIGRATIONS: bool = True
    REDIS_URL: str = "redis://127.0.0.1:6379/0"
    SE_EVENTS_STREAM: str = FILE_EVENTS_STREAM
    SE_OUTBOX_POLL_SECONDS: float = 2.0
    SE_OUTBOX_RETENTION_HOURS: float = 72.0
    # Trimming the shared stream (storage_element/stream_trim.py); 0 disables it on this SE.
    SE_EVENTS_TRIM_INTERVAL_SECONDS: float = 30.0
    SE_EVENTS_TRIM_SAFETY_SECONDS: float = 900.0  # acknowledged entries younger than this stay
    SE_EVENTS_MAX_ENTRIES: int = Field(default=1_000_000, ge=1)  # the bound: behind it, overtaken

    SE_WAL_RETENTION_HOURS: float = 72.0
    SE_FIXITY_INTERVAL_SECONDS: float = 3600.0  # 0 disables the background scrubber
    SE_FIXITY_RATE_BYTES_PER_SECOND: int = 50 * MiB
    SE_FIXITY_REVERIFY_HOURS: float = 24.0 * 30
    SE_RECONCILE_INTERVAL_SECONDS: float = 3600.0  # 0 disables scheduled reconciliation
