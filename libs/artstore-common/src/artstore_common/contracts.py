"""Wire contracts shared between services: the sidecar, events, the storage element's
answers (``/info``, files, modes, fixity), discovery.

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
# Refusals (401/403/429) a service cannot audit itself, aggregated per reporting interval: one
# ``RefusalReport`` (JSON in field ``data``) per (status, code, operation, source, subject); the
# admin module writes each into its audit chain.
REFUSALS_STREAM = "artstore:refusals"
# The access trail: one ``AccessEvent`` (JSON in field ``data``) per upload, metadata read and
# download, published by the ingester and the query module; the admin module writes each into
# its audit chain. Capped (``MAXLEN ~``) so a long admin outage cannot fill Redis.
ACCESS_EVENTS_STREAM = "artstore:access-events"
ACCESS_EVENTS_MAXLEN = 100_000
# Retention schedules (hash: name → JSON of name, period_days, trigger, date_field, action),
# written by the admin module: the ingester computes a class's retain_until at upload from here,
# so an upload with a class does not need the admin module up. Schedules never change once made.
RETENTION_SCHEDULES_KEY = "artstore:retention-schedules"


def stream_overtaken_key(stream: str) -> str:
    """Hash group → first entry kept when a trim overtook that group (it lost events and must
    re-index from the SEs); the group's owner deletes its field once the re-index is complete."""
    return f"{stream}:overtaken"


def stream_trim_lock_key(stream: str) -> str:
    """Held by the one trimmer of the current interval (SET NX PX)."""
    return f"{stream}:trim-lock"


MAX_LEGAL_HOLDS = 16  # per file; the sidecar stays within its 4 KiB

# --- storage element upload protocol (PUT /api/v1/files/{file_id}) -------------------------
# The request body is the file's original bytes (streamed, chunked transfer allowed).
HEADER_ATTRIBUTES = "X-ArtStore-Attributes"  # base64url(JSON of UploadAttributes)
# The ingester's own bearer token on a user's upload: it vouches for the copy set it planned
# (internal provenance) while the user's token still says who uploads, with the user's rights.
HEADER_COPY_SET_VOUCHER = "X-ArtStore-Copy-Set-Voucher"
HEADER_DECLARED_SIZE = "X-ArtStore-Declared-Size"  # upper bound of the body, for 507 / reservation
HEADER_EXPECTED_SHA256 = "X-ArtStore-Expected-SHA256"  # optional; mismatch → 422, nothing kept
# "true": rewrite this SE's quarantined copy from a healthy one (``files:replicate`` only; the
# expected SHA-256 must be the one the sidecar records). Any other existing file → 409.
HEADER_REPAIR = "X-ArtStore-Repair"

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
    # The file's copy set (SE ids); an SE takes it only from a ``files:replicate`` token.
    copies: list[UUID] | None = Field(default=None, max_length=16)
    # Records governance, carried by copies (internal provenance like ``created_at``).
    legal_holds: list[UUID] | None = Field(default=None, max_length=MAX_LEGAL_HOLDS)
    retain_until: datetime | None = None
    retention_class: str | None = Field(default=None, max_length=200)


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
    # Every SE meant to hold a copy of this file (this one included), as planned at write
    # time: a catalog rebuilt from SEs alone knows a copy that an SE lost with its disk.
    copies: list[UUID] = Field(default_factory=list)
    # Legal holds (admin hold ids) on this file: while any is present no path deletes it.
    legal_holds: list[UUID] = Field(default_factory=list)
    # Kept at least until then; only ever moved later (issue 15).
    retain_until: datetime | None = None
    retention_class: str | None = None  # the retention schedule that computed retain_until


def copy_attributes(stored: FileAttributes, copies: list[UUID]) -> UploadAttributes:
    """What another SE needs to hold another copy of ``stored``: its provenance and copy set."""
    return UploadAttributes(
        original_filename=stored.original_filename, content_type=stored.content_type,
        description=stored.description, version=stored.version, tags=stored.tags,
        retention_policy=stored.retention_policy, ttl_days=stored.ttl_days,
        expires_at=stored.expires_at, custom=stored.custom, uploaded_by=stored.uploaded_by,
        created_at=stored.created_at,
        compression=stored.compression.algorithm if stored.compression else None,
        copies=copies, legal_holds=stored.legal_holds or None, retain_until=stored.retain_until,
        retention_class=stored.retention_class,
    )


class FileEvent(BaseModel):
    """One entry of the ``artstore:file-events`` stream (fields are JSON in field ``data``)."""

    model_config = ConfigDict(extra="ignore")
    event_id: UUID
    type: Literal["file.created", "file.updated", "file.deleted"]
    file_id: UUID
    storage_element_id: UUID
    occurred_at: datetime
    attributes: FileAttributes | None = None  # full sidecar for created/updated
    quarantined: bool = False  # this SE's copy failed fixity and is not served


class RefusalReport(BaseModel):
    """One entry of ``REFUSALS_STREAM``: ``count`` alike refusals between ``first_at`` and
    ``last_at``."""

    model_config = ConfigDict(extra="ignore")
    service: str  # the audit entry's resource type, e.g. ``storage_element``
    instance: str  # its resource id, e.g. the SE's id
    status: int
    code: str
    operation: str
    source: str | None = None
    subject: str | None = None
    count: int
    first_at: datetime
    last_at: datetime


class AccessEvent(BaseModel):
    """One entry of ``ACCESS_EVENTS_STREAM``: who did what to which file, from where."""

    model_config = ConfigDict(extra="ignore")
    action: Literal["file.uploaded", "file.metadata_read", "file.downloaded"]
    file_id: UUID
    subject: str
    name: str | None = None
    source: str | None = None  # the client address the service saw
    service: str
    outcome: Literal["success", "failure", "denied"] = "success"
    occurred_at: datetime
    details: dict[str, Any] = Field(default_factory=dict)


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


class InfoRead(StorageElementInfo):
    """``GET /api/v1/info``: the discovery fields plus what placement needs right now."""

    in_flight_uploads: int
    reserved_bytes: int
    max_file_size: int


class FileRead(FileAttributes):
    """One file: its sidecar, the SE answering, and whether that SE's copy is served."""

    storage_element_id: UUID
    quarantined: bool = Field(default=False,
                              description="present (true) only when this copy failed fixity")


class FilePage(BaseModel):
    """``GET /api/v1/files``: ordered by (updated_at, file_id); ``next_cursor`` continues."""

    items: list[FileRead]
    total: int
    limit: int
    offset: int
    next_cursor: str | None


class ModeChange(BaseModel):
    target_mode: Literal["edit", "rw", "ro", "ar"]
    reason: str | None = Field(default=None, max_length=500)


class ModeChanged(BaseModel):
    previous_mode: Mode
    mode: Mode
    id: UUID


class Disposition(BaseModel):
    """The approved batch a copy is destroyed under (``POST /files/{id}/dispose``)."""

    model_config = ConfigDict(extra="forbid")
    batch_id: UUID


class FixitySummary(BaseModel):
    """This SE's copies by their last check (the dashboard)."""

    storage_element_id: UUID
    files: int
    verified: int
    quarantined: int
    never_verified: int
    last_verified_at: datetime | None


class CopyVerified(BaseModel):
    """One copy checked now ("Check integrity now")."""

    file_id: UUID
    storage_element_id: UUID
    outcome: Literal["ok", "mismatch", "missing", "unreadable", "error"]
    fixity_status: str | None
    quarantined: bool
    last_verified_at: datetime | None


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
    failure_domain: str | None = None  # rack/host/site; None means the SE is its own domain
    redundant_backend: bool = False  # the backend itself keeps redundant copies (EC/replicas)

    @property
    def domain(self) -> str:
        return self.failure_domain or str(self.id)


class CopyPolicy(BaseModel):
    """How many copies a file of one retention policy should have, and how many must be
    durable before an upload is acknowledged (the rest are made by the repairer)."""

    model_config = ConfigDict(extra="ignore")
    retention_policy: RetentionPolicy
    target_copies: int = Field(ge=1, le=16)
    write_quorum: int = Field(ge=1, le=16)
    # A copy on an SE with a redundant backend counts this many times towards the target.
    redundant_copy_weight: int = Field(default=1, ge=1, le=16)


DEFAULT_COPY_POLICIES: dict[str, CopyPolicy] = {
    "permanent": CopyPolicy(retention_policy="permanent", target_copies=2, write_quorum=2),
    "temporary": CopyPolicy(retention_policy="temporary", target_copies=1, write_quorum=1),
}


class DiscoveryDocument(BaseModel):
    """Published by the admin module under ``DISCOVERY_KEY``."""

    model_config = ConfigDict(extra="ignore")
    version: int
    published_at: datetime
    storage_elements: list[DiscoveredStorageElement]
    copy_policies: list[CopyPolicy] = Field(
        default_factory=lambda: list(DEFAULT_COPY_POLICIES.values()))

    def copy_policy(self, retention_policy: str) -> CopyPolicy:
        for policy in self.copy_policies:
            if policy.retention_policy == retention_policy:
                return policy
        return DEFAULT_COPY_POLICIES[retention_policy]
