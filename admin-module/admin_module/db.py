"""Engine, session factory and the per-request unit of work (one commit per request).

Services ``flush()``, never ``commit()``. The request's session commits once after the endpoint
returns and rolls back when it raises. ``independent_session`` is a separate short transaction for
facts that must persist even though the request fails (failed-login counters, their audit rows).
"""

from __future__ import annotations

from fastapi import Request
from sqlalchemy import text
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from admin_module.config import Settings
from artstore_common.db import DbSession, session_scope

__all__ = ["DbSession", "advisory_xact_lock", "create_engine", "create_sessionmaker",
           "independent_session", "session_scope"]


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


def independent_session(request: Request):
    return session_scope(request.app.state.sessionmaker)


async def advisory_xact_lock(session: AsyncSession, lock_id: int) -> None:
    """Serialize with every other holder of ``lock_id`` until the transaction ends."""
    await session.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": lock_id})
