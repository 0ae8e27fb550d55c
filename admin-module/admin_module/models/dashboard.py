"""Samples of each storage element's usage and fixity counts, for the dashboard's charts."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from admin_module.models.base import Base


class CapacitySample(Base):
    __tablename__ = "se_capacity_samples"
    __table_args__ = (Index("ix_se_capacity_samples_se_at", "storage_element_id", "sampled_at"),
                      Index("ix_se_capacity_samples_at", "sampled_at"))

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    storage_element_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("storage_elements.id", ondelete="CASCADE"))
    sampled_at: Mapped[datetime]
    used_bytes: Mapped[int] = mapped_column(BigInteger)
    capacity_bytes: Mapped[int] = mapped_column(BigInteger)
    file_count: Mapped[int] = mapped_column(BigInteger)
    # Fixity counts as the SE reported them (None: it did not answer this time).
    verified: Mapped[int | None] = mapped_column(BigInteger)
    quarantined: Mapped[int | None] = mapped_column(BigInteger)
    never_verified: Mapped[int | None] = mapped_column(BigInteger)
    last_verified_at: Mapped[datetime | None]


class AuditActivityHour(Base):
    """Audit entries per closed hour, action and outcome (success or not): the dashboard's
    activity figures read these instead of adding up the audit rows on every load."""

    __tablename__ = "audit_activity_hourly"

    hour: Mapped[datetime] = mapped_column(primary_key=True)
    action: Mapped[str] = mapped_column(String(64), primary_key=True)
    failed: Mapped[bool] = mapped_column(primary_key=True)
    entries: Mapped[int] = mapped_column(BigInteger)
    weight: Mapped[int] = mapped_column(BigInteger)  # an aggregated refusal report counts `count`


class AuditActivityRollup(Base):
    """One row (id=1): every hour before ``rolled_until`` is in ``audit_activity_hourly``."""

    __tablename__ = "audit_activity_rollup"

    id: Mapped[int] = mapped_column(primary_key=True)
    rolled_until: Mapped[datetime]
