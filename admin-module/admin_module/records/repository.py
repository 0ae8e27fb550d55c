"""All SQL of legal holds, the files they cover and retention schedules."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from admin_module.models.base import utcnow
from admin_module.models.legal_hold import LegalHold, LegalHoldFile, RetentionSchedule


async def hold_named(session: AsyncSession, name: str) -> uuid.UUID | None:
    return await session.scalar(select(LegalHold.id).where(LegalHold.name == name))


async def get_hold(session: AsyncSession, hold_id: uuid.UUID, *, lock: bool = False
                   ) -> LegalHold | None:
    query = select(LegalHold).where(LegalHold.id == hold_id)
    return await session.scalar(query.with_for_update() if lock else query)


async def file_counts(session: AsyncSession, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, int]:
    rows = await session.execute(
        select(LegalHoldFile.hold_id, func.count()).where(LegalHoldFile.hold_id.in_(ids))
        .group_by(LegalHoldFile.hold_id))
    return {hold_id: int(count) for hold_id, count in rows}


async def list_holds(session: AsyncSession, status: str | None, limit: int, offset: int
                     ) -> tuple[list[LegalHold], int]:
    conditions = []
    if status == "active":
        conditions.append(LegalHold.released_at.is_(None))
    elif status == "released":
        conditions.append(LegalHold.released_at.is_not(None))
    total = await session.scalar(select(func.count()).select_from(LegalHold).where(*conditions))
    rows = await session.scalars(select(LegalHold).where(*conditions)
                                 .order_by(LegalHold.created_at.desc()).limit(limit)
                                 .offset(offset))
    return list(rows), int(total or 0)


async def list_files(session: AsyncSession, hold_id: uuid.UUID, limit: int, offset: int
                     ) -> tuple[list[LegalHoldFile], int]:
    where = LegalHoldFile.hold_id == hold_id
    total = await session.scalar(select(func.count()).select_from(LegalHoldFile).where(where))
    rows = await session.scalars(select(LegalHoldFile).where(where)
                                 .order_by(LegalHoldFile.placed_at, LegalHoldFile.file_id)
                                 .limit(limit).offset(offset))
    return list(rows), int(total or 0)


async def held_file_ids(session: AsyncSession, hold_id: uuid.UUID) -> list[uuid.UUID]:
    return list(await session.scalars(
        select(LegalHoldFile.file_id).where(LegalHoldFile.hold_id == hold_id)))


async def add_file(session: AsyncSession, hold_id: uuid.UUID, file_id: uuid.UUID,
                   actor: str | None) -> None:
    await session.execute(insert(LegalHoldFile).values(
        hold_id=hold_id, file_id=file_id, placed_at=utcnow(), placed_by=actor,
    ).on_conflict_do_nothing())


async def placement(session: AsyncSession, hold_id: uuid.UUID, file_id: uuid.UUID
                    ) -> LegalHoldFile | None:
    return await session.get(LegalHoldFile, (hold_id, file_id))


async def remove_placement(session: AsyncSession, placed: LegalHoldFile) -> None:
    await session.delete(placed)
    await session.flush()


async def schedule_named(session: AsyncSession, name: str) -> RetentionSchedule | None:
    return await session.scalar(select(RetentionSchedule).where(RetentionSchedule.name == name))


async def all_schedules(session: AsyncSession) -> Sequence[RetentionSchedule]:
    return (await session.scalars(select(RetentionSchedule))).all()


async def list_schedules(session: AsyncSession, limit: int, offset: int
                         ) -> tuple[list[RetentionSchedule], int]:
    total = await session.scalar(select(func.count()).select_from(RetentionSchedule))
    rows = await session.scalars(select(RetentionSchedule).order_by(RetentionSchedule.name)
                                 .limit(limit).offset(offset))
    return list(rows), int(total or 0)
