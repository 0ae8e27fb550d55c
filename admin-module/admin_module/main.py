"""App factory and lifespan: ``uvicorn admin_module.main:create_app --factory``.

The lifespan opens the database (migrating it), Redis, then each entry of ``COMPONENTS`` in
order — an async context manager per domain (signing keys, initial accounts, background tasks);
they close in reverse order. A new domain appends its own component.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager

import structlog
from fastapi import FastAPI
from sqlalchemy import text

from admin_module import __version__
from admin_module.api import include_routers
from admin_module.config import Settings
from admin_module.db import create_engine, create_sessionmaker
from admin_module.identity import audit_retention, identity_services
from admin_module.keys.component import signing_keys
from admin_module.migrate import run_migrations
from admin_module.redis_client import create_redis, redis_ping
from admin_module.runtime_secrets import resolve_runtime_secrets
from admin_module.storage_elements.component import control_plane
from artstore_common.app import create_base_app
from artstore_common.health import CheckResult, HealthCheck
from artstore_common.logging import configure_logging

log = structlog.get_logger(__name__)

Component = Callable[[FastAPI], AbstractAsyncContextManager[None]]

# Opened in order after the database and Redis, closed in reverse. Append new domains here.
COMPONENTS: list[Component] = [
    signing_keys,
    identity_services,
    audit_retention,
    control_plane,  # needs signing_keys (service tokens for calls to SEs)
]


@asynccontextmanager
async def _database(app: FastAPI) -> AsyncIterator[None]:
    settings: Settings = app.state.settings
    engine = create_engine(settings)
    app.state.engine = engine
    try:
        if settings.MIGRATE_ON_STARTUP:
            await run_migrations(engine)
        app.state.sessionmaker = create_sessionmaker(
            engine, audit_hmac_secret=app.state.secrets.audit_hmac_secret.encode()
        )
        yield
    finally:
        await engine.dispose()


@asynccontextmanager
async def _redis(app: FastAPI) -> AsyncIterator[None]:
    app.state.redis = create_redis(app.state.settings)
    try:
        yield
    finally:
        await app.state.redis.aclose()


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    configure_logging(settings.SERVICE_NAME, settings.LOG_LEVEL, settings.LOG_FORMAT)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.secrets = resolve_runtime_secrets(settings)
        async with AsyncExitStack() as stack:
            for component in (_database, _redis, *COMPONENTS):
                await stack.enter_async_context(component(app))
            log.info("admin.started", port=settings.PORT, environment=settings.ENVIRONMENT)
            yield
        log.info("admin.stopped")

    async def check_database() -> None:
        async with app.state.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    async def check_redis() -> CheckResult | None:
        if not await redis_ping(app.state.redis):
            return CheckResult("degraded", "unreachable: rate limiting fails open")
        return None

    async def check_copies() -> CheckResult:
        from admin_module.copies.repair import readiness

        status, counts = readiness()
        return CheckResult(status, counts)  # type: ignore[arg-type]

    app = create_base_app(
        settings,
        title="ArtStore admin module",
        version=__version__,
        lifespan=lifespan,
        health_checks=[
            HealthCheck("database", check_database, critical=True),
            HealthCheck("redis", check_redis, critical=False),
            HealthCheck("copies", check_copies, critical=False),
        ],
    )
    include_routers(app)
    return app
