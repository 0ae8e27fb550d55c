"""All SQL about the published registry: its version counter and the SEs it lists."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import BigInteger, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from admin_module.models.storage_element import DiscoveryVersion, StorageElement


async def bump_version(session: AsyncSession) -> int:
    """Call in the transaction that changes what is published.

    The version is at least the current time in milliseconds, so it keeps growing even across
    a restored or recreated admin database and a newer registry always wins in Redis.
    """
    now_ms = func.floor(func.extract("epoch", func.clock_timestamp()) * 1000).cast(BigInteger)
    result = await session.execute(
        update(DiscoveryVersion)
        .where(DiscoveryVersion.id == 1)
        .values(version=func.greatest(DiscoveryVersion.version + 1, now_ms),
                changed_at=datetime.now(UTC))
        .returning(DiscoveryVersion.version)
    )
    return int(result.scalar_one())


async def current_version(session: AsyncSession) -> int | None:
    return await session.scalar(select(DiscoveryVersion.version).where(DiscoveryVersion.id == 1))


async def storage_elements(session: AsyncSession) -> list[StorageElement]:
    return list((await session.execute(
        select(StorageElement).order_by(StorageElement.priority, StorageElement.name)
    )).scalars())
