"""SQL of re-index runs: progress rows, the seen-marks and the sweep of vanished files."""

from __future__ import annotations

import uuid
from datetime import datetime
from uuid import UUID

from sqlalchemy import String, and_, cast, func, literal, or_, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from query_module.models import CatalogCopy, CatalogFile, ReindexProgress, ReindexRun, Tombstone


async def latest_run(session: AsyncSession) -> ReindexRun | None:
    stmt = select(ReindexRun).order_by(ReindexRun.started_at.desc()).limit(1)
    return (await session.execute(stmt)).scalar_one_or_none()


async def unfinished_run(session: AsyncSession) -> ReindexRun | None:
    stmt = (
        select(ReindexRun)
        .where(ReindexRun.status.not_in(("completed", "superseded")))
        .order_by(ReindexRun.started_at.desc())
        .limit(1)
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def get_run(session: AsyncSession, run_id: UUID) -> ReindexRun | None:
    return await session.get(ReindexRun, run_id)


async def create_run(session: AsyncSession, started_at: datetime) -> ReindexRun:
    run = ReindexRun(id=uuid.uuid4(), status="running", started_at=started_at)
    session.add(run)
    await session.flush()
    return run


async def progress_of(session: AsyncSession, run_id: UUID) -> list[ReindexProgress]:
    stmt = select(ReindexProgress).where(ReindexProgress.run_id == run_id)
    return list((await session.execute(stmt)).scalars())


async def progress_for(session: AsyncSession, run_id: UUID, se_id: UUID) -> ReindexProgress:
    await session.execute(
        insert(ReindexProgress)
        .values(run_id=run_id, storage_element_id=se_id)
        .on_conflict_do_nothing()
    )
    row = await session.get(ReindexProgress, (run_id, se_id), with_for_update=True)
    assert row is not None
    return row


async def mark_seen(
    session: AsyncSession, se_id: UUID, file_ids: list[UUID], run_started: datetime
) -> None:
    if file_ids:
        await session.execute(
            update(CatalogFile)
            .where(CatalogFile.file_id.in_(file_ids), CatalogFile.storage_element_id == se_id)
            .values(reindexed_at=run_started)
        )


async def sweep_missing(session: AsyncSession, se_id: UUID, run_started: datetime) -> int:
    """Rows this SE owns that its listing did not contain and no event touched since."""
    missing = and_(
        CatalogFile.storage_element_id == se_id,
        CatalogFile.status != "deleted",
        or_(CatalogFile.reindexed_at.is_(None), CatalogFile.reindexed_at < run_started),
        CatalogFile.indexed_at < run_started,
    )
    now = func.now()
    # A file with another live copy moves there; then this SE's unlisted copies are gone
    # (file rows before copy rows, the order every writer of the catalog keeps).
    live = (select(CatalogCopy.file_id, func.min(cast(CatalogCopy.storage_element_id, String))
                   .label("se"))
            .where(CatalogCopy.state == "active", CatalogCopy.storage_element_id != se_id)
            .group_by(CatalogCopy.file_id).subquery())
    await session.execute(
        update(CatalogFile)
        .where(missing, CatalogFile.file_id == live.c.file_id)
        .values(storage_element_id=cast(live.c.se, CatalogFile.storage_element_id.type),
                indexed_at=now))
    await session.execute(
        update(CatalogCopy)
        .where(CatalogCopy.storage_element_id == se_id, CatalogCopy.state == "active",
               CatalogCopy.indexed_at < run_started)
        .values(state="deleted", indexed_at=now))
    await session.execute(
        insert(Tombstone)
        .from_select(
            ["file_id", "storage_element_id", "deleted_at"],
            select(CatalogFile.file_id, literal(se_id), now).where(missing),
        )
        .on_conflict_do_nothing()
    )
    result = await session.execute(
        update(CatalogFile)
        .where(missing)
        .values(status="deleted", deleted_at=now, indexed_at=now)
        .returning(CatalogFile.file_id)
    )
    return len(result.all())
