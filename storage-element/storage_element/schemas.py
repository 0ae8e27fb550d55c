"""What the storage element answers: the response models its endpoints declare (the files'
in ``files/schemas.py``).

The endpoints return the documents as they always have (``JSONResponse``), so the models
document the contract in the OpenAPI without re-serializing the sidecar (its timestamps keep
the format they were stored in); the SE tests validate every answer against these models.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, Field

from artstore_common.contracts import Mode, StorageElementInfo


class InfoRead(StorageElementInfo):
    """``GET /api/v1/info``: the discovery fields plus what placement needs right now."""

    in_flight_uploads: int
    reserved_bytes: int
    max_file_size: int


class InFlightRead(BaseModel):
    in_flight_uploads: int
    reserved_bytes: int


class ModeChange(BaseModel):
    target_mode: Literal["edit", "rw", "ro", "ar"]
    reason: str | None = Field(default=None, max_length=500)


class ModeChanged(BaseModel):
    previous_mode: Mode
    mode: Mode
    id: UUID


class RebuildReport(BaseModel):
    mode: Literal["full", "incremental"]
    sidecars: int
    upserted: int
    removed: int
    skipped_orphan_sidecars: int
    unreadable_sidecars: int


class ConsistencyReport(BaseModel):
    ok: bool
    counts: dict[str, int]
    files_indexed: int
    files_on_storage: int
    pending_operations: int
    issues: dict[str, list[Any]] = Field(
        description="per kind, the first items: file ids, paths or {file_id, ...} objects")


class FixityReport(BaseModel):
    """A scrub pass; on an archived SE only ``{"checked": 0, "skipped": "archived"}``."""

    checked: int
    skipped: Literal["archived"] | None = None
    ok: int = 0
    mismatch: int = 0
    missing: int = 0
    unreadable: int = 0
    error: int = 0
    quarantined: list[UUID] = Field(default_factory=list)


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
