"""Apply the Alembic migrations at startup, serialized across instances by an advisory lock."""

from __future__ import annotations

from pathlib import Path

import structlog
from alembic import command
from alembic.config import Config
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

log = structlog.get_logger(__name__)

ADMIN_ROOT = Path(__file__).resolve().parent.parent
MIGRATION_LOCK_ID = 0x4152_5453_0001  # "ARTS" + 1


def alembic_config() -> Config:
    cfg = Config(str(ADMIN_ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ADMIN_ROOT / "migrations"))
    return cfg


def _upgrade(connection: Connection, revision: str) -> None:
    cfg = alembic_config()
    cfg.attributes["connection"] = connection
    command.upgrade(cfg, revision)


async def run_migrations(engine: AsyncEngine, revision: str = "head") -> None:
    async with engine.begin() as conn:
        await conn.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": MIGRATION_LOCK_ID})
        await conn.run_sync(_upgrade, revision)
    log.info("db.migrated", revision=revision)
