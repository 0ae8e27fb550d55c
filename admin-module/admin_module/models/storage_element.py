"""The storage-element registry (the admin module owns it) and the discovery version counter."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, Boolean, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from admin_module.models.base import Base, Timestamps, utcnow


class StorageElement(Timestamps, Base):
    __tablename__ = "storage_elements"

    # The SE's own id (from its /api/v1/info), so the registry and the volume agree.
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(128), unique=True)
    description: Mapped[str | None] = mapped_column(Text)
    api_url: Mapped[str] = mapped_column(String(512), unique=True)
    mode: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(16), default="online")
    draining: Mapped[bool] = mapped_column(Boolean, default=False)
    priority: Mapped[int] = mapped_column(Integer, default=100)
    backend: Mapped[str] = mapped_column(String(16), default="local")
    capacity_bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    used_bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    file_count: Mapped[int] = mapped_column(BigInteger, default=0)
    retention_days: Mapped[int | None] = mapped_column(Integer)
    retention_warning_days: Mapped[int] = mapped_column(Integer, default=30)
    se_version: Mapped[str | None] = mapped_column(String(64))
    last_seen_at: Mapped[datetime | None]
    last_checked_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    registered_by: Mapped[str | None] = mapped_column(String(256))
    # Copies of one file go to different failure domains (rack/host/site) whenever the
    # registry has enough of them; None: the SE is a domain of its own.
    failure_domain: Mapped[str | None] = mapped_column(String(128))
    # The operator's word that the backend keeps redundant copies itself (EC/replicated S3).
    redundant_backend: Mapped[bool] = mapped_column(Boolean, default=False,
                                                    server_default="false")
    # Declared lost by an operator: its copies no longer count; the repairer replaces them.
    lost_at: Mapped[datetime | None]
    lost_reason: Mapped[str | None] = mapped_column(Text)


class CopyPolicyRow(Base):
    """Target copies per retention policy (defaults in ``contracts.DEFAULT_COPY_POLICIES``)."""

    __tablename__ = "copy_policies"

    retention_policy: Mapped[str] = mapped_column(String(16), primary_key=True)
    target_copies: Mapped[int] = mapped_column(Integer)
    write_quorum: Mapped[int] = mapped_column(Integer)
    redundant_copy_weight: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by: Mapped[str | None] = mapped_column(String(256))


class DiscoveryVersion(Base):
    """One row: the version of the published SE list, bumped in the transaction that changes it."""

    __tablename__ = "discovery_version"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, default=1)
    version: Mapped[int] = mapped_column(BigInteger, default=0)
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)
