"""Legal holds (issue 15): a named hold, and the files placed under it. The sidecar of every
copy also names the hold, so the SEs (and a catalog rebuilt from them) know it too."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from admin_module.models.base import Base, UUIDPk, utcnow


class LegalHold(UUIDPk, Base):
    __tablename__ = "legal_holds"

    name: Mapped[str] = mapped_column(String(200), unique=True)
    reason: Mapped[str] = mapped_column(Text)
    owner: Mapped[str] = mapped_column(String(256))
    created_by: Mapped[str | None] = mapped_column(String(256))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    released_at: Mapped[datetime | None]
    released_by: Mapped[str | None] = mapped_column(String(256))
    release_reason: Mapped[str | None] = mapped_column(Text)


class LegalHoldFile(Base):
    __tablename__ = "legal_hold_files"

    hold_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("legal_holds.id", ondelete="CASCADE"), primary_key=True)
    file_id: Mapped[uuid.UUID] = mapped_column(primary_key=True, index=True)
    placed_at: Mapped[datetime] = mapped_column(default=utcnow)
    placed_by: Mapped[str | None] = mapped_column(String(256))


class RetentionSchedule(UUIDPk, Base):
    """A named retention class: keep ``period_days`` after the trigger date (the upload, or a
    date in the file's metadata), then ``action`` (review or destroy)."""

    __tablename__ = "retention_schedules"

    name: Mapped[str] = mapped_column(String(200), unique=True)
    description: Mapped[str | None] = mapped_column(Text)
    period_days: Mapped[int]
    trigger: Mapped[str] = mapped_column(String(32))  # upload | metadata_date
    date_field: Mapped[str | None] = mapped_column(String(128))
    action: Mapped[str] = mapped_column(String(16))  # review | destroy
    created_by: Mapped[str | None] = mapped_column(String(256))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
