"""The ingester's lifespan, assembled from components on an ``AsyncExitStack``.

Each entry of ``COMPONENTS`` opens in order and puts what it built on ``app.state``; they
close in reverse. The ingester keeps no other state.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import redis.asyncio as aioredis
import structlog
from fastapi import FastAPI

from artstore_common.app import Component, access_trail, discovery, open_components
from artstore_common.auth import TokenVerifier
from artstore_common.resilience import BreakerRegistry, build_async_client
from artstore_common.se_client import StorageElementClient, upload_session
from artstore_common.service_token import ServiceTokenProvider
from artstore_common.tls import client_verify
from ingester_module.config import Settings
from ingester_module.storage.client import StorageClient, Timeouts
from ingester_module.storage.placement import Placer
from ingester_module.uploads.service import IngestService

log = structlog.get_logger(__name__)

@asynccontextmanager
async def admin_client(app: FastAPI) -> AsyncIterator[None]:
    """httpx to admin (tokens, JWKS) and SEs (small calls), the circuit breakers, the
    service token and the token verifier."""
    settings: Settings = app.state.settings
    http = build_async_client(timeout=settings.ADMIN_TIMEOUT_SECONDS,
                              verify=client_verify(settings))
    breakers = BreakerRegistry(
        settings.SERVICE_NAME,
        fail_max=settings.SE_BREAKER_FAILURES,
        reset_timeout=settings.SE_BREAKER_RESET_SECONDS,
        timeout=settings.ADMIN_TIMEOUT_SECONDS,
    )
    app.state.http = http
    app.state.breakers = breakers
    app.state.service_tokens = ServiceTokenProvider(
        token_url=settings.token_url,
        client_id=settings.INGESTER_CLIENT_ID,
        client_secret=settings.INGESTER_CLIENT_SECRET,
        http=http,
        breakers=breakers,
        refresh_at=settings.TOKEN_REFRESH_AT,
        timeout=settings.ADMIN_TIMEOUT_SECONDS,
    )
    app.state.token_verifier = TokenVerifier.from_settings(settings, http_client=http)
    try:
        yield
    finally:
        await http.aclose()


@asynccontextmanager
async def ingest(app: FastAPI) -> AsyncIterator[None]:
    """The SE client (its aiohttp session streams the uploads), placement, the service."""
    settings: Settings = app.state.settings
    session = upload_session(verify=client_verify(settings),
                             connect_timeout=settings.SE_CONNECT_TIMEOUT_SECONDS)
    schedules = aioredis.from_url(settings.REDIS_URL, socket_timeout=2.0,
                                  socket_connect_timeout=2.0)
    try:
        se = StorageElementClient(app.state.http, app.state.breakers, app.state.service_tokens,
                                  uploads=session)
        client = StorageClient(
            se,
            Timeouts(connect=settings.SE_CONNECT_TIMEOUT_SECONDS,
                     write=settings.SE_WRITE_TIMEOUT_SECONDS,
                     read=settings.SE_READ_TIMEOUT_SECONDS),
        )
        placer = Placer(app.state.discovery, app.state.breakers, client,
                        retry_after=settings.NO_STORAGE_RETRY_AFTER_SECONDS)
        app.state.ingest_service = IngestService(settings, placer, app.state.http, schedules)
        yield
    finally:
        await session.close()
        await schedules.aclose()


# Opened in order, closed in reverse. Append new components here.
COMPONENTS: list[Component] = [
    admin_client,
    discovery,
    ingest,  # needs admin_client and discovery
    access_trail,
]


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings: Settings = app.state.settings
    async with open_components(app, COMPONENTS):
        log.info("ingester.started", port=settings.PORT,
                 discovery_source=app.state.discovery.source)
        yield
    log.info("ingester.stopped")
