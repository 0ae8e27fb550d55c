"""All SQL of copy policies and the storage elements they can count on."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import String, cast, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from admin_module.models.storage_element import CopyPolicyRow, StorageElement


async def policy_rows(session: AsyncSession) -> dict[str, CopyPolicyRow]:
    """The policies an operator set, by retention policy."""
    return {r.retention_policy: r for r in (await session.execute(select(CopyPolicyRow))).scalars()}


async def policy_row(session: AsyncSession, retention_policy: str, *, for_update: bool = False
                     ) -> CopyPolicyRow | None:
    return await session.get(CopyPolicyRow, retention_policy, with_for_update=for_update)


async def suitable_counts(session: AsyncSession, modes: Sequence[str]) -> tuple[int, int]:
    """(SEs in one of ``modes``, distinct failure domains among them; an SE without a domain
    is a domain of its own)."""
    count = await session.scalar(
        select(func.count()).select_from(StorageElement).where(StorageElement.mode.in_(modes)))
    domains = await session.scalar(
        select(func.count(func.distinct(func.coalesce(
            StorageElement.failure_domain, cast(StorageElement.id, String)
        )))).where(StorageElement.mode.in_(modes)))
    return int(count or 0), int(domains or 0)
