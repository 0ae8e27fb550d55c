"""Disposition (issue 15): which files carry a retention class (an index of the sidecars, kept
by the admin's retention calls), and batches of files proposed for destruction under four eyes."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, LargeBinary, String, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from admin_module.models.base import Base, UUIDPk, utcnow


class FileRetention(Base):
    """A file's retention class and retain_until as last written to its copies by the admin
    module. Candidates are read from here; the sidecars are re-checked before anything goes."""

    __tablename__ = "file_retention"
    __table_args__ = (Index("ix_file_retention_due", "retain_until"),)

    file_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    retention_class: Mapped[str | None] = mapped_column(String(200))
    retain_until: Mapped[datetime]
    original_filename: Mapped[str | None] = mapped_column(String(1024))
    size: Mapped[int | None] = mapped_column(BigInteger)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    destroyed_at: Mapped[datetime | None]


class DispositionBatch(UUIDPk, Base):
    __tablename__ = "disposition_batches"

    status: Mapped[str] = mapped_column(String(16), index=True)
    # proposed → approved → executing → executed | rejected
    reason: Mapped[str] = mapped_column(Text)
    proposed_by: Mapped[str] = mapped_column(String(256))
    proposed_by_subject: Mapped[str] = mapped_column(String(256))
    proposed_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_by: Mapped[str | None] = mapped_column(String(256))
    decided_by_subject: Mapped[str | None] = mapped_column(String(256))
    decided_at: Mapped[datetime | None]
    decision_reason: Mapped[str | None] = mapped_column(Text)
    saga_id: Mapped[uuid.UUID | None]
    executed_at: Mapped[datetime | None]
    audit_seq_from: Mapped[int | None] = mapped_column(BigInteger)
    audit_seq_to: Mapped[int | None] = mapped_column(BigInteger)
    certificate: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    certificate_pdf: Mapped[bytes | None] = mapped_column(LargeBinary)
    certificate_file_id: Mapped[uuid.UUID | None]
    certificate_pdf_file_id: Mapped[uuid.UUID | None]


class DispositionItem(Base):
    __tablename__ = "disposition_items"

    batch_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("disposition_batches.id", ondelete="CASCADE"), primary_key=True)
    file_id: Mapped[uuid.UUID] = mapped_column(primary_key=True, index=True)
    outcome: Mapped[str] = mapped_column(String(16), default="pending")
    # pending | destroyed | skipped
    reason: Mapped[str | None] = mapped_column(String(64))
    record: Mapped[dict[str, Any] | None] = mapped_column(JSONB)  # what was destroyed
