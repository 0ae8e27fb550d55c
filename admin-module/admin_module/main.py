"""App factory: ``uvicorn admin_module.main:create_app --factory``. The lifespan is assembled
in ``admin_module.lifespan``."""

from __future__ import annotations

from fastapi import FastAPI

from admin_module import __version__
from admin_module.api import include_routers
from admin_module.audit.service import SourceAddress
from admin_module.config import Settings
from admin_module.lifespan import build_lifespan
from admin_module.redis_client import redis_ping
from artstore_common.app import create_base_app
from artstore_common.db import ping
from artstore_common.health import CheckResult, HealthCheck
from artstore_common.logging import configure_logging


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    configure_logging(settings.SERVICE_NAME, settings.LOG_LEVEL, settings.LOG_FORMAT)

    async def check_database() -> None:
        await ping(app.state.engine)

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
        lifespan=build_lifespan(settings),
        health_checks=[
            HealthCheck("database", check_database, critical=True),
            HealthCheck("redis", check_redis, critical=False),
            HealthCheck("copies", check_copies, critical=False),
        ],
    )
    include_routers(app)
    app.add_middleware(SourceAddress)
    return app
