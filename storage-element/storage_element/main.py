"""App factory: ``uvicorn storage_element.main:create_app --factory``. One process per SE
volume; what it starts and in which order is ``lifespan.COMPONENTS``.
"""

from __future__ import annotations

import anyio
from fastapi import FastAPI

from artstore_common.app import create_base_app
from artstore_common.auth import TokenVerifier
from artstore_common.db import ping
from artstore_common.health import HealthCheck
from artstore_common.logging import configure_logging
from storage_element import __version__
from storage_element.admin_endpoints import router as admin_router
from storage_element.config import Settings
from storage_element.files.endpoints import router as files_router
from storage_element.lifespan import lifespan
from storage_element.security import install_refusal_reporting


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
                          lifespan=lifespan)
    app.state.health_checks.extend(_health_checks(app))
    install_refusal_reporting(app)
    app.state.token_verifier = TokenVerifier.from_settings(settings)
    app.include_router(files_router)
    app.include_router(admin_router)
    return app
