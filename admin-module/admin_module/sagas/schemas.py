"""Saga shapes for the API."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel

from admin_module.models.saga import Saga


class SagaRead(BaseModel):
    id: uuid.UUID
    type: str
    state: str
    resource_id: str | None
    current_step: str | None
    payload: dict[str, Any]
    steps: list[dict[str, Any]]
    attempts: int
    next_attempt_at: datetime
    error: str | None
    created_by: str | None
    created_at: datetime
    updated_at: datetime
    completed_at: datetime | None

    @classmethod
    def of(cls, saga: Saga) -> SagaRead:
        return cls(
            id=saga.id, type=saga.type, state=saga.state, resource_id=saga.resource_id,
            current_step=saga.current_step, payload=dict(saga.payload or {}),
            steps=list(saga.steps or []), attempts=saga.attempts,
            next_attempt_at=saga.next_attempt_at, error=saga.error, created_by=saga.created_by,
            created_at=saga.created_at, updated_at=saga.updated_at,
            completed_at=saga.completed_at,
        )
