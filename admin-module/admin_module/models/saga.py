"""Sagas: a persisted step log so a coordination survives restarts and ends completed or
compensated. ``resource_id`` (an SE id or a file id) with the partial unique index keeps one
active saga of a type per resource."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index, Integer, String, Text, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from admin_module.models.base import Base, Timestamps, UUIDPk, utcnow

ACTIVE_STATES = ("running", "compensating")
TERMINAL_STATES = ("completed", "compensated", "failed")


class Saga(UUIDPk, Timestamps, Base):
    __tablename__ = "sagas"
    __table_args__ = (
        Index("ix_sagas_due", "state", "next_attempt_at"),
        Index(
            "uq_sagas_active_resource", "type", "resource_id", unique=True,
            postgresql_where=text("state IN ('running', 'compensating')"),
        ),
    )

    type: Mapped[str] = mapped_column(String(32), index=True)
    state: Mapped[str] = mapped_column(String(16), default="running")
    resource_id: Mapped[str | None] = mapped_column(String(64), index=True)
    current_step: Mapped[str | None] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    steps: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    error: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str | None] = mapped_column(String(256))
    completed_at: Mapped[datetime | None]
