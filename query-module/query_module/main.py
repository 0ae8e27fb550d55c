"""App factory: ``uvicorn query_module.main:create_app --factory``.

Startup: migrations → engine → Redis → discovery thread → caches, downloader, re-indexer →
event consumer and cache-invalidation listener as background tasks.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
import structlog
from fastapi import FastAPI
from redis.asyncio import Redis

from artstore_common.access import AccessTrail
from artstore_common.app import create_base_app
from artstore_common.auth import TokenVerifier
from artstore_common.discovery import DiscoveryClient
from artstore_common.logging import configure_logging
from artstore_common.resilience import BreakerRegistry, build_async_client
from artstore_common.service_token import ServiceTokenProvider
from artstore_common.tls import client_verify
from query_module import __version__
from query_module.api import api_router
from query_module.cache import MetadataCache
from query_module.config import Settings
from query_module.db import create_engine, create_sessionmaker, run_migrations
from query_module.events.consumer import EventConsumer
from query_module.events.recovery import StreamRecovery
from query_module.files.download import Downloader
from query_module.files.lookup import CatalogMissLookup
from query_module.files.thumbnail import Thumbnails
from query_module.health import health_checks
from query_module.reindex.service import Reindexer
from query_module.text.morph import preload as preload_morphology
from query_module.text.worker import TextIndexer

log = structlog.get_logger(__name__)


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings: Settings = app.state.settings
    engine = create_engine(settings)
    if settings.MIGRATE_ON_STARTUP:
        await run_migrations(engine)
    app.state.engine = engine
    # The morphology dictionary (0.4 s) loads before events are applied, not inside one.
    await anyio.to_thread.run_sync(preload_morphology)
    app.state.sessionmaker = sessionmaker = create_sessionmaker(engine)
    app.state.redis = redis = Redis.from_url(
        settings.REDIS_URL, socket_connect_timeout=2.0, socket_timeout=10.0,
        health_check_interval=30,
    )
    discovery = DiscoveryClient(
        settings.REDIS_URL, settings.DISCOVERY_FALLBACK_FILE, settings.DISCOVERY_REFRESH_SECONDS,
        key=settings.DISCOVERY_KEY, channel=settings.DISCOVERY_CHANNEL,
    )
    await anyio.to_thread.run_sync(discovery.start)
    app.state.discovery = discovery
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
    cache = MetadataCache(settings, redis)
    app.state.metadata_cache = cache
    app.state.downloader = downloader = Downloader(http, tokens, discovery,
                                                   settings.DOWNLOAD_CHUNK_BYTES)
    app.state.thumbnails = Thumbnails(redis, downloader, settings.THUMBNAIL_MAX_SOURCE_BYTES)
    app.state.catalog_lookup = CatalogMissLookup(
        http, tokens, discovery, downloader.breakers, sessionmaker, cache,
        concurrency=settings.CATALOG_MISS_CONCURRENCY,
        timeout=settings.CATALOG_MISS_TIMEOUT_SECONDS)
    app.state.reindexer = reindexer = Reindexer(
        sessionmaker, http, tokens, discovery, settings.REINDEX_PAGE_SIZE,
        on_changed=cache.invalidate,
    )
    consumer = EventConsumer(settings, redis, sessionmaker, on_applied=cache.invalidate)
    app.state.consumer = consumer
    app.state.stream_recovery = recovery = StreamRecovery(
        redis, settings.FILE_EVENTS_STREAM, settings.CONSUMER_GROUP, reindexer)
    app.state.text_indexer = texts = TextIndexer(settings, sessionmaker, app.state.downloader,
                                                 on_changed=cache.invalidate)
    app.state.access_trail = trail = AccessTrail(settings.REDIS_URL, settings.SERVICE_NAME)
    trail.start()
    tasks = [asyncio.create_task(cache.follow_invalidations(), name="cache-invalidation")]
    if settings.CONSUMER_ENABLED:
        tasks.append(asyncio.create_task(consumer.run(), name="event-consumer"))
        tasks.append(asyncio.create_task(recovery.run(), name="stream-recovery"))
    if settings.TEXT_EXTRACTION_ENABLED:
        tasks.append(asyncio.create_task(texts.run(), name="text-indexer"))
    log.info("query.started", consumer=settings.CONSUMER_NAME, stream=settings.FILE_EVENTS_STREAM)
    try:
        yield
    finally:
        # Ask the loops to stop and let them finish their current read; cancelling a
        # blocked redis-py read can hang shutdown.
        consumer.stop()
        recovery.stop()
        cache.stop()
        texts.stop()
        await reindexer.stop()
        await trail.aclose()
        grace = settings.CONSUMER_BLOCK_MS / 1000 + 5.0
        _done, pending = await asyncio.wait(tasks, timeout=grace)
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.wait(pending, timeout=2.0)
        await anyio.to_thread.run_sync(discovery.stop)
        await http.aclose()
        await redis.aclose()
        await engine.dispose()


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    configure_logging(settings.SERVICE_NAME, settings.LOG_LEVEL, settings.LOG_FORMAT)
    app = create_base_app(settings, title="ArtStore query module", version=__version__,
                          lifespan=lifespan)
    app.state.health_checks.extend(health_checks(app))
    app.state.token_verifier = TokenVerifier.from_settings(settings)
    app.include_router(api_router)
    return app
