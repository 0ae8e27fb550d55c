"""App factory: ``uvicorn ingester_module.main:create_app --factory``.

The lifespan starts the discovery thread (Redis + fallback file), the HTTP clients (aiohttp
for streamed uploads, httpx for the rest), the SE/admin circuit breakers and the service
token cache; the ingester keeps no other state.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import aiohttp
import anyio
import structlog
from fastapi import FastAPI

from artstore_common.access import AccessTrail
from artstore_common.app import create_base_app
from artstore_common.auth import TokenVerifier
from artstore_common.discovery import DiscoveryClient
from artstore_common.health import CheckResult, HealthCheck
from artstore_common.logging import configure_logging
from artstore_common.resilience import BreakerRegistry, build_async_client
from artstore_common.service_token import ServiceTokenProvider
from artstore_common.tls import client_verify
from ingester_module import __version__
from ingester_module.config import Settings
from ingester_module.storage.client import StorageClient, Timeouts
from ingester_module.storage.placement import Placer
from ingester_module.uploads.endpoints import router as files_router
from ingester_module.uploads.service import IngestService

log = structlog.get_logger(__name__)


def _lifespan(settings: Settings):
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        verify = client_verify(settings)
        http = build_async_client(timeout=settings.ADMIN_TIMEOUT_SECONDS, verify=verify)
        session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=200, ssl=verify),
            timeout=aiohttp.ClientTimeout(
                total=None, sock_connect=settings.SE_CONNECT_TIMEOUT_SECONDS),
            auto_decompress=False,
        )
        breakers = BreakerRegistry(
            settings.SERVICE_NAME,
            fail_max=settings.SE_BREAKER_FAILURES,
            reset_timeout=settings.SE_BREAKER_RESET_SECONDS,
            timeout=settings.ADMIN_TIMEOUT_SECONDS,
        )
        tokens = ServiceTokenProvider(
            token_url=settings.token_url,
            client_id=settings.INGESTER_CLIENT_ID,
            client_secret=settings.INGESTER_CLIENT_SECRET,
            http=http,
            breakers=breakers,
            refresh_at=settings.TOKEN_REFRESH_AT,
            timeout=settings.ADMIN_TIMEOUT_SECONDS,
        )
        discovery = DiscoveryClient(
            settings.REDIS_URL,
            settings.DISCOVERY_FALLBACK_FILE,
            settings.DISCOVERY_REFRESH_SECONDS,
        )
        await anyio.to_thread.run_sync(discovery.start)
        client = StorageClient(
            session, http, breakers, tokens,
            Timeouts(connect=settings.SE_CONNECT_TIMEOUT_SECONDS,
                     write=settings.SE_WRITE_TIMEOUT_SECONDS,
                     read=settings.SE_READ_TIMEOUT_SECONDS),
        )
        placer = Placer(discovery, breakers, client,
                        retry_after=settings.NO_STORAGE_RETRY_AFTER_SECONDS)
        app.state.http = http
        app.state.discovery = discovery
        app.state.breakers = breakers
        app.state.service_tokens = tokens
        app.state.token_verifier = TokenVerifier.from_settings(settings, http_client=http)
        app.state.ingest_service = IngestService(settings, placer)
        app.state.access_trail = trail = AccessTrail(settings.REDIS_URL, settings.SERVICE_NAME)
        trail.start()
        log.info("ingester.started", port=settings.PORT, discovery_source=discovery.source)
        try:
            yield
        finally:
            await trail.aclose()
            await anyio.to_thread.run_sync(discovery.stop)
            await session.close()
            await http.aclose()
            log.info("ingester.stopped")

    return lifespan


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    configure_logging(settings.SERVICE_NAME, settings.LOG_LEVEL, settings.LOG_FORMAT)
    app: FastAPI

    async def check_discovery() -> CheckResult:
        discovery: DiscoveryClient = app.state.discovery
        doc = discovery.current()
        if doc is None:
            return CheckResult("fail", "no storage-element list yet (Redis and fallback file)")
        detail = {"version": doc.version, "source": discovery.source,
                  "redis_connected": discovery.connected,
                  "storage_elements": len(doc.storage_elements)}
        if not discovery.connected:
            return CheckResult("degraded", detail)
        return CheckResult("ok", detail)

    async def check_admin() -> str:
        response = await app.state.http.get(settings.ADMIN_URL.rstrip("/") + "/health/live",
                                            timeout=2.0)
        response.raise_for_status()
        return "reachable"

    async def check_breakers() -> CheckResult:
        states = app.state.breakers.states()
        open_ = sorted(t for t, s in states.items() if s != "closed")
        return CheckResult("degraded" if open_ else "ok", {"not_closed": open_} if open_ else None)

    app = create_base_app(
        settings,
        title="ArtStore ingester",
        version=__version__,
        lifespan=_lifespan(settings),
        health_checks=[
            HealthCheck("discovery", check_discovery, critical=True),
            HealthCheck("admin", check_admin, critical=False),
            HealthCheck("circuit_breakers", check_breakers, critical=False),
        ],
    )
    app.include_router(files_router)
    return app
