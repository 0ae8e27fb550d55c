"""The per-request unit of work shared by services with a database (extra ``db``).

Services ``flush()``, never ``commit()``: the request's session commits once after the endpoint
returns and rolls back when it raises. The app keeps its session factory in
``app.state.sessionmaker``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker


@asynccontextmanager
async def session_scope(factory: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    async with factory() as session:
        try:
            yield session
        except BaseException:
            await session.rollback()
            raise
        else:
            await session.commit()


async def ping(engine: AsyncEngine) -> None:
    """The readiness probe of a service's database: raises when it does not answer."""
    async with engine.connect() as conn:
        await conn.execute(text("SELECT 1"))


async def request_session(request: Request) -> AsyncIterator[AsyncSession]:
    async with session_scope(request.app.state.sessionmaker) as session:
        yield session


# scope="function": the commit happens after the endpoint returns and before the response is
# sent, so a failed commit becomes an error response instead of a lie.
DbSession = Annotated[AsyncSession, Depends(request_session, scope="function")]
