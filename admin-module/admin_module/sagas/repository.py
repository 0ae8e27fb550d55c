"""All SQL about sagas."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import delete, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from admin_module.models.base import utcnow
from admin_module.models.saga import ACTIVE_STATES, Saga


async def get(session: AsyncSession, saga_id: uuid.UUID, *, for_update: bool = False
              ) -> Saga | None:
    return await session.get(Saga, saga_id, with_for_update=for_update)


async def claim_due(session: AsyncSession) -> Saga | None:
    """The saga due first, row-locked; one another runner holds is skipped, not waited for."""
    return await session.scalar(
        select(Saga)
        .where(Saga.state.in_(ACTIVE_STATES), Saga.next_attempt_at <= utcnow())
        .order_by(Saga.next_attempt_at)
        .limit(1)
        .with_for_update(skip_locked=True)
    )


async def active(session: AsyncSession, type_: str, resource_id: str) -> Saga | None:
    return await session.scalar(
        select(Saga).where(Saga.type == type_, Saga.resource_id == resource_id,
                           Saga.state.in_(ACTIVE_STATES))
    )


async def latest_with(session: AsyncSession, type_: str, payload_key: str) -> Saga | None:
    """The newest saga of ``type_`` whose payload has ``payload_key`` (a finished step's)."""
    return await session.scalar(
        select(Saga).where(Saga.type == type_, Saga.payload.has_key(payload_key))
        .order_by(Saga.created_at.desc()).limit(1))


async def list_page(
    session: AsyncSession, *, type_: str | None, state: str | None, resource_id: str | None,
    limit: int, offset: int,
) -> tuple[list[Saga], int]:
    filters = []
    if type_:
        filters.append(Saga.type == type_)
    if state:
        filters.append(Saga.state == state)
    if resource_id:
        filters.append(Saga.resource_id == resource_id)
    total = await session.scalar(select(func.count()).select_from(Saga).where(*filters))
    rows = await session.execute(
        select(Saga).where(*filters).order_by(Saga.created_at.desc(), Saga.id)
        .limit(limit).offset(offset)
    )
    return list(rows.scalars()), int(total or 0)


async def purge_finished(session: AsyncSession, before: datetime) -> int:
    """Sagas that ended well (completed, compensated) before ``before``; the audit log keeps
    what they did. Failed sagas stay until an operator has looked at them."""
    result = await session.execute(delete(Saga).where(
        Saga.state.in_(("completed", "compensated")), Saga.completed_at < before))
    return int(result.rowcount or 0)


async def lock_resource(session: AsyncSession, key: str) -> None:
    """Serialize work on one resource (a file id) across requests, sagas and instances until
    the transaction ends."""
    await session.execute(text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 7))"),
                          {"key": key})
