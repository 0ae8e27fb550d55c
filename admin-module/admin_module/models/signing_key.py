"""RS256 signing keys. Private keys are Fernet-encrypted at rest; public JWKs are stored plain.

The next key is published before it starts signing, so verifiers holding a cached JWKS already
know it when a rotation happens."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import LargeBinary, String
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from admin_module.models.base import Base, utcnow


class SigningKey(Base):
    __tablename__ = "jwt_signing_keys"

    kid: Mapped[str] = mapped_column(String(64), primary_key=True)
    algorithm: Mapped[str] = mapped_column(String(16), default="RS256")
    private_key_encrypted: Mapped[bytes] = mapped_column(LargeBinary)
    public_jwk: Mapped[dict[str, Any]] = mapped_column(JSONB)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    # Lifecycle: next (published, not signing yet: activated_at NULL) → active (signs) →
    # retired (retired_at set; still published until publish_until, when the last token it
    # signed has expired) → expired.
    activated_at: Mapped[datetime | None]
    retired_at: Mapped[datetime | None]
    publish_until: Mapped[datetime | None]
    reason: Mapped[str] = mapped_column(String(32))
    created_by: Mapped[str | None] = mapped_column(String(128))
