"""Wire contracts shared between services: the sidecar, events, SE info, discovery.

Changing a field here changes the protocol between services; keep readers tolerant
(``extra="ignore"``) and bump ``ATTR_SCHEMA_VERSION`` when the sidecar's meaning changes.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from artstore_common.validation import JsonObject

# --- Redis keys and channels -------------------------------------------------------------
DISCOVERY_KEY = "artstore:storage_elements"
DISCOVERY_CHANNEL = "artstore:service_discovery"
FILE_EVENTS_STREAM = "artstore:file-events"
# Access-token deny-list (a hash written by the admin module, read by every service):
# field ``jti:<jti>`` → unix time the token expires; ``sub:<subject>`` → unix time before which
# (inclusive) every token issued to that subject is revoked. Fields past their use are pruned.
REVOCATIONS_KEY = "artstore:revocations"


def stream_overtaken_key(stream: str) -> str:
    """Hash group → first entry kept when a trim overtook that group (it lost events and must
    re-index from the SEs); the group's owner deletes its field once the re-index is complete."""
    return f"{stream}:overtaken"


def stream_trim_lock_key(stream: str) -> str:
    """Held by the one trimmer of the current interval (SET NX PX)."""
    return f"{stream}:trim-lock"


# --- storage element upload protocol (PUT /api/v1/files/{file_id}) -------------------------
# The request body is the file's original bytes (streamed, chunked transfer allowed).
HEADER_ATTRIBUTES = "X-ArtStore-Attributes"  # base64url(JSON of UploadAttributes)
HEADER_DECLARED_SIZE = "X-ArtStore-Declared-Size"  # upper bound of the body, for 507 / reservation
HEADER_EXPECTED_SHA256 = "X-ArtStore-Expected-SHA256"  # optional; mismatch → 422, nothing kept

ATTR_SCHEMA_VERSION = 1
ATTR_MAX_BYTES = 4096
TTL_DAYS_MIN, TTL_DAYS_MAX = 1, 365  # a temporary file's life, everywhere it is checked

Mode = Literal["edit", "rw", "ro", "ar"]
RetentionPolicy = Literal["temporary", "permanent"]
FileStatus = Literal["active", "deleted", "expired"]
CompressionAlgorithm = Literal["gzip", "br", "zstd"]
SEStatus = Literal["online", "offline", "degraded"]


class Uploader(BaseModel):
    model_config = ConfigDict(extra="ignore")
    id: str
    name: str


class Compression(BaseModel):
    model_config = ConfigDict(extra="ignore")
    algorithm: CompressionAlgorithm
    stored_size: int


class UploadAttributes(BaseModel):
    """What the caller of ``PUT /api/v1/files/{file_id}`` says about the file.

    ``compression`` asks the SE to store the bytes compressed with that algorithm; the SE
    may still store them plain when compression does not pay (the sidecar tells the truth).
    """

    model_config = ConfigDict(extra="forbid")
    original_filename: str = Field(min_length=1, max_length=1024)
    content_type: str = Field(default="application/octet-stream", max_length=255)
    description: str | None = Field(default=None, max_length=2000)
    version: str | None = Field(default=None, max_length=64)
    tags: list[str] = Field(default_factory=list, max_length=50)
    retention_policy: RetentionPolicy = "temporary"
    ttl_days: int | None = Field(default=None, ge=TTL_DAYS_MIN, le=TTL_DAYS_MAX)
    # Provenance: accepted only from internal service principals (copies keep the original's);
    # for anyone else the SE takes the uploader from the token and the times from its clock.
    expires_at: datetime | None = None
    custom: JsonObject = Field(default_factory=dict)
    uploaded_by: Uploader | None = None
    created_at: datetime | None = None
    compression: CompressionAlgorithm | None = None


class FileAttributes(BaseModel):
    """The sidecar ``<storage_filename>.attr.json``: the truth about one stored file."""

    model_config = ConfigDict(extra="ignore")
    schema_version: int = ATTR_SCHEMA_VERSION
    file_id: UUID
    original_filename: str
    storage_filename: str
    size: int  # original bytes
    content_type: str
    sha256: str  # of the original bytes
    created_at: datetime
    updated_at: datetime
    uploaded_by: Uploader
    description: str | None = None
    version: str | None = None
    tags: list[str] = Field(default_factory=list)
    retention_policy: RetentionPolicy
    ttl_days: int | None = None
    expires_at: datetime | None = None
    status: FileStatus = "active"
    compression: Compression | None = None
    custom: dict[str, Any] = Field(default_factory=dict)
    finalized_at: datetime | None = None  # set on an edit-SE source once finalize copied it
    last_verified_at: datetime | None = None


class FileEvent(BaseModel):
    """One entry of the ``artstore:file-events`` stream (fields are JSON in field ``data``)."""

    model_config = ConfigDict(extra="ignore")
    event_id: UUID
    type: Literal["file.created", "file.updated", "file.deleted"]
    file_id: UUID
    storage_element_id: UUID
    occurred_at: datetime
    attributes: FileAttributes | None = None  # full sidecar for created/updated


class StorageElementInfo(BaseModel):
    """``GET /api/v1/info`` of a storage element."""

    model_config = ConfigDict(extra="ignore")
    id: UUID
    name: str
    mode: Mode
    backend: Literal["local", "s3"]
    capacity_bytes: int
    used_bytes: int
    file_count: int
    priority: int
    retention_days: int | None = None
    version: str
    status: Literal["ok", "degraded"] = "ok"


class DiscoveredStorageElement(BaseModel):
    model_config = ConfigDict(extra="ignore")
    id: UUID
    name: str
    api_url: str
    mode: Mode
    status: SEStatus
    draining: bool = False
    priority: int
    capacity_bytes: int
    used_bytes: int
    file_count: int
    backend: Literal["local", "s3"] = "local"


class DiscoveryDocument(BaseModel):
    """Published by the admin module under ``DISCOVERY_KEY``."""

    model_config = ConfigDict(extra="ignore")
    version: int
    published_at: datetime
    storage_elements: list[DiscoveredStorageElement]
