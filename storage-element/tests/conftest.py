"""Storage-element fixtures: a migrated template database cloned per SE, both backends,
and an in-process SE (real lifespan, real PostgreSQL/Redis/S3) driven through httpx."""

from __future__ import annotations

import re
import sys
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest
import redis

from artstore_common.testing import ScratchDatabases, database_name
from storage_element.config import Settings
from storage_element.db import upgrade_database
from storage_element.main import create_app

sys.path.insert(0, str(Path(__file__).resolve().parent))  # for se_test_helpers

TEST_REDIS_DB = 3  # keep SE test events away from the other services' streams


@pytest.fixture(scope="session")
def se_databases(pg_dsn) -> ScratchDatabases:
    databases = ScratchDatabases(pg_dsn)
    yield databases
    databases.drop_all()


@pytest.fixture(scope="session")
def se_template_db(se_databases) -> str:
    url = se_databases.create("se_template")
    upgrade_database(url)
    return database_name(url)


@pytest.fixture(scope="session")
def clone_db(se_databases, se_template_db) -> Callable[[], str]:
    """Factory: a fresh, migrated database for one SE (dropped at session end)."""
    return lambda: se_databases.create("se", template=se_template_db)


@pytest.fixture(scope="session")
def public_key_file(token_factory, tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("keys") / "jwt.pem"
    path.write_bytes(token_factory.public_pem)
    return str(path)


@pytest.fixture(scope="session")
def se_redis_url(redis_url) -> str:
    return redis_url.rsplit("/", 1)[0] + f"/{TEST_REDIS_DB}"


@pytest.fixture(scope="session")
def redis_client(se_redis_url):
    client = redis.Redis.from_url(se_redis_url)
    yield client
    client.close()


@pytest.fixture(params=["local", "s3"])
def backend(request) -> str:
    return request.param


@pytest.fixture()
def se_env(backend, tmp_path, clone_db, public_key_file, se_redis_url, stack_env) -> dict:
    """Settings for one fresh SE (a new volume and a new database)."""
    env: dict[str, Any] = {
        "SE_BACKEND": backend,
        "SE_NAME": "test-se",
        "SE_MODE": "edit",
        "DATABASE_URL": clone_db(),
        "SE_RUN_MIGRATIONS": False,
        "REDIS_URL": se_redis_url,
        "JWT_PUBLIC_KEY_FILE": public_key_file,
        "SE_DATA_DIR": str(tmp_path / "volume"),
        "SE_S3_ENDPOINT_URL": stack_env["S3_ENDPOINT_URL"],
        "SE_S3_ACCESS_KEY": stack_env.get("S3_ACCESS_KEY", "testing"),
        "SE_S3_SECRET_KEY": stack_env.get("S3_SECRET_KEY", "testing"),
        "SE_S3_BUCKET": f"se-{uuid.uuid4().hex[:12]}",
        "SE_S3_PREFIX": "vol",
        "SE_OUTBOX_POLL_SECONDS": 0.2,
        "SE_FIXITY_INTERVAL_SECONDS": 0,
        "SE_RECONCILE_INTERVAL_SECONDS": 0,
        "LOG_LEVEL": "WARNING",
    }
    return env


class SEHandle:
    def __init__(self, client: httpx.AsyncClient, app, env: dict) -> None:
        self.client = client
        self.app = app
        self.env = env

    @property
    def ctx(self):
        return self.app.state.se

    def storage_objects(self) -> list[str]:
        """Every object on the volume (including temps), as relative paths."""
        backend = self.ctx.backend
        if backend.kind == "local":
            root = Path(backend.root)
            return sorted(p.relative_to(root).as_posix() for p in root.rglob("*")
                          if p.is_file() and p.name != ".se-state.json")
        objs = backend.client.list_objects(backend.bucket, prefix=backend.prefix, recursive=True)
        names = [o.object_name[len(backend.prefix):] for o in objs]
        return sorted(n for n in names if n != ".se-state.json")


_OPENAPI: dict[str, Any] = {}


def _openapi(app) -> dict[str, Any]:
    """Every SE app of the session has the same routes: build the document once (≈ 50 ms)."""
    if not _OPENAPI:
        _OPENAPI.update(app.openapi())
    return _OPENAPI


def contract_check(app) -> Callable[[httpx.Response], Any]:
    """A response hook: every 2xx JSON answer of the API must validate against the schema
    the published OpenAPI gives its operation, and that schema must be a declared model
    (the endpoints send the stored documents as they are, FastAPI does not check them)."""
    doc = _openapi(app)
    operations = [(method.upper(), re.compile("^" + re.sub(r"\{[^}/]+\}", "[^/]+", path) + "$"),
                   operation)
                  for path, ops in doc["paths"].items() for method, operation in ops.items()]

    async def check(response: httpx.Response) -> None:
        request = response.request
        if (not response.is_success or not request.url.path.startswith("/api/")
                or response.headers.get("content-type") != "application/json"):
            return
        operation = next(op for method, pattern, op in operations
                         if method == request.method and pattern.match(request.url.path))
        schema = operation["responses"][str(response.status_code)]["content"][
            "application/json"]["schema"]
        assert "$ref" in schema, f"{request.method} {request.url.path}: no response_model"
        await response.aread()
        jsonschema.validate(response.json(), {**schema, "components": doc["components"]},
                            format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)

    return check


@pytest.fixture()
async def make_se(se_env) -> AsyncIterator[Callable[..., Any]]:
    """``await make_se(**overrides)`` → a running in-process SE; stopped at teardown."""
    async with AsyncExitStack() as stack:

        async def factory(**overrides: Any) -> SEHandle:
            env = {**se_env, **overrides}
            app = create_app(Settings(**env))
            await stack.enter_async_context(app.router.lifespan_context(app))
            client = await stack.enter_async_context(httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://se",
                event_hooks={"response": [contract_check(app)]}))
            return SEHandle(client, app, env)

        yield factory


@pytest.fixture()
def auth(token_factory) -> Callable[..., dict[str, str]]:
    def headers(role: str = "ADMIN", **kwargs: Any) -> dict[str, str]:
        return token_factory.headers(role, **kwargs)

    return headers
