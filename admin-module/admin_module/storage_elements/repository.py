"""All SQL of the storage-element registry."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from admin_module.models.saga import ACTIVE_STATES, Saga
from admin_module.models.storage_element import StorageElement


async def get(session: AsyncSession, se_id: uuid.UUID, *, lock: bool = False
              ) -> StorageElement | None:
    query = select(StorageElement).where(StorageElement.id == se_id)
    if lock:
        query = query.with_for_update()
    return await session.scalar(query)


async def find_conflict(
    session: AsyncSession, *, se_id: uuid.UUID, api_url: str, name: str
) -> StorageElement | None:
    return await session.scalar(
        select(StorageElement).where(
            or_(StorageElement.id == se_id, StorageElement.api_url == api_url,
                StorageElement.name == name)
        ).limit(1)
    )


async def name_taken(session: AsyncSession, name: str, except_id: uuid.UUID) -> bool:
    found = await session.scalar(
        select(StorageElement.id).where(StorageElement.name == name,
                                        StorageElement.id != except_id)
    )
    return found is not None


async def all_elements(session: AsyncSession, mode: str | None = None) -> list[StorageElement]:
    query = select(StorageElement).order_by(StorageElement.priority, StorageElement.name)
    if mode:
        query = query.where(StorageElement.mode == mode)
    return list((await session.execute(query)).scalars())


async def online_writable(session: AsyncSession) -> list[StorageElement]:
    """rw, online and not draining, by priority then name."""
    return list((await session.execute(
        select(StorageElement)
        .where(StorageElement.mode == "rw", StorageElement.status == "online",
               StorageElement.draining.is_(False))
        .order_by(StorageElement.priority, StorageElement.name)
    )).scalars())


async def list_page(
    session: AsyncSession, *, mode: str | None, status: str | None, q: str | None,
    draining: bool | None, limit: int, offset: int,
) -> tuple[list[StorageElement], int]:
    filters = []
    if mode:
        filters.append(StorageElement.mode == mode)
    if status:
        filters.append(StorageElement.status == status)
    if draining is not None:
        filters.append(StorageElement.draining.is_(draining))
    if q:
        escaped = q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        pattern = f"%{escaped}%"
        filters.append(or_(StorageElement.name.ilike(pattern),
                           StorageElement.description.ilike(pattern)))
    total = await session.scalar(select(func.count()).select_from(StorageElement).where(*filters))
    rows = await session.execute(
        select(StorageElement).where(*filters)
        .order_by(StorageElement.priority, StorageElement.name).limit(limit).offset(offset)
    )
    return list(rows.scalars()), int(total or 0)


async def active_saga_on(session: AsyncSession, resource_id: str) -> Saga | None:
    return await session.scalar(
        select(Saga).where(Saga.resource_id == resource_id, Saga.state.in_(ACTIVE_STATES))
        .limit(1)
    )


async def remove(session: AsyncSession, se: StorageElement) -> None:
    await session.delete(se)
    await session.flush()


async def repair_completed_since(session: AsyncSession, since: datetime) -> Saga | None:
    """The newest copy repair that completed and was started after ``since``."""
    return await session.scalar(
        select(Saga).where(Saga.type == "copy_repair", Saga.created_at > since,
                           Saga.state == "completed")
        .order_by(Saga.created_at.desc()).limit(1))
