"""A search an administrator saved by name: the console's URL parameters, the owner's only."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from admin_module.models.base import Base, UUIDPk, utcnow


class SavedSearch(UUIDPk, Base):
    __tablename__ = "saved_searches"
    __table_args__ = (UniqueConstraint("owner", "name"),)

    owner: Mapped[str] = mapped_column(String(256), index=True)  # the token's subject
    name: Mapped[str] = mapped_column(String(200))
    params: Mapped[dict[str, str]] = mapped_column(JSONB)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
