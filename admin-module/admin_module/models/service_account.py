"""Service accounts (OAuth 2.0 clients) and the history of their secrets."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from admin_module.models.base import Base, Timestamps, UUIDPk, utcnow


class ServiceAccount(UUIDPk, Timestamps, Base):
    __tablename__ = "service_accounts"

    client_id: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(128))
    description: Mapped[str | None] = mapped_column(Text)
    role: Mapped[str] = mapped_column(String(16))
    # active | suspended | deleted (soft delete keeps the row for the audit trail)
    status: Mapped[str] = mapped_column(String(16), default="active", index=True)
    is_system: Mapped[bool] = mapped_column(default=False)
    rate_limit_per_minute: Mapped[int | None]
    secret_hash: Mapped[str] = mapped_column(String(256))
    secret_created_at: Mapped[datetime] = mapped_column(default=utcnow)
    secret_expires_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]
    deleted_at: Mapped[datetime | None]
    created_by: Mapped[str | None] = mapped_column(String(128))


class ServiceAccountSecret(UUIDPk, Base):
    __tablename__ = "service_account_secrets"
    __table_args__ = (Index("ix_sa_secrets_account_created", "account_id", "created_at"),)

    account_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("service_accounts.id", ondelete="CASCADE")
    )
    secret_hash: Mapped[str] = mapped_column(String(256))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime | None]
    retired_at: Mapped[datetime | None]
    reason: Mapped[str] = mapped_column(String(32))
    created_by: Mapped[str | None] = mapped_column(String(128))
