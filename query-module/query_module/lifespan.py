"""The query module's lifespan, assembled from components on an ``AsyncExitStack``.

Each entry of ``COMPONENTS`` opens in order and puts what it built on ``app.state``; they
close in reverse, so the background loops stop before the clients and pools they use.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
import structlog
from fastapi import FastAPI
from redis.asyncio import Redis

from artstore_common.app import Component, access_trail, discovery, open_components
from artstore_common.resilience import BreakerRegistry, build_async_client
from artstore_common.se_client import StorageElementClient
from artstore_common.service_token import ServiceTokenProvider
from artstore_common.tls import client_verify
from query_module.cache import MetadataCache
from query_module.config import Settings
from query_module.db import create_engine, create_sessionmaker, run_migrations
from query_module.events.consumer import EventConsumer
from query_module.events.recovery import StreamRecovery
from query_module.extraction.worker import TextIndexer
from query_module.files.download import Downloader
from query_module.files.lookup import CatalogMissLookup
from query_module.files.thumbnail import Thumbnails
from query_module.reindex.service import Reindexer
from query_module.text.morph import preload as preload_morphology

log = structlog.get_logger(__name__)

@asynccontextmanager
async def database(app: FastAPI) -> AsyncIterator[None]:
    settings: Settings = app.state.settings
    engine = create_engine(settings)
    try:
        if settings.MIGRATE_ON_STARTUP:
            await run_migrations(engine)
        app.state.engine = engine
        # The morphology dictionary (0.4 s) loads before events are applied, not inside one.
        await anyio.to_thread.run_sync(preload_morphology)
        app.state.sessionmaker = create_sessionmaker(engine)
        yield
    finally:
        await engine.dispose()


@asynccontextmanager
async def redis(app: FastAPI) -> AsyncIterator[None]:
    app.state.redis = client = Redis.from_url(
        app.state.settings.REDIS_URL, socket_connect_timeout=2.0, socket_timeout=10.0,
        health_check_interval=30,
    )
    try:
        yield
    finally:
        await client.aclose()


@asynccontextmanager
async def storage_clients(app: FastAPI) -> AsyncIterator[None]:
    """The HTTP client to storage elements and admin, the service token, and what reads
    through them: metadata cache, downloader, thumbnails, catalog-miss lookup, re-indexer."""
    settings: Settings = app.state.settings
    http = build_async_client(
        timeout=settings.SE_READ_TIMEOUT_SECONDS,
        connect_timeout=settings.SE_CONNECT_TIMEOUT_SECONDS,
        verify=client_verify(settings),
    )
    tokens = ServiceTokenProvider(
        token_url=settings.ADMIN_URL.rstrip("/") + "/api/v1/auth/token",
        client_id=settings.QUERY_CLIENT_ID,
        client_secret=settings.QUERY_CLIENT_SECRET,
        http=http,
        breakers=BreakerRegistry(settings.SERVICE_NAME, timeout=settings.ADMIN_TIMEOUT_SECONDS),
        refresh_at=settings.TOKEN_REFRESH_AT,
        timeout=settings.ADMIN_TIMEOUT_SECONDS,
    )
    state = app.state
    state.metadata_cache = cache = MetadataCache(settings, state.redis)
    se = StorageElementClient(http, BreakerRegistry("query-se", fail_max=3, reset_timeout=30.0),
                              tokens)
    state.downloader = downloader = Downloader(se, state.discovery,
                                               settings.DOWNLOAD_CHUNK_BYTES)
    state.thumbnails = Thumbnails(state.redis, downloader, settings.THUMBNAIL_MAX_SOURCE_BYTES)
    state.catalog_lookup = CatalogMissLookup(
        se, state.discovery, state.sessionmaker, cache,
        concurrency=settings.CATALOG_MISS_CONCURRENCY,
        timeout=settings.CATALOG_MISS_TIMEOUT_SECONDS)
    state.reindexer = reindexer = Reindexer(
        state.sessionmaker, se, state.discovery, settings.REINDEX_PAGE_SIZE,
        on_changed=cache.invalidate,
    )
    try:
        yield
    finally:
        await reindexer.stop()
        await http.aclose()


@asynccontextmanager
async def workers(app: FastAPI) -> AsyncIterator[None]:
    """Event consumer, stream recovery, text extraction and cache invalidation as tasks."""
    settings: Settings = app.state.settings
    state = app.state
    cache: MetadataCache = state.metadata_cache
    state.consumer = consumer = EventConsumer(settings, state.redis, state.sessionmaker,
                                              on_applied=cache.invalidate)
    state.stream_recovery = recovery = StreamRecovery(
        state.redis, settings.FILE_EVENTS_STREAM, settings.CONSUMER_GROUP, state.reindexer)
    state.text_indexer = texts = TextIndexer(settings, state.sessionmaker, state.downloader,
                                             on_changed=cache.invalidate)
    tasks = [asyncio.create_task(cache.follow_invalidations(), name="cache-invalidation")]
    if settings.CONSUMER_ENABLED:
        tasks.append(asyncio.create_task(consumer.run(), name="event-consumer"))
        tasks.append(asyncio.create_task(recovery.run(), name="stream-recovery"))
    if settings.TEXT_EXTRACTION_ENABLED:
        tasks.append(asyncio.create_task(texts.run(), name="text-indexer"))
    try:
        yield
    finally:
        # Ask the loops to stop and let them finish their current read; cancelling a
        # blocked redis-py read can hang shutdown.
        consumer.stop()
        recovery.stop()
        cache.stop()
        texts.stop()
        grace = settings.CONSUMER_BLOCK_MS / 1000 + 5.0
        _done, pending = await asyncio.wait(tasks, timeout=grace)
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.wait(pending, timeout=2.0)


# Opened in order, closed in reverse. Append new components here.
COMPONENTS: list[Component] = [
    database,
    redis,
    discovery,
    storage_clients,  # needs database, redis, discovery
    access_trail,
    workers,  # needs everything above
]


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings: Settings = app.state.settings
    async with open_components(app, COMPONENTS):
        log.info("query.started", consumer=settings.CONSUMER_NAME,
                 stream=settings.FILE_EVENTS_STREAM)
        yield
