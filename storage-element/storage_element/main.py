"""App factory: ``uvicorn storage_element.main:create_app --factory``.

Startup order: migrations → storage backend → identity and mode from the volume → WAL
recovery → outbox relay and scheduled jobs → first request. One process per SE volume.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
import structlog
from fastapi import FastAPI

from artstore_common.app import create_base_app
from artstore_common.auth import TokenVerifier
from artstore_common.db import ping
from artstore_common.health import HealthCheck
from artstore_common.logging import configure_logging
from storage_element import __version__, background
from storage_element.admin_endpoints import router as admin_router
from storage_element.backends import make_backend
from storage_element.capacity import Capacity
from storage_element.config import Settings
from storage_element.context import SEContext
from storage_element.db import create_engine, create_sessionmaker, run_migrations
from storage_element.events import OutboxRelay
from storage_element.files.endpoints import router as files_router
from storage_element.modes import ModeKeeper
from storage_element.recovery import recover
from storage_element.security import (
    REPORT_INTERVAL_SECONDS,
    RefusalReporter,
    install_refusal_reporting,
)

log = structlog.get_logger(__name__)


def _lifespan(settings: Settings):
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = create_engine(settings)
        if settings.SE_RUN_MIGRATIONS:
            try:
                await run_migrations(engine)
            except BaseException:
                await engine.dispose()
                raise
        sessionmaker = create_sessionmaker(engine)
        backend = await anyio.to_thread.run_sync(make_backend, settings)
        modes = ModeKeeper(backend, sessionmaker)
        await modes.load(settings)
        relay = OutboxRelay(sessionmaker, settings.REDIS_URL, settings.SE_EVENTS_STREAM,
                            settings.SE_OUTBOX_POLL_SECONDS, settings.SE_OUTBOX_RETENTION_HOURS,
                            settings.SE_EVENTS_TRIM_INTERVAL_SECONDS,
                            settings.SE_EVENTS_TRIM_SAFETY_SECONDS, settings.SE_EVENTS_MAX_ENTRIES)
        ctx = SEContext(settings=settings, backend=backend, engine=engine,
                        sessionmaker=sessionmaker, modes=modes,
                        capacity=Capacity(sessionmaker, settings.SE_CAPACITY_BYTES),
                        relay=relay, version=__version__)
        await recover(ctx)
        app.state.se = ctx
        app.state.refusals = refusals = RefusalReporter(
            settings.REDIS_URL, "storage_element", str(ctx.se_id))
        tasks = [asyncio.create_task(relay.run(), name="outbox-relay"),
                 asyncio.create_task(background.every(
                     REPORT_INTERVAL_SECONDS, lambda: anyio.to_thread.run_sync(refusals.flush),
                     "refusal-reports"))]
        tasks += [asyncio.create_task(job()) for job in background.jobs(ctx)]
        log.info("se.started", se_id=str(ctx.se_id), mode=modes.mode, backend=backend.kind)
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
            await anyio.to_thread.run_sync(refusals.flush)
            refusals.close()
            relay.close()
            await engine.dispose()

    return lifespan


def _health_checks(app: FastAPI) -> list[HealthCheck]:
    async def database() -> None:
        await ping(app.state.se.engine)

    async def storage() -> str:
        await anyio.to_thread.run_sync(app.state.se.backend.check)
        return app.state.se.backend.kind

    async def redis() -> None:
        await anyio.to_thread.run_sync(app.state.se.relay.ping)

    return [HealthCheck("database", database), HealthCheck("storage", storage),
            HealthCheck("redis", redis, critical=False)]


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    configure_logging(settings.SERVICE_NAME, settings.LOG_LEVEL, settings.LOG_FORMAT)
    app = create_base_app(settings, title="ArtStore storage element", version=__version__,
                          lifespan=_lifespan(settings))
    app.state.health_checks.extend(_health_checks(app))
    install_refusal_reporting(app)
    app.state.token_verifier = TokenVerifier.from_settings(settings)
    app.include_router(files_router)
    app.include_router(admin_router)
    return app
