"""SQL of the dashboard: capacity and fixity samples, and the hourly activity roll-up
(``audit_activity_hourly``).

A closed hour is rolled up once, in the same transaction that moves the watermark
(``audit_activity_rollup.rolled_until``), under a lock on that row: restart-safe and one roller
at a time across admin instances. Reads add the rolled hours before the watermark to the audit
rows after it (the current hour, and any hour the job has not reached yet).
"""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import datetime, timedelta

from sqlalchemy import Integer, delete, func, select, true
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from admin_module.models.audit import AuditEvent
from admin_module.models.dashboard import AuditActivityHour, AuditActivityRollup, CapacitySample
from admin_module.models.storage_element import StorageElement

UPLOADS, DOWNLOADS = "file.uploaded", "file.downloaded"
ORIGIN = datetime.fromisoformat("2000-01-03T00:00:00+00:00")  # a Monday: buckets on the hour
HOUR = timedelta(hours=1)
Counts = dict[datetime, list[int]]  # bucket → [uploads, downloads, errors]

_failed = AuditEvent.outcome != "success"
_weight = func.coalesce(AuditEvent.details["count"].astext.cast(Integer), 1)


async def drop_samples_before(session: AsyncSession, cutoff: datetime) -> None:
    await session.execute(delete(CapacitySample).where(CapacitySample.sampled_at < cutoff))


async def capacity_buckets(session: AsyncSession, since: datetime, step: timedelta
                           ) -> list[tuple[uuid.UUID, datetime, int, int, int]]:
    """(SE id, bucket start, used, capacity, files): each bucket's largest sample."""
    bucket = func.date_bin(step, CapacitySample.sampled_at, ORIGIN).label("at")
    return [tuple(r) for r in (await session.execute(
        select(CapacitySample.storage_element_id, bucket,
               func.max(CapacitySample.used_bytes), func.max(CapacitySample.capacity_bytes),
               func.max(CapacitySample.file_count))
        .where(CapacitySample.sampled_at >= since)
        .group_by(CapacitySample.storage_element_id, bucket).order_by(bucket))).all()]


async def latest_fixity(session: AsyncSession) -> list[tuple[CapacitySample, str]]:
    """Each SE's latest sample with fixity counts and the SE's name (one index probe per SE)."""
    latest = (select(CapacitySample)
              .where(CapacitySample.storage_element_id == StorageElement.id,
                     CapacitySample.verified.is_not(None))
              .order_by(CapacitySample.sampled_at.desc()).limit(1).lateral("latest"))
    sample = aliased(CapacitySample, latest)
    return [tuple(r) for r in (await session.execute(
        select(sample, StorageElement.name).select_from(StorageElement)
        .join(latest, true()).order_by(StorageElement.name))).all()]


async def rolled_until(session: AsyncSession) -> datetime | None:
    return await session.scalar(select(AuditActivityRollup.rolled_until))


async def roll_up(session: AsyncSession, until: datetime) -> int:
    """Roll every hour before ``until`` (an hour's start) not rolled yet; the hours written."""
    oldest = await session.scalar(select(func.min(AuditEvent.created_at)))
    first = ORIGIN + (oldest - ORIGIN) // HOUR * HOUR if oldest else until
    await session.execute(insert(AuditActivityRollup).values(id=1, rolled_until=first)
                          .on_conflict_do_nothing())
    state = await session.scalar(select(AuditActivityRollup).with_for_update())
    assert state is not None
    if state.rolled_until >= until:
        return 0
    hour = func.date_bin(HOUR, AuditEvent.created_at, ORIGIN).label("hour")
    rows = (select(hour, AuditEvent.action, _failed.label("failed"),
                   func.count(), func.sum(_weight))
            .where(AuditEvent.created_at >= state.rolled_until, AuditEvent.created_at < until)
            .group_by(hour, AuditEvent.action, _failed))
    stmt = insert(AuditActivityHour).from_select(
        ["hour", "action", "failed", "entries", "weight"], rows)
    result = await session.execute(stmt.on_conflict_do_update(
        index_elements=["hour", "action", "failed"],
        set_={"entries": stmt.excluded.entries, "weight": stmt.excluded.weight}))
    state.rolled_until = until
    return result.rowcount or 0


async def prune(session: AsyncSession, before: datetime) -> None:
    await session.execute(delete(AuditActivityHour).where(AuditActivityHour.hour < before))


async def activity(session: AsyncSession, step: timedelta, start: datetime
                   ) -> tuple[Counts, Counter[str]]:
    """Per bucket of ``step`` (whole hours) from ``start``: uploads, downloads, errors; and the
    errors per action."""
    cut = max(start, await rolled_until(session) or start)
    counts: Counts = {}
    errors: Counter[str] = Counter()

    bucket = func.date_bin(step, AuditActivityHour.hour, ORIGIN)
    not_failed = ~AuditActivityHour.failed
    rolled = await session.execute(
        select(bucket,
               func.sum(AuditActivityHour.entries).filter(
                   (AuditActivityHour.action == UPLOADS) & not_failed),
               func.sum(AuditActivityHour.entries).filter(
                   (AuditActivityHour.action == DOWNLOADS) & not_failed),
               func.sum(AuditActivityHour.weight).filter(AuditActivityHour.failed))
        .where(AuditActivityHour.hour >= start, AuditActivityHour.hour < cut).group_by(bucket))
    live_bucket = func.date_bin(step, AuditEvent.created_at, ORIGIN)
    live = await session.execute(
        select(live_bucket,
               func.count().filter((AuditEvent.action == UPLOADS) & ~_failed),
               func.count().filter((AuditEvent.action == DOWNLOADS) & ~_failed),
               func.sum(_weight).filter(_failed))
        .where(AuditEvent.created_at >= cut).group_by(live_bucket))
    for at, *figures in [*rolled, *live]:
        entry = counts.setdefault(at, [0, 0, 0])
        for i, n in enumerate(figures):
            entry[i] += int(n or 0)

    for action, n in await session.execute(
            select(AuditActivityHour.action, func.sum(AuditActivityHour.weight))
            .where(AuditActivityHour.hour >= start, AuditActivityHour.hour < cut,
                   AuditActivityHour.failed).group_by(AuditActivityHour.action)):
        errors[action] += int(n)
    for action, n in await session.execute(
            select(AuditEvent.action, func.sum(_weight))
            .where(AuditEvent.created_at >= cut, _failed).group_by(AuditEvent.action)):
        errors[action] += int(n)
    return counts, errors

