"""Common wiring for every service's FastAPI app."""

from __future__ import annotations

import hmac
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from typing import Any

import anyio
from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest
from starlette.requests import Request
from starlette.responses import Response

from artstore_common.access import AccessTrail
from artstore_common.auth.revocation import RevocationList
from artstore_common.discovery import DiscoveryClient
from artstore_common.errors import Unauthorized, install_error_handlers
from artstore_common.health import HealthCheck, build_health_router
from artstore_common.middleware import MetricsMiddleware, RequestContextMiddleware
from artstore_common.openapi import install_openapi
from artstore_common.settings import ArtStoreSettings
from artstore_common.tracing import setup_tracing


def from_state(name: str) -> Callable[[Request], Awaitable[Any]]:
    """A dependency returning ``app.state.<name>`` (what a lifespan component set up); a
    service's ``deps.py`` wraps it in a typed alias:
    ``Cache = Annotated[MetadataCache, Depends(from_state("metadata_cache"))]``."""

    # async: FastAPI runs a plain ``def`` dependency on a worker thread, a hop per request.
    async def dependency(request: Request) -> Any:
        return getattr(request.app.state, name)

    dependency.__name__ = f"state_{name}"
    return dependency


# A lifespan component: builds something, puts it on ``app.state``, closes it on exit.
Component = Callable[[FastAPI], AbstractAsyncContextManager[None]]


@asynccontextmanager
async def open_components(app: FastAPI, components: list[Component]) -> AsyncIterator[None]:
    """Open ``components`` in order on one exit stack; they close in reverse."""
    async with AsyncExitStack() as stack:
        for component in components:
            await stack.enter_async_context(component(app))
        yield


@asynccontextmanager
async def access_trail(app: FastAPI) -> AsyncIterator[None]:
    """This service's file-access events (``app.state.access_trail``), flushed on exit."""
    settings = app.state.settings
    app.state.access_trail = trail = AccessTrail(settings.REDIS_URL, settings.SERVICE_NAME)
    trail.start()
    try:
        yield
    finally:
        await trail.aclose()


@asynccontextmanager
async def discovery(app: FastAPI) -> AsyncIterator[None]:
    """The storage elements' registry (``app.state.discovery``): followed in Redis on a thread
    of its own, else read from ``DISCOVERY_FALLBACK_FILE``. A service whose settings have
    ``DISCOVERY_KEY``/``DISCOVERY_CHANNEL`` (the query module) reads those instead of the
    contract's defaults."""
    settings = app.state.settings
    names = {"key": "DISCOVERY_KEY", "channel": "DISCOVERY_CHANNEL"}
    client = DiscoveryClient(
        settings.REDIS_URL, settings.DISCOVERY_FALLBACK_FILE, settings.DISCOVERY_REFRESH_SECONDS,
        **{arg: getattr(settings, name) for arg, name in names.items() if hasattr(settings, name)},
    )
    await anyio.to_thread.run_sync(client.start)
    app.state.discovery = client
    try:
        yield
    finally:
        await anyio.to_thread.run_sync(client.stop)


def create_base_app(
    settings: ArtStoreSettings,
    *,
    title: str,
    version: str,
    lifespan: Callable[[FastAPI], AbstractAsyncContextManager[Any]] | None = None,
    health_checks: list[HealthCheck] | None = None,
) -> FastAPI:
    docs = settings.docs_enabled
    revocations = RevocationList()
    redis_url = getattr(settings, "REDIS_URL", None)

    @asynccontextmanager
    async def base_lifespan(app: FastAPI) -> AsyncIterator[Any]:
        async with AsyncExitStack() as stack:
            if redis_url:
                await stack.enter_async_context(
                    revocations.watching(redis_url, settings.REVOCATION_POLL_SECONDS))
            if lifespan is None:
                yield None
            else:
                yield await stack.enter_async_context(lifespan(app))

    app = FastAPI(
        title=title,
        version=version,
        lifespan=base_lifespan,
        docs_url="/docs" if docs else None,
        redoc_url="/redoc" if docs else None,
        openapi_url="/openapi.json" if docs else None,
    )
    app.state.settings = settings
    app.state.revocations = revocations
    install_error_handlers(app)
    install_openapi(app)
    app.state.health_checks = health_checks if health_checks is not None else []
    app.include_router(build_health_router(settings.SERVICE_NAME, version, app.state.health_checks))

    scrape_token = settings.metrics_token()
    metrics_open = scrape_token is None and not settings.is_production

    @app.get("/metrics", include_in_schema=False)
    async def metrics(request: Request) -> Response:
        if not metrics_open:
            scheme, _, given = request.headers.get("authorization", "").partition(" ")
            if (scrape_token is None or scheme.lower() != "bearer"
                    or not hmac.compare_digest(given.strip().encode(), scrape_token.encode())):
                raise Unauthorized("Metrics need the scrape bearer token",
                                   code="METRICS_TOKEN_REQUIRED")
        return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)

    # Added last → runs first: CORS answers preflights before anything else sees them.
    app.add_middleware(MetricsMiddleware, service=settings.SERVICE_NAME)
    app.add_middleware(RequestContextMiddleware)
    # Outside the request-context middleware, so its log line carries the trace id.
    setup_tracing(app, settings)
    if settings.CORS_ALLOW_ORIGINS:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.CORS_ALLOW_ORIGINS,
            allow_credentials=settings.CORS_ALLOW_CREDENTIALS,
            allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"],
            allow_headers=["Authorization", "Content-Type", "X-Request-ID", "Range",
                           "If-None-Match", "traceparent"],
            expose_headers=["X-Request-ID", "ETag", "Content-Range", "Content-Disposition",
                            "Retry-After"],
            max_age=600,
        )
    return app
