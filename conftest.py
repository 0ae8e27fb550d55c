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

from artstore_common.testing import ScratchDatabases, TokenFactory

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


@pytest.fixture(scope="session")
def make_database(pg_dsn):
    """Factory: ``make_database(prefix, template=None)`` creates an empty database (or a clone
    of ``template``) with a unique name and returns its SQLAlchemy asyncpg URL. Every database
    made this way is dropped at session end (``artstore_common.testing.ScratchDatabases``)."""
    databases = ScratchDatabases(pg_dsn)
    yield databases.create
    databases.drop_all()


@pytest.fixture(scope="session")
def token_factory() -> TokenFactory:
    return TokenFactory()


@pytest.fixture()
def unique_name() -> Iterator[str]:
    yield f"t{uuid.uuid4().hex[:12]}"
