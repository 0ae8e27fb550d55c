"""All SQL of the disposition domain."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Select, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from admin_module.models.audit import AuditEvent
from admin_module.models.base import utcnow
from admin_module.models.disposition import DispositionBatch, DispositionItem, FileRetention
from admin_module.models.legal_hold import LegalHold, LegalHoldFile, RetentionSchedule

DISPOSABLE_ACTIONS = ("review", "destroy")
OPEN_STATES = ("proposed", "approved", "executing")


async def note_retention(session: AsyncSession, file_id: uuid.UUID, retain_until: datetime,
                         retention_class: str | None, original_filename: str | None,
                         size: int | None) -> None:
    """Remember what the admin wrote to the file's copies (the index candidates come from)."""
    values = {"retain_until": retain_until, "original_filename": original_filename,
              "size": size, "updated_at": utcnow()}
    if retention_class is not None:
        values["retention_class"] = retention_class
    await session.execute(insert(FileRetention).values(file_id=file_id, **values)
                          .on_conflict_do_update(index_elements=["file_id"], set_=values))


async def note_from_sidecar(session: AsyncSession, file_id: uuid.UUID, retain_until: datetime,
                            retention_class: str, original_filename: str, size: int) -> None:
    """What a copy's sidecar says (a file event). Only a sidecar with the same or a later
    ``retain_until`` replaces the row: the copies' events may arrive in any order."""
    values = {"retain_until": retain_until, "retention_class": retention_class,
              "original_filename": original_filename, "size": size, "updated_at": utcnow()}
    stmt = insert(FileRetention).values(file_id=file_id, **values)
    await session.execute(stmt.on_conflict_do_update(
        index_elements=["file_id"], set_=values,
        where=FileRetention.retain_until <= stmt.excluded.retain_until))


def _held() -> Select:
    return (select(LegalHoldFile.file_id).join(LegalHold, LegalHold.id == LegalHoldFile.hold_id)
            .where(LegalHold.released_at.is_(None)))


def _in_open_batch() -> Select:
    return (select(DispositionItem.file_id)
            .join(DispositionBatch, DispositionBatch.id == DispositionItem.batch_id)
            .where(DispositionBatch.status.in_(OPEN_STATES), DispositionItem.outcome == "pending"))


def _candidates(now: datetime) -> Select:
    return (select(FileRetention, RetentionSchedule.action)
            .join(RetentionSchedule, RetentionSchedule.name == FileRetention.retention_class)
            .where(FileRetention.retain_until <= now, FileRetention.destroyed_at.is_(None),
                   RetentionSchedule.action.in_(DISPOSABLE_ACTIONS),
                   FileRetention.file_id.not_in(_held()),
                   FileRetention.file_id.not_in(_in_open_batch())))


async def candidates(session: AsyncSession, now: datetime, limit: int, offset: int
                     ) -> tuple[list[tuple[FileRetention, str]], int]:
    query = _candidates(now)
    total = await session.scalar(select(func.count()).select_from(query.subquery()))
    rows = await session.execute(query.order_by(FileRetention.retain_until, FileRetention.file_id)
                                 .limit(limit).offset(offset))
    return [(r, action) for r, action in rows], int(total or 0)


async def count_candidates(session: AsyncSession, now: datetime) -> int:
    return int(await session.scalar(select(func.count()).select_from(
        _candidates(now).subquery())) or 0)


async def which_are_candidates(session: AsyncSession, now: datetime,
                               file_ids: Sequence[uuid.UUID]) -> set[uuid.UUID]:
    rows = await session.scalars(_candidates(now).where(FileRetention.file_id.in_(file_ids))
                                 .with_only_columns(FileRetention.file_id))
    return set(rows)


async def get_batch(session: AsyncSession, batch_id: uuid.UUID, *, lock: bool = False
                    ) -> DispositionBatch | None:
    query = select(DispositionBatch).where(DispositionBatch.id == batch_id)
    return await session.scalar(query.with_for_update() if lock else query)


async def list_batches(session: AsyncSession, status: str | None, limit: int, offset: int
                       ) -> tuple[list[DispositionBatch], int]:
    where = [DispositionBatch.status == status] if status else []
    total = await session.scalar(select(func.count()).select_from(DispositionBatch).where(*where))
    rows = await session.scalars(select(DispositionBatch).where(*where)
                                 .order_by(DispositionBatch.proposed_at.desc())
                                 .limit(limit).offset(offset))
    return list(rows), int(total or 0)


async def items(session: AsyncSession, batch_id: uuid.UUID) -> list[DispositionItem]:
    return list(await session.scalars(select(DispositionItem)
                                      .where(DispositionItem.batch_id == batch_id)
                                      .order_by(DispositionItem.file_id)))


async def item_counts(session: AsyncSession, batch_ids: Sequence[uuid.UUID]
                      ) -> dict[uuid.UUID, dict[str, int]]:
    rows = await session.execute(
        select(DispositionItem.batch_id, DispositionItem.outcome, func.count())
        .where(DispositionItem.batch_id.in_(batch_ids))
        .group_by(DispositionItem.batch_id, DispositionItem.outcome))
    counts: dict[uuid.UUID, dict[str, int]] = {}
    for batch_id, outcome, n in rows:
        counts.setdefault(batch_id, {})[outcome] = int(n)
    return counts


async def set_item(session: AsyncSession, batch_id: uuid.UUID, file_id: uuid.UUID,
                   outcome: str, reason: str | None, record: dict | None) -> None:
    await session.execute(update(DispositionItem).where(
        DispositionItem.batch_id == batch_id, DispositionItem.file_id == file_id,
    ).values(outcome=outcome, reason=reason, record=record))


async def mark_destroyed(session: AsyncSession, file_id: uuid.UUID) -> None:
    await session.execute(update(FileRetention).where(FileRetention.file_id == file_id)
                          .values(destroyed_at=utcnow()))


async def audit_range(session: AsyncSession, seq_from: int, seq_to: int, batch: int = 1000):
    """The chain entries ``seq_from..seq_to``, oldest first, a page at a time."""
    last = seq_from - 1
    while last < seq_to:
        rows = list(await session.scalars(
            select(AuditEvent).where(AuditEvent.seq > last, AuditEvent.seq <= seq_to)
            .order_by(AuditEvent.seq).limit(batch)))
        if not rows:
            return
        for row in rows:
            yield row
        last = rows[-1].seq


async def schedule_actions(session: AsyncSession, classes: Sequence[str]) -> set[str]:
    """The actions of the retention schedules named ``classes``."""
    return set(await session.scalars(select(RetentionSchedule.action).where(
        RetentionSchedule.name.in_(classes))))
