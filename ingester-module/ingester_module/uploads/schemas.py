"""Response bodies of the upload endpoints (SPEC §2.3)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel

from artstore_common.contracts import RetentionPolicy


class FileRead(BaseModel):
    file_id: UUID
    original_filename: str
    size: int
    sha256: str
    content_type: str
    retention_policy: RetentionPolicy
    expires_at: datetime | None
    storage_element_id: UUID
    copies: list[UUID] = []  # SEs holding a durable copy when the upload was answered
    compressed: bool
    stored_size: int
    created_at: datetime


class BatchResult(BaseModel):
    index: int
    status: int
    file: FileRead | None = None
    error: dict[str, Any] | None = None


class BatchRead(BaseModel):
    results: list[BatchResult]
