"""The append-only audit log, chained by HMAC-SHA256, and the chain head that serializes writers."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Index, String
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from admin_module.models.base import Base

GENESIS_MAC = "0" * 64


class AuditEvent(Base):
    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_created_at", "created_at"),
        Index("ix_audit_action", "action"),
        Index("ix_audit_actor", "actor"),
        Index("ix_audit_resource", "resource_type", "resource_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    seq: Mapped[int] = mapped_column(BigInteger, unique=True)
    created_at: Mapped[datetime]
    action: Mapped[str] = mapped_column(String(64))
    actor: Mapped[str | None] = mapped_column(String(256))
    resource_type: Mapped[str | None] = mapped_column(String(64))
    resource_id: Mapped[str | None] = mapped_column(String(256))
    outcome: Mapped[str] = mapped_column(String(16))
    details: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    request_id: Mapped[str | None] = mapped_column(String(128))
    prev_mac: Mapped[str] = mapped_column(String(64))
    mac: Mapped[str] = mapped_column(String(64))


class AuditChainHead(Base):
    """One row (id=1). Writers lock it FOR UPDATE, so the chain can never fork; retention
    pruning moves the anchor forward so verification still starts from a known MAC."""

    __tablename__ = "audit_chain_head"

    id: Mapped[int] = mapped_column(primary_key=True)
    last_seq: Mapped[int] = mapped_column(BigInteger, default=0)
    last_mac: Mapped[str] = mapped_column(String(64), default=GENESIS_MAC)
    anchor_seq: Mapped[int] = mapped_column(BigInteger, default=0)
    anchor_mac: Mapped[str] = mapped_column(String(64), default=GENESIS_MAC)


class AuditCheckpoint(Base):
    """A position the verifier walked to and found intact: the row's MAC there, signed with the
    chain key (domain-separated from row MACs). A later verification starts from the newest
    one instead of the anchor; a range starts from the one before it."""

    __tablename__ = "audit_checkpoints"

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    mac: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    signature: Mapped[str] = mapped_column(String(64))
