"""All SQL of the signing keys."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, or_, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from admin_module.models.signing_key import SigningKey

ROTATION_LOCK_ID = 0x4152_5453_0002


async def lock_rotation(session: AsyncSession, *, wait: bool = True) -> bool:
    """Transaction-scoped advisory lock: one rotation at a time across every admin instance."""
    if wait:
        await session.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": ROTATION_LOCK_ID})
        return True
    got = await session.scalar(text("SELECT pg_try_advisory_xact_lock(:id)"),
                               {"id": ROTATION_LOCK_ID})
    return bool(got)


async def active_key(session: AsyncSession) -> SigningKey | None:
    return await session.scalar(
        select(SigningKey)
        .where(SigningKey.retired_at.is_(None), SigningKey.activated_at.is_not(None))
        .order_by(SigningKey.activated_at.desc()).limit(1)
    )


async def next_key(session: AsyncSession) -> SigningKey | None:
    return await session.scalar(
        select(SigningKey)
        .where(SigningKey.retired_at.is_(None), SigningKey.activated_at.is_(None))
        .order_by(SigningKey.created_at.desc()).limit(1)
    )


async def published_keys(session: AsyncSession, now: datetime) -> list[SigningKey]:
    rows = await session.scalars(
        select(SigningKey)
        .where(or_(SigningKey.retired_at.is_(None), SigningKey.publish_until > now))
        .order_by(SigningKey.created_at.desc())
    )
    return list(rows)


async def active_keys(session: AsyncSession) -> list[SigningKey]:
    rows = await session.scalars(
        select(SigningKey)
        .where(SigningKey.retired_at.is_(None), SigningKey.activated_at.is_not(None))
    )
    return list(rows)


async def history(session: AsyncSession, limit: int, offset: int) -> tuple[list[SigningKey], int]:
    total = await session.scalar(select(func.count()).select_from(SigningKey))
    rows = await session.scalars(
        select(SigningKey).order_by(SigningKey.created_at.desc()).limit(limit).offset(offset)
    )
    return list(rows), int(total or 0)
