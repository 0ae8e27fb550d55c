"""All SQL of service accounts and their secret history."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from admin_module.common import like_pattern
from admin_module.models.base import utcnow
from admin_module.models.service_account import ServiceAccount, ServiceAccountSecret


@dataclass
class AccountFilter:
    role: str | None = None
    status: str | None = None
    q: str | None = None


async def get(session: AsyncSession, account_id: uuid.UUID, *, for_update: bool = False
              ) -> ServiceAccount | None:
    stmt = select(ServiceAccount).where(ServiceAccount.id == account_id)
    if for_update:
        stmt = stmt.with_for_update()
    return await session.scalar(stmt)


async def get_by_client_id(session: AsyncSession, client_id: str) -> ServiceAccount | None:
    return await session.scalar(select(ServiceAccount).where(ServiceAccount.client_id == client_id))


async def list_accounts(
    session: AsyncSession, f: AccountFilter, limit: int, offset: int
) -> tuple[list[ServiceAccount], int]:
    conditions = []
    if f.status:
        conditions.append(ServiceAccount.status == f.status)
    else:
        conditions.append(ServiceAccount.status != "deleted")
    if f.role:
        conditions.append(ServiceAccount.role == f.role)
    if f.q:
        pattern = like_pattern(f.q)
        conditions.append(or_(
            ServiceAccount.name.ilike(pattern, escape="\\"),
            ServiceAccount.client_id.ilike(pattern, escape="\\"),
            ServiceAccount.description.ilike(pattern, escape="\\"),
        ))
    total = await session.scalar(
        select(func.count()).select_from(ServiceAccount).where(*conditions)
    )
    rows = await session.scalars(
        select(ServiceAccount).where(*conditions)
        .order_by(ServiceAccount.created_at.desc(), ServiceAccount.id).limit(limit).offset(offset)
    )
    return list(rows), int(total or 0)


async def recent_secret_hashes(session: AsyncSession, account_id: uuid.UUID, n: int) -> list[str]:
    rows = await session.scalars(
        select(ServiceAccountSecret.secret_hash)
        .where(ServiceAccountSecret.account_id == account_id)
        .order_by(ServiceAccountSecret.created_at.desc()).limit(n)
    )
    return list(rows)


async def retire_current_secret(session: AsyncSession, account_id: uuid.UUID) -> None:
    await session.execute(
        update(ServiceAccountSecret)
        .where(ServiceAccountSecret.account_id == account_id,
               ServiceAccountSecret.retired_at.is_(None))
        .values(retired_at=utcnow())
    )


async def secret_history(
    session: AsyncSession, account_id: uuid.UUID, limit: int, offset: int
) -> tuple[list[ServiceAccountSecret], int]:
    where = ServiceAccountSecret.account_id == account_id
    total = await session.scalar(
        select(func.count()).select_from(ServiceAccountSecret).where(where)
    )
    rows = await session.scalars(
        select(ServiceAccountSecret).where(where)
        .order_by(ServiceAccountSecret.created_at.desc()).limit(limit).offset(offset)
    )
    return list(rows), int(total or 0)


async def touch_last_used(session: AsyncSession, account_id: uuid.UUID) -> None:
    await session.execute(
        update(ServiceAccount)
        .where(ServiceAccount.id == account_id)
        .values(last_used_at=utcnow(), updated_at=ServiceAccount.updated_at)
    )
