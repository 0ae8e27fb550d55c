"""Engine, session factory and the Alembic upgrade run at startup."""

from __future__ import annotations

from pathlib import Path

import anyio
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine

PACKAGE_ROOT = Path(__file__).resolve().parent.parent


def make_engine(url: str) -> AsyncEngine:
    # No ping on every checkout (a round trip per transaction, the largest single cost of a
    # small upload): a connection PostgreSQL dropped fails the one request that used it, and
    # SQLAlchemy then invalidates the whole pool so the next requests reconnect.
    return create_async_engine(url, pool_size=20, max_overflow=10, pool_pre_ping=False)


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker:
    return async_sessionmaker(engine, expire_on_commit=False)


def upgrade_database(url: str) -> None:
    """``alembic upgrade head`` (also: ``alembic -c storage-element/alembic.ini upgrade head``)."""
    from alembic import command

    from artstore_common.migrations import alembic_config

    cfg = alembic_config(PACKAGE_ROOT)
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    command.upgrade(cfg, "head")


async def upgrade_database_async(url: str) -> None:
    await anyio.to_thread.run_sync(upgrade_database, url)
