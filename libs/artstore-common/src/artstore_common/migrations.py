"""Alembic plumbing shared by the services that own tables (extra ``db``).

``run_migrations`` applies a service's migrations at startup on the app's own engine, under a
PostgreSQL advisory lock so several instances starting together migrate once. ``run_env`` is
the whole body of a service's ``migrations/env.py``: it uses the connection handed over by
``run_migrations`` or, from the ``alembic`` CLI, builds an engine from the configured URL.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable
from logging.config import fileConfig
from pathlib import Path

import structlog
from alembic import command, context
from alembic.config import Config
from sqlalchemy import MetaData, pool, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

log = structlog.get_logger(__name__)


def alembic_config(service_root: Path) -> Config:
    """The service's ``alembic.ini`` with ``migrations/`` beside it, wherever the CWD is."""
    cfg = Config(str(service_root / "alembic.ini"))
    cfg.set_main_option("script_location", str(service_root / "migrations"))
    return cfg


async def run_migrations(
    engine: AsyncEngine, service_root: Path, lock_id: int, revision: str = "head"
) -> None:
    def upgrade(connection: Connection) -> None:
        cfg = alembic_config(service_root)
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, revision)

    async with engine.begin() as conn:
        await conn.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": lock_id})
        await conn.run_sync(upgrade)
    log.info("db.migrated", revision=revision)


def run_env(target_metadata: MetaData, default_url: Callable[[], str]) -> None:
    config = context.config
    handed_over = config.attributes.get("connection")
    # Only the bare alembic CLI takes logging from alembic.ini: inside a service (root handler
    # already installed by configure_logging) it would drop every log line after migrating.
    if (config.config_file_name is not None and handed_over is None
            and not logging.getLogger().handlers):
        fileConfig(config.config_file_name, disable_existing_loggers=False)

    def url() -> str:
        return (config.attributes.get("url") or config.get_main_option("sqlalchemy.url")
                or os.environ.get("DATABASE_URL") or default_url())

    def migrate(connection: Connection) -> None:
        context.configure(connection=connection, target_metadata=target_metadata,
                          compare_type=True)
        with context.begin_transaction():
            context.run_migrations()

    async def migrate_with_own_engine() -> None:
        engine = create_async_engine(url(), poolclass=pool.NullPool)
        async with engine.connect() as connection:
            await connection.run_sync(migrate)
            await connection.commit()
        await engine.dispose()

    if context.is_offline_mode():
        context.configure(url=url(), target_metadata=target_metadata, literal_binds=True)
        with context.begin_transaction():
            context.run_migrations()
    elif handed_over is not None:
        migrate(handed_over)
    else:
        asyncio.run(migrate_with_own_engine())
