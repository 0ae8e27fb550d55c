"""Engine, sessions, and the startup migrations (serialized across instances)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from artstore_common import migrations
from artstore_common.db import DbSession, session_scope
from query_module.config import Settings

__all__ = ["DbSession", "create_engine", "create_sessionmaker", "run_migrations",
           "session_scope"]

QUERY_ROOT = Path(__file__).resolve().parent.parent
MIGRATION_LOCK_ID = 0x4152_5453_0030  # "ARTS" + the query port


def create_engine(settings: Settings) -> AsyncEngine:
    return create_async_engine(
        settings.DATABASE_URL,
        pool_size=settings.DATABASE_POOL_SIZE,
        max_overflow=settings.DATABASE_POOL_SIZE,
        pool_pre_ping=True,
        echo=settings.DATABASE_ECHO,
    )


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


async def run_migrations(engine: AsyncEngine, revision: str = "head") -> None:
    await migrations.run_migrations(engine, QUERY_ROOT, MIGRATION_LOCK_ID, revision)
