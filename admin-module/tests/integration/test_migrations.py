"""The Alembic migrations: runnable from the CLI, and identical to the ORM models."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.ext.asyncio import create_async_engine

from admin_module.models import Base

pytestmark = pytest.mark.integration

ADMIN_ROOT = Path(__file__).resolve().parents[2]


def test_cli_upgrade_head_builds_the_schema_of_the_models(make_database):
    url = make_database("admin_cli")
    result = subprocess.run(
        [sys.executable, "-m", "alembic", "-c", str(ADMIN_ROOT / "alembic.ini"), "upgrade",
         "head"],
        env={**os.environ, "DATABASE_URL": url}, capture_output=True, text=True, timeout=120,
        cwd="/",
    )
    assert result.returncode == 0, result.stderr

    import asyncio

    async def diff() -> list:
        engine = create_async_engine(url)
        try:
            async with engine.connect() as conn:
                return await conn.run_sync(
                    lambda sync: compare_metadata(MigrationContext.configure(sync),
                                                  Base.metadata))
        finally:
            await engine.dispose()

    assert asyncio.run(diff()) == []
