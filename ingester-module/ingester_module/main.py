"""App factory: ``uvicorn ingester_module.main:create_app --factory``.

The lifespan (``lifespan.py``) starts the HTTP clients (httpx for admin and small calls,
aiohttp for streamed uploads), the SE/admin circuit breakers, the service token cache and the
discovery thread (Redis + fallback file); the ingester keeps no other state.
"""

from __future__ import annotations

from fastapi import FastAPI

from artstore_common.app import create_base_app
from artstore_common.discovery import DiscoveryClient
from artstore_common.health import CheckResult, HealthCheck
from artstore_common.logging import configure_logging
from ingester_module import __version__
from ingester_module.config import Settings
from ingester_module.lifespan import lifespan
from ingester_module.uploads.endpoints import router as files_router


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
        lifespan=lifespan,
        health_checks=[
            HealthCheck("discovery", check_discovery, critical=True),
            HealthCheck("admin", check_admin, critical=False),
            HealthCheck("circuit_breakers", check_breakers, critical=False),
        ],
    )
    app.include_router(files_router)
    return app
