"""All SQL of saved searches; every query is limited to one owner's rows."""

from __future__ import annotations

import uuid

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from admin_module.models.saved_search import SavedSearch


async def owned(session: AsyncSession, owner: str) -> list[SavedSearch]:
    return list(await session.scalars(select(SavedSearch).where(SavedSearch.owner == owner)
                                      .order_by(SavedSearch.name)))


async def get_owned(session: AsyncSession, search_id: uuid.UUID, owner: str
                    ) -> SavedSearch | None:
    return await session.scalar(select(SavedSearch).where(SavedSearch.id == search_id,
                                                          SavedSearch.owner == owner))


async def name_taken(session: AsyncSession, owner: str, name: str) -> bool:
    return await session.scalar(select(SavedSearch.id).where(
        SavedSearch.owner == owner, SavedSearch.name == name)) is not None


async def count_owned(session: AsyncSession, owner: str) -> int:
    return int(await session.scalar(select(func.count()).where(SavedSearch.owner == owner)) or 0)


async def delete_owned(session: AsyncSession, search_id: uuid.UUID, owner: str) -> str | None:
    """The deleted search's name; None when the owner has no such search."""
    return await session.scalar(
        delete(SavedSearch).where(SavedSearch.id == search_id, SavedSearch.owner == owner)
        .returning(SavedSearch.name))
