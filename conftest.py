"""Fixtures shared by every test in the workspace: the real local stack and tokens.

The stack (PostgreSQL, Redis, an S3 server) is started once by ``scripts/stack.py`` under
``.artstore/test-stack`` and reused; ``make test`` stops it afterwards. Set
``ARTSTORE_TEST_STATE`` to use another state directory.
"""

from __future__ import annotations

import importlib.util
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from artstore_common.testing import TokenFactory

REPO_ROOT = Path(__file__).resolve().parent


def _load_stack_module():
    path = REPO_ROOT / "scripts" / "stack.py"
    spec = importlib.util.spec_from_file_location("artstore_stack", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def stack_module():
    return _load_stack_module()


@pytest.fixture(scope="session")
def stack_state_dir() -> Path:
    return Path(os.environ.get("ARTSTORE_TEST_STATE", REPO_ROOT / ".artstore" / "test-stack"))


@pytest.fixture(scope="session")
def stack_env(stack_module, stack_state_dir) -> dict[str, str]:
    """Start (or reuse) PostgreSQL, Redis and the S3 server; return their connection env."""
    return stack_module.start(["postgres", "redis", "s3"], stack_state_dir, fast=True)


@pytest.fixture(scope="session")
def pg_dsn(stack_env) -> str:
    """libpq-style DSN of the server's maintenance database (``postgres``)."""
    return stack_env["PG_DSN"]


@pytest.fixture(scope="session")
def redis_url(stack_env) -> str:
    return stack_env["REDIS_URL"]


@pytest.fixture(scope="session")
def s3_endpoint(stack_env) -> str:
    return stack_env["S3_ENDPOINT_URL"]


def _server_dsn(pg_dsn: str, database: str, driver: str = "postgresql+asyncpg") -> str:
    base = pg_dsn.rsplit("/", 1)[0].split("://", 1)[1]
    return f"{driver}://{base}/{database}"


def _admin_execute(pg_dsn: str, *statements: str) -> None:
    import asyncio

    import asyncpg

    async def run() -> None:
        conn = await asyncpg.connect(pg_dsn)
        try:
            for statement in statements:
                await conn.execute(statement)
        finally:
            await conn.close()

    asyncio.run(run())


@pytest.fixture(scope="session")
def make_database(pg_dsn):
    """Factory: ``make_database(prefix)`` creates an empty database with a unique name and
    returns its SQLAlchemy asyncpg URL. Every database made this way is dropped at session end.
    """
    created: list[str] = []

    def factory(prefix: str = "test") -> str:
        name = f"{prefix}_{uuid.uuid4().hex[:10]}".lower()
        _admin_execute(pg_dsn, f'CREATE DATABASE "{name}"')
        created.append(name)
        return _server_dsn(pg_dsn, name)

    yield factory
    for name in created:
        try:
            _admin_execute(pg_dsn, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        except Exception:
            pass


@pytest.fixture(scope="session")
def token_factory() -> TokenFactory:
    return TokenFactory()


@pytest.fixture()
def unique_name() -> Iterator[str]:
    yield f"t{uuid.uuid4().hex[:12]}"
