from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel


class SigningKeyRead(BaseModel):
    kid: str
    algorithm: str
    status: Literal["next", "active", "published", "expired"]
    created_at: datetime
    activated_at: datetime | None
    retired_at: datetime | None
    publish_until: datetime | None
    reason: str
    created_by: str | None


class KeyStatusRead(BaseModel):
    active_kid: str
    active_created_at: datetime
    active_since: datetime | None
    next_kid: str | None
    next_rotation_at: datetime
    rotation_interval_hours: float
    access_token_ttl_seconds: int
    published: list[SigningKeyRead]


class RotationRead(BaseModel):
    kid: str
    previous_kid: str | None
    previous_publish_until: datetime | None
