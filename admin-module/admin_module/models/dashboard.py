"""Samples of each storage element's usage and fixity counts, for the dashboard's charts."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index
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
