"""Request and response shapes of the storage-element registry."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Literal

from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field, field_validator

from admin_module.models.base import utcnow
from admin_module.models.storage_element import StorageElement
from artstore_common.contracts import Mode, StorageElementInfo


def _normalize_url(value: AnyHttpUrl | str) -> str:
    return str(value).rstrip("/")


class DiscoverRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    api_url: AnyHttpUrl

    @property
    def url(self) -> str:
        return _normalize_url(self.api_url)


class DiscoverPreview(StorageElementInfo):
    api_url: str
    in_flight_uploads: int = 0
    already_registered: bool = False


class StorageElementCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    api_url: AnyHttpUrl
    name: str | None = Field(default=None, min_length=1, max_length=128)
    description: str | None = Field(default=None, max_length=2000)
    priority: int | None = Field(default=None, ge=0, le=1_000_000)
    retention_days: int | None = Field(default=None, ge=1, le=365 * 200)
    retention_warning_days: int | None = Field(default=None, ge=0, le=365 * 200)
    failure_domain: str | None = Field(default=None, min_length=1, max_length=128)
    redundant_backend: bool = False

    @property
    def url(self) -> str:
        return _normalize_url(self.api_url)


class StorageElementUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str | None = Field(default=None, min_length=1, max_length=128)
    description: str | None = Field(default=None, max_length=2000)
    priority: int | None = Field(default=None, ge=0, le=1_000_000)
    retention_days: int | None = Field(default=None, ge=1, le=365 * 200)
    retention_warning_days: int | None = Field(default=None, ge=0, le=365 * 200)
    failure_domain: str | None = Field(default=None, min_length=1, max_length=128)
    redundant_backend: bool | None = None

    @field_validator("name", "priority", "retention_warning_days", "redundant_backend")
    @classmethod
    def _not_null(cls, value: object) -> object:
        if value is None:
            raise ValueError("may be omitted but not null")
        return value


class LostDeclaration(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=500)


class ModeChangeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    target_mode: Mode
    reason: str | None = Field(default=None, max_length=500)


RetentionState = Literal["none", "ok", "warning", "expired"]


class StorageElementRead(BaseModel):
    id: uuid.UUID
    name: str
    description: str | None
    api_url: str
    mode: Mode
    status: str
    draining: bool
    priority: int
    backend: str
    capacity_bytes: int
    used_bytes: int
    free_bytes: int
    file_count: int
    usage_percent: float
    retention_days: int | None
    retention_warning_days: int
    retention_ends_at: datetime | None
    retention_days_left: int | None
    retention_state: RetentionState
    se_version: str | None
    failure_domain: str  # the SE's own id when no domain was set
    redundant_backend: bool
    lost_at: datetime | None = None
    lost_reason: str | None = None
    last_seen_at: datetime | None
    last_checked_at: datetime | None
    last_error: str | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, se: StorageElement, now: datetime | None = None) -> StorageElementRead:
        """The retention countdown runs from registration: the period an SE's content is kept
        (e.g. 5 years for a 5-year retention group), with a warning lead time before its end."""
        now = now or utcnow()
        ends_at = days_left = None
        state: RetentionState = "none"
        if se.retention_days:
            ends_at = se.created_at + timedelta(days=se.retention_days)
            days_left = max(0, (ends_at - now).days)
            if now >= ends_at:
                state = "expired"
            elif now >= ends_at - timedelta(days=se.retention_warning_days):
                state = "warning"
            else:
                state = "ok"
        capacity = max(se.capacity_bytes, 0)
        return cls(
            id=se.id, name=se.name, description=se.description, api_url=se.api_url,
            mode=se.mode,  # type: ignore[arg-type]
            status=se.status, draining=se.draining, priority=se.priority, backend=se.backend,
            capacity_bytes=se.capacity_bytes, used_bytes=se.used_bytes,
            free_bytes=max(0, capacity - se.used_bytes), file_count=se.file_count,
            usage_percent=round(100.0 * se.used_bytes / capacity, 2) if capacity else 0.0,
            retention_days=se.retention_days, retention_warning_days=se.retention_warning_days,
            retention_ends_at=ends_at, retention_days_left=days_left, retention_state=state,
            se_version=se.se_version, failure_domain=se.failure_domain or str(se.id),
            redundant_backend=bool(se.redundant_backend), lost_at=se.lost_at,
            lost_reason=se.lost_reason, last_seen_at=se.last_seen_at,
            last_checked_at=se.last_checked_at, last_error=se.last_error,
            created_at=se.created_at, updated_at=se.updated_at,
        )


class SyncAllRead(BaseModel):
    items: list[StorageElementRead]
    online: int
    offline: int
    degraded: int
