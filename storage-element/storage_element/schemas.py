"""What the storage element answers: the response models its endpoints declare (the files'
in ``files/schemas.py``).

The endpoints return the documents as they always have (``JSONResponse``), so the models
document the contract in the OpenAPI without re-serializing the sidecar (its timestamps keep
the format they were stored in); the SE tests validate every answer against these models.
The ones other services read are defined once, in ``artstore_common.contracts``.
"""

from __future__ import annotations

from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, Field

from artstore_common.contracts import (  # noqa: F401 - the wire models clients share
    CopyVerified,
    FixitySummary,
    InfoRead,
    ModeChange,
    ModeChanged,
)


class InFlightRead(BaseModel):
    in_flight_uploads: int
    reserved_bytes: int


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
