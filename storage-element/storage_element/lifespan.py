"""The storage element's lifespan, assembled from components on an ``AsyncExitStack``.

Startup order: migrations → storage backend → identity and mode from the volume → WAL
recovery → outbox relay and scheduled jobs → first request. Each component puts what it built
on ``app.state`` and they close in reverse, so the jobs stop before the relay and the pool
they use.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
import structlog
from fastapi import FastAPI

from artstore_common.app import Component, open_components
from storage_element import __version__, background
from storage_element.backends import make_backend
from storage_element.capacity import Capacity
from storage_element.config import Settings
from storage_element.context import SEContext
from storage_element.db import create_engine, create_sessionmaker, run_migrations
from storage_element.events import OutboxRelay
from storage_element.modes import ModeKeeper
from storage_element.recovery import recover
from storage_element.security import REPORT_INTERVAL_SECONDS, RefusalReporter

log = structlog.get_logger(__name__)


@asynccontextmanager
async def database(app: FastAPI) -> AsyncIterator[None]:
    settings: Settings = app.state.settings
    engine = create_engine(settings)
    try:
        if settings.SE_RUN_MIGRATIONS:
            await run_migrations(engine)
        app.state.engine = engine
        app.state.sessionmaker = create_sessionmaker(engine)
        yield
    finally:
        await engine.dispose()


@asynccontextmanager
async def volume(app: FastAPI) -> AsyncIterator[None]:
    """The storage backend, and the SE's identity and mode as the volume records them."""
    settings: Settings = app.state.settings
    app.state.backend = await anyio.to_thread.run_sync(make_backend, settings)
    app.state.modes = ModeKeeper(app.state.backend, app.state.sessionmaker)
    await app.state.modes.load(settings)
    yield


@asynccontextmanager
async def context(app: FastAPI) -> AsyncIterator[None]:
    """The outbox relay and the ``SEContext`` requests use, after the WAL is recovered."""
    settings: Settings = app.state.settings
    relay = OutboxRelay(app.state.sessionmaker, settings.REDIS_URL, settings.SE_EVENTS_STREAM,
                        settings.SE_OUTBOX_POLL_SECONDS, settings.SE_OUTBOX_RETENTION_HOURS,
                        settings.SE_EVENTS_TRIM_INTERVAL_SECONDS,
                        settings.SE_EVENTS_TRIM_SAFETY_SECONDS, settings.SE_EVENTS_MAX_ENTRIES)
    try:
        ctx = SEContext(settings=settings, backend=app.state.backend, engine=app.state.engine,
                        sessionmaker=app.state.sessionmaker, modes=app.state.modes,
                        capacity=Capacity(app.state.sessionmaker, settings.SE_CAPACITY_BYTES),
                        relay=relay, version=__version__)
        await recover(ctx)
        app.state.se = ctx
        yield
    finally:
        relay.close()


@asynccontextmanager
async def refusals(app: FastAPI) -> AsyncIterator[None]:
    """Refused requests, reported in batches (flushed once more on the way out)."""
    app.state.refusals = reporter = RefusalReporter(
        app.state.settings.REDIS_URL, "storage_element", str(app.state.se.se_id))
    try:
        yield
    finally:
        await anyio.to_thread.run_sync(reporter.flush)
        reporter.close()


@asynccontextmanager
async def workers(app: FastAPI) -> AsyncIterator[None]:
    """The relay loop, the refusal reports and the scheduled jobs, as tasks."""
    ctx: SEContext = app.state.se
    reporter: RefusalReporter = app.state.refusals
    tasks = [asyncio.create_task(ctx.relay.run(), name="outbox-relay"),
             asyncio.create_task(background.every(
                 REPORT_INTERVAL_SECONDS, lambda: anyio.to_thread.run_sync(reporter.flush),
                 "refusal-reports"))]
    tasks += [asyncio.create_task(job()) for job in background.jobs(ctx)]
    try:
        yield
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task


# Opened in order, closed in reverse. Append new components here.
COMPONENTS: list[Component] = [database, volume, context, refusals, workers]


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    async with open_components(app, COMPONENTS):
        ctx: SEContext = app.state.se
        log.info("se.started", se_id=str(ctx.se_id), mode=ctx.modes.mode,
                 backend=ctx.backend.kind)
        yield
