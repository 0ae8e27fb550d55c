"""Admin-module fixtures: one migrated template database per session, cloned per test
(CREATE DATABASE ... TEMPLATE), and the real app (real lifespan) driven in-process with httpx."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from cryptography.fernet import Fernet
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from admin_module.auth.tokens import issue_access_token
from admin_module.config import Settings
from admin_module.main import create_app
from admin_module.migrate import run_migrations
from artstore_common.testing import ScratchDatabases, database_name, run_sync

ADMIN_PASSWORD = "Initial-Admin-Pass-42"
CLIENT_SECRET = "system-client-secret-0123456789abcdefghijklmnop"
AUDIT_SECRET = "audit-hmac-secret-for-tests-0123456789abcdef"
FERNET_KEY = Fernet.generate_key().decode()


def base_env(redis_url: str, database_url: str) -> dict[str, str]:
    return {
        "ENVIRONMENT": "test",
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "DATABASE_POOL_SIZE": "3",
        "ARGON2_TIME_COST": "1",
        "ARGON2_MEMORY_COST_KIB": "256",
        "ARGON2_PARALLELISM": "1",
        "AUDIT_HMAC_SECRET": AUDIT_SECRET,
        "JWT_KEYS_ENCRYPTION_KEY": FERNET_KEY,
        "ARTSTORE_ADMIN_USER": "root",
        "ARTSTORE_ADMIN_PASSWORD": ADMIN_PASSWORD,
        "ARTSTORE_CLIENT_ID": "admin-service",
        "ARTSTORE_CLIENT_SECRET": CLIENT_SECRET,
        "RATE_LIMIT_KEY_PREFIX": f"test:{uuid.uuid4().hex[:12]}:ratelimit",
        "LOG_LEVEL": "WARNING",
    }


@pytest.fixture(scope="session")
def admin_databases(pg_dsn) -> ScratchDatabases:
    databases = ScratchDatabases(pg_dsn)
    yield databases
    databases.drop_all()


@pytest.fixture(scope="session")
def admin_template_db(admin_databases) -> str:
    url = admin_databases.create("admin_tpl")

    async def migrate() -> None:
        engine = create_async_engine(url)
        try:
            await run_migrations(engine)
        finally:
            await engine.dispose()

    run_sync(migrate)
    return database_name(url)


@pytest.fixture()
def admin_db(admin_databases, admin_template_db) -> str:
    """A fresh, migrated database for one test; returns its SQLAlchemy URL."""
    url = admin_databases.create("admin_t", template=admin_template_db)
    yield url
    admin_databases.drop(url)


@dataclass
class AdminHarness:
    app: FastAPI
    client: httpx.AsyncClient
    settings: Settings

    def session(self) -> AsyncSession:
        return self.app.state.sessionmaker()

    async def token(self, role: str = "ADMIN", *, ptype: str = "service_account",
                    subject: str | None = None, name: str = "test") -> str:
        """A token signed by the admin module's own active key (any role, even unknown)."""
        issued = await issue_access_token(
            self.app.state.keys, self.settings, subject=subject or str(uuid.uuid4()),
            role=role, ptype=ptype, name=name,
            client_id=name if ptype == "service_account" else None,
        )
        return issued.access_token

    async def headers(self, role: str = "ADMIN", **kwargs: Any) -> dict[str, str]:
        return {"Authorization": f"Bearer {await self.token(role, **kwargs)}"}

    async def system_token(self) -> str:
        resp = await self.client.post("/api/v1/auth/token", data={
            "grant_type": "client_credentials", "client_id": "admin-service",
            "client_secret": CLIENT_SECRET})
        assert resp.status_code == 200, resp.text
        return resp.json()["access_token"]

    async def login(self, username: str = "root", password: str = ADMIN_PASSWORD
                    ) -> dict[str, Any]:
        resp = await self.client.post("/api/v1/admin-auth/login",
                                      json={"username": username, "password": password})
        assert resp.status_code == 200, resp.text
        return resp.json()


@pytest.fixture()
def admin_env(redis_url, admin_db) -> dict[str, str]:
    return base_env(redis_url, admin_db)


@pytest.fixture()
async def make_admin(admin_env) -> AsyncIterator[Callable[..., Any]]:
    """Factory: ``await make_admin(**overrides)`` starts the real app (lifespan included)."""
    stack: list[Any] = []

    async def factory(**overrides: Any) -> AdminHarness:
        env = {**admin_env, **{k: str(v) for k, v in overrides.items()}}
        settings = Settings(**env)
        app = create_app(settings)
        lifespan = app.router.lifespan_context(app)
        await lifespan.__aenter__()
        stack.append(lifespan)
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                   base_url="http://admin.test")
        stack.append(client)
        return AdminHarness(app, client, settings)

    yield factory
    for item in reversed(stack):
        if isinstance(item, httpx.AsyncClient):
            await item.aclose()
        else:
            await item.__aexit__(None, None, None)


@pytest.fixture()
async def admin(make_admin) -> AdminHarness:
    return await make_admin()
