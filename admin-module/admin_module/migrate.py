"""Apply the admin module's Alembic migrations at startup (advisory-locked)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine

from artstore_common import migrations

ADMIN_ROOT = Path(__file__).resolve().parent.parent
MIGRATION_LOCK_ID = 0x4152_5453_0001  # "ARTS" + 1


def alembic_config():
    return migrations.alembic_config(ADMIN_ROOT)


async def run_migrations(engine: AsyncEngine, revision: str = "head") -> None:
    await migrations.run_migrations(engine, ADMIN_ROOT, MIGRATION_LOCK_ID, revision)
