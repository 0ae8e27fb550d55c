from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from artstore_common.validation import SafeStr


class CandidateRead(BaseModel):
    file_id: uuid.UUID
    original_filename: str | None
    size: int | None
    retention_class: str | None
    action: str
    retain_until: datetime


class CandidateCount(BaseModel):
    count: int


class BatchCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    file_ids: list[uuid.UUID] = Field(min_length=1, max_length=1000)
    reason: SafeStr = Field(min_length=1, max_length=4000)


class BatchDecision(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: SafeStr | None = Field(default=None, min_length=1, max_length=4000)


class ItemRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    file_id: uuid.UUID
    outcome: str
    reason: str | None
    record: dict[str, Any] | None


class BatchRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    status: str
    reason: str
    proposed_by: str
    proposed_by_subject: str
    proposed_at: datetime
    decided_by: str | None
    decided_by_subject: str | None
    decided_at: datetime | None
    decision_reason: str | None
    saga_id: uuid.UUID | None
    executed_at: datetime | None
    audit_seq_from: int | None
    audit_seq_to: int | None
    certificate_file_id: uuid.UUID | None
    certificate_pdf_file_id: uuid.UUID | None
    counts: dict[str, int] = Field(default_factory=dict)
    items: list[ItemRead] | None = None


class RangeVerification(BaseModel):
    valid: bool
    checked: int
    seq_from: int
    seq_to: int
    reason: str | None = None
    position: int | None = None
