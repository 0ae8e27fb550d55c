"""Engine, session factory and the startup migrations (``artstore_common.migrations``)."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.pool import NullPool

from artstore_common import migrations
from storage_element.config import Settings

SE_ROOT = Path(__file__).resolve().parent.parent
MIGRATION_LOCK_ID = 0x4152_5453_0010  # "ARTS" + the first SE port


def create_engine(settings: Settings) -> AsyncEngine:
    # No ping on every checkout (a round trip per transaction, the largest single cost of a
    # small upload): a connection PostgreSQL dropped fails the one request that used it, and
    # SQLAlchemy then invalidates the whole pool so the next requests reconnect.
    return create_async_engine(settings.DATABASE_URL, pool_size=settings.DATABASE_POOL_SIZE,
                               max_overflow=10, pool_pre_ping=False)


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker:
    return async_sessionmaker(engine, expire_on_commit=False)


async def run_migrations(engine: AsyncEngine, revision: str = "head") -> None:
    await migrations.run_migrations(engine, SE_ROOT, MIGRATION_LOCK_ID, revision)


def upgrade_database(url: str) -> None:
    """Migrate the database at ``url`` to head from synchronous code (test templates, bench),
    on a thread with its own event loop so it also works where a loop already runs.
    (From a shell: ``alembic -c storage-element/alembic.ini upgrade head``.)"""
    async def migrate() -> None:
        engine = create_async_engine(url, poolclass=NullPool)
        try:
            await run_migrations(engine)
        finally:
            await engine.dispose()

    with ThreadPoolExecutor(1) as thread:
        thread.submit(asyncio.run, migrate()).result()
