"""Engine, session factory and the per-request unit of work (one commit per request).

Services ``flush()``, never ``commit()``. The request's session commits once after the endpoint
returns and rolls back when it raises. ``independent_session`` is a separate short transaction for
facts that must persist even though the request fails (failed-login counters, their audit rows).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from admin_module.config import Settings


def create_engine(settings: Settings) -> AsyncEngine:
    return create_async_engine(
        settings.DATABASE_URL,
        pool_size=settings.DATABASE_POOL_SIZE,
        max_overflow=settings.DATABASE_POOL_SIZE,
        pool_pre_ping=True,
        echo=settings.DATABASE_ECHO,
    )


def create_sessionmaker(
    engine: AsyncEngine, *, audit_hmac_secret: bytes
) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(
        engine,
        expire_on_commit=False,
        autoflush=False,
        info={"audit_hmac_secret": audit_hmac_secret},
    )


async def _request_session(request: Request) -> AsyncIterator[AsyncSession]:
    factory: async_sessionmaker[AsyncSession] = request.app.state.sessionmaker
    async with factory() as session:
        try:
            yield session
        except BaseException:
            await session.rollback()
            raise
        else:
            await session.commit()


# scope="function": the commit happens after the endpoint returns and before the response is
# sent, so a failed commit becomes an error response instead of a lie.
DbSession = Annotated[AsyncSession, Depends(_request_session, scope="function")]


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


def independent_session(request: Request):
    return session_scope(request.app.state.sessionmaker)
