"""All SQL of the audit log: filtered listing, chain walk, retention pruning."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import DateTime, delete, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from admin_module.models.audit import GENESIS_MAC, AuditChainHead, AuditCheckpoint, AuditEvent


@dataclass
class AuditFilter:
    action: str | None = None
    actor: str | None = None
    resource_type: str | None = None
    resource_id: str | None = None
    outcome: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    action_contains: str | None = None


# When it happened: an access reported by another service reaches the chain a few seconds
# later (and services report independently), so it carries its own time.
happened_at = func.coalesce(
    AuditEvent.details["occurred_at"].astext.cast(DateTime(timezone=True)),
    AuditEvent.created_at)


def _where(f: AuditFilter) -> list:
    conditions = []
    for column, value in (
        (AuditEvent.action, f.action),
        (AuditEvent.actor, f.actor),
        (AuditEvent.resource_type, f.resource_type),
        (AuditEvent.resource_id, f.resource_id),
        (AuditEvent.outcome, f.outcome),
    ):
        if value is not None:
            conditions.append(column == value)
    if f.action_contains:
        conditions.append(AuditEvent.action.icontains(f.action_contains, autoescape=True))
    if f.since is not None:
        conditions.append(AuditEvent.created_at >= f.since)
    if f.until is not None:
        conditions.append(AuditEvent.created_at < f.until)
    return conditions


async def list_events(
    session: AsyncSession, f: AuditFilter, limit: int, offset: int, oldest_first: bool = False
) -> tuple[list[AuditEvent], int]:
    conditions = _where(f)
    total = await session.scalar(select(func.count()).select_from(AuditEvent).where(*conditions))
    order = (happened_at.asc(), AuditEvent.seq.asc()) if oldest_first else (
        AuditEvent.seq.desc(),)
    rows = await session.scalars(
        select(AuditEvent).where(*conditions).order_by(*order)
        .limit(limit).offset(offset)
    )
    return list(rows), int(total or 0)


async def lock_head(session: AsyncSession) -> AuditChainHead:
    """The chain head (created on first use), locked FOR UPDATE until the transaction ends."""
    await session.execute(
        insert(AuditChainHead)
        .values(id=1, last_seq=0, last_mac=GENESIS_MAC, anchor_seq=0, anchor_mac=GENESIS_MAC)
        .on_conflict_do_nothing(index_elements=["id"])
    )
    head = await session.scalar(
        select(AuditChainHead).where(AuditChainHead.id == 1).with_for_update()
    )
    assert head is not None
    return head


async def read_head(session: AsyncSession) -> AuditChainHead | None:
    return await session.get(AuditChainHead, 1)


# Plain rows, no ORM identity map: a walk reads millions of them once.
_CHAIN_COLUMNS = tuple(AuditEvent.__table__.c)


async def iter_chain(
    session: AsyncSession, max_seq: int, batch: int = 5000, after_seq: int = 0
) -> AsyncIterator:
    """Rows (seq, mac, ... as attributes) in (after_seq, max_seq], in ``seq`` order."""
    last = after_seq
    while True:
        rows = (await session.execute(
            select(*_CHAIN_COLUMNS).where(AuditEvent.seq > last, AuditEvent.seq <= max_seq)
            .order_by(AuditEvent.seq).limit(batch)
        )).all()
        for row in rows:
            yield row
        if len(rows) < batch:
            return
        last = rows[-1].seq


async def last_row_before(session: AsyncSession, cutoff: datetime) -> AuditEvent | None:
    return await session.scalar(
        select(AuditEvent).where(AuditEvent.created_at < cutoff)
        .order_by(AuditEvent.seq.desc()).limit(1)
    )


async def delete_through(session: AsyncSession, seq: int) -> int:
    result = await session.execute(delete(AuditEvent).where(AuditEvent.seq <= seq))
    return int(result.rowcount or 0)


async def batch_after(session: AsyncSession, f: AuditFilter, after_seq: int, batch: int
                      ) -> list[AuditEvent]:
    """Keyset page in ascending ``seq`` for exports."""
    rows = await session.scalars(
        select(AuditEvent).where(*_where(f), AuditEvent.seq > after_seq)
        .order_by(AuditEvent.seq).limit(batch)
    )
    return list(rows)


async def checkpoints_between(session: AsyncSession, after_seq: int, through_seq: int
                              ) -> list[AuditCheckpoint]:
    return list(await session.scalars(
        select(AuditCheckpoint)
        .where(AuditCheckpoint.seq > after_seq, AuditCheckpoint.seq <= through_seq)
        .order_by(AuditCheckpoint.seq)))


async def checkpoint_at_or_before(session: AsyncSession, seq: int, after_seq: int
                                  ) -> AuditCheckpoint | None:
    """The newest checkpoint in (after_seq, seq]."""
    return await session.scalar(
        select(AuditCheckpoint)
        .where(AuditCheckpoint.seq <= seq, AuditCheckpoint.seq > after_seq)
        .order_by(AuditCheckpoint.seq.desc()).limit(1))


async def add_checkpoints(session: AsyncSession, rows: list[dict]) -> None:
    """Another verifier may have written the same positions: those stay as they are."""
    if rows:
        await session.execute(insert(AuditCheckpoint).values(rows)
                              .on_conflict_do_nothing(index_elements=["seq"]))


async def delete_checkpoints_through(session: AsyncSession, seq: int) -> None:
    await session.execute(delete(AuditCheckpoint).where(AuditCheckpoint.seq <= seq))


async def event_at(session: AsyncSession, seq: int) -> AuditEvent | None:
    return await session.scalar(select(AuditEvent).where(AuditEvent.seq == seq))
