"""Admin users (people using the UI), their password history and refresh tokens."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from admin_module.models.base import Base, Timestamps, UUIDPk, utcnow


class AdminUser(UUIDPk, Timestamps, Base):
    __tablename__ = "admin_users"

    username: Mapped[str] = mapped_column(String(64), unique=True)
    email: Mapped[str | None] = mapped_column(String(254))
    full_name: Mapped[str | None] = mapped_column(String(128))
    role: Mapped[str] = mapped_column(String(16))
    # active | disabled | deleted
    status: Mapped[str] = mapped_column(String(16), default="active", index=True)
    is_system: Mapped[bool] = mapped_column(default=False)
    password_hash: Mapped[str] = mapped_column(String(256))
    password_changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    failed_login_count: Mapped[int] = mapped_column(default=0)
    first_failed_at: Mapped[datetime | None]
    locked_until: Mapped[datetime | None]
    last_login_at: Mapped[datetime | None]
    deleted_at: Mapped[datetime | None]


class PasswordHistory(UUIDPk, Base):
    __tablename__ = "admin_password_history"
    __table_args__ = (Index("ix_pw_history_user_created", "user_id", "created_at"),)

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("admin_users.id", ondelete="CASCADE"))
    password_hash: Mapped[str] = mapped_column(String(256))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class RefreshToken(UUIDPk, Base):
    """Opaque refresh tokens, stored as SHA-256 (they are 256-bit random, so a fast hash is
    enough and allows lookup). Rotated on use; reuse of a rotated one revokes the family."""

    __tablename__ = "admin_refresh_tokens"
    __table_args__ = (Index("ix_refresh_family", "family_id"),)

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("admin_users.id", ondelete="CASCADE"), index=True
    )
    family_id: Mapped[uuid.UUID]
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    revoked_reason: Mapped[str | None] = mapped_column(String(32))
