"""All SQL of the dashboard: capacity samples and the audit chain counted per time bucket."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Integer, delete, func, select, true
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from admin_module.models.audit import AuditEvent
from admin_module.models.dashboard import CapacitySample
from admin_module.models.storage_element import StorageElement

UPLOADS, DOWNLOADS = "file.uploaded", "file.downloaded"
ORIGIN = datetime(2000, 1, 3, tzinfo=UTC)  # a Monday, UTC midnight: buckets start on the hour


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


async def activity_buckets(session: AsyncSession, since: datetime, step: timedelta
                           ) -> tuple[list[tuple[datetime, int, int, int]], list[tuple[str, Any]]]:
    """Uploads, downloads and errors (failed or refused actions; an aggregated refusal
    report counts as its ``count``) per bucket, and the eight actions failing most."""
    bucket = func.date_bin(step, AuditEvent.created_at, ORIGIN).label("at")
    weight = func.coalesce(AuditEvent.details["count"].astext.cast(Integer), 1)
    failed = AuditEvent.outcome != "success"
    rows = (await session.execute(
        select(bucket,
               func.count().filter((AuditEvent.action == UPLOADS) & ~failed),
               func.count().filter((AuditEvent.action == DOWNLOADS) & ~failed),
               func.coalesce(func.sum(weight).filter(failed), 0))
        .where(AuditEvent.created_at >= since).group_by(bucket).order_by(bucket))).all()
    by_action = (await session.execute(
        select(AuditEvent.action, func.sum(weight).label("n"))
        .where(AuditEvent.created_at >= since, failed)
        .group_by(AuditEvent.action).order_by(func.sum(weight).desc()).limit(8))).all()
    return [tuple(r) for r in rows], [tuple(r) for r in by_action]
