from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from admin_module.common import Description, Name

Role = Literal["ADMIN", "USER", "AUDITOR", "READONLY", "SERVICE", "RECORDS_MANAGER"]
Status = Literal["active", "suspended", "deleted"]
ClientId = Annotated[
    str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{2,63}$")
]
ClientSecret = Annotated[str, StringConstraints(min_length=32, max_length=256)]
RateLimit = Annotated[int, Field(ge=1, le=100_000)]


class ServiceAccountCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name
    role: Role
    description: Description | None = None
    client_id: ClientId | None = None
    rate_limit_per_minute: RateLimit | None = None


class ServiceAccountUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    role: Role | None = None
    description: Description | None = None
    rate_limit_per_minute: RateLimit | None = None


class ServiceAccountRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    client_id: str
    name: str
    description: str | None
    role: str
    status: str
    is_system: bool
    rate_limit_per_minute: int | None
    secret_created_at: datetime
    secret_expires_at: datetime | None
    last_used_at: datetime | None
    created_at: datetime
    updated_at: datetime
    created_by: str | None


class ServiceAccountWithSecret(ServiceAccountRead):
    """Returned once, on create and on secret rotation: the secret is never shown again."""

    client_secret: str


class SecretRotate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    client_secret: ClientSecret | None = None


class SecretHistoryRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    created_at: datetime
    expires_at: datetime | None
    retired_at: datetime | None
    reason: str
    created_by: str | None
    current: bool = False
