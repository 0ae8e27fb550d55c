from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict


class AuditEventRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    seq: int
    created_at: datetime
    action: str
    actor: str | None
    resource_type: str | None
    resource_id: str | None
    outcome: str
    details: dict[str, Any]
    request_id: str | None
    mac: str


class AuditVerifyRead(BaseModel):
    valid: bool
    checked: int
    first_broken_id: str | None
    position: int | None
    reason: str | None
    mode: Literal["full", "checkpoint", "range"]
    start_seq: int  # the walk began after this position (the anchor or a checkpoint)
    end_seq: int
    checkpoints_checked: int
