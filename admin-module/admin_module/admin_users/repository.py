"""All SQL of admin users, password history and refresh tokens."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from admin_module.common import like_pattern
from admin_module.models.admin_user import AdminUser, PasswordHistory, RefreshToken
from admin_module.models.base import utcnow


@dataclass
class UserFilter:
    role: str | None = None
    status: str | None = None
    q: str | None = None


async def get(session: AsyncSession, user_id: uuid.UUID, *, for_update: bool = False
              ) -> AdminUser | None:
    stmt = select(AdminUser).where(AdminUser.id == user_id)
    if for_update:
        stmt = stmt.with_for_update()
    return await session.scalar(stmt)


async def get_by_username(session: AsyncSession, username: str, *, for_update: bool = False
                          ) -> AdminUser | None:
    stmt = select(AdminUser).where(AdminUser.username == username.strip().lower())
    if for_update:
        stmt = stmt.with_for_update()
    return await session.scalar(stmt)


async def list_users(session: AsyncSession, f: UserFilter, limit: int, offset: int
                     ) -> tuple[list[AdminUser], int]:
    conditions = [AdminUser.status == f.status] if f.status else [AdminUser.status != "deleted"]
    if f.role:
        conditions.append(AdminUser.role == f.role)
    if f.q:
        pattern = like_pattern(f.q)
        conditions.append(or_(AdminUser.username.ilike(pattern, escape="\\"),
                              AdminUser.full_name.ilike(pattern, escape="\\"),
                              AdminUser.email.ilike(pattern, escape="\\")))
    total = await session.scalar(select(func.count()).select_from(AdminUser).where(*conditions))
    rows = await session.scalars(select(AdminUser).where(*conditions)
                                 .order_by(AdminUser.username).limit(limit).offset(offset))
    return list(rows), int(total or 0)


async def count_active_super_admins(session: AsyncSession) -> int:
    return int(await session.scalar(
        select(func.count()).select_from(AdminUser)
        .where(AdminUser.role == "super_admin", AdminUser.status == "active")
    ) or 0)


async def recent_password_hashes(session: AsyncSession, user_id: uuid.UUID, n: int) -> list[str]:
    rows = await session.scalars(
        select(PasswordHistory.password_hash).where(PasswordHistory.user_id == user_id)
        .order_by(PasswordHistory.created_at.desc()).limit(n)
    )
    return list(rows)


async def trim_password_history(session: AsyncSession, user_id: uuid.UUID, keep: int) -> None:
    """Only the newest ``keep`` hashes are ever compared; older ones would pile up forever."""
    newest = (select(PasswordHistory.id).where(PasswordHistory.user_id == user_id)
              .order_by(PasswordHistory.created_at.desc()).limit(keep))
    await session.execute(delete(PasswordHistory).where(
        PasswordHistory.user_id == user_id, PasswordHistory.id.not_in(newest)))


async def refresh_by_hash(session: AsyncSession, token_hash: str) -> RefreshToken | None:
    return await session.scalar(
        select(RefreshToken).where(RefreshToken.token_hash == token_hash).with_for_update()
    )


async def revoke_family(session: AsyncSession, family_id: uuid.UUID, reason: str) -> int:
    result = await session.execute(
        update(RefreshToken)
        .where(RefreshToken.family_id == family_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=utcnow(), revoked_reason=reason)
    )
    return int(result.rowcount or 0)


async def revoke_user_tokens(session: AsyncSession, user_id: uuid.UUID, reason: str) -> int:
    result = await session.execute(
        update(RefreshToken)
        .where(RefreshToken.user_id == user_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=utcnow(), revoked_reason=reason)
    )
    return int(result.rowcount or 0)


async def purge_expired_refresh_tokens(session: AsyncSession, before: datetime) -> int:
    """Expired refresh tokens are useless (reuse detection only matters while one is live)."""
    result = await session.execute(delete(RefreshToken).where(RefreshToken.expires_at < before))
    return int(result.rowcount or 0)
