"""Lifespan component of the control plane: SE client with breakers, discovery publisher,
saga runner, SE health polling, periodic republishing and the retention schedule."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from datetime import timedelta

import structlog
from fastapi import FastAPI

from admin_module.background import periodic
from admin_module.discovery.publisher import DiscoveryPublisher
from admin_module.storage_elements.client import SEClient
from admin_module.storage_elements.context import ControlPlane, ServiceTokens
from admin_module.storage_elements.service import poll_health
from artstore_common.resilience import BreakerRegistry, ResilientHttp, build_async_client
from artstore_common.tls import client_verify

log = structlog.get_logger(__name__)


def _register_saga_types() -> None:
    # Imported for their side effect: each module registers its saga type.
    from admin_module.copies import repair  # noqa: F401
    from admin_module.files import finalize  # noqa: F401
    from admin_module.retention import cleanup  # noqa: F401
    from admin_module.sagas import mode_transition  # noqa: F401


@asynccontextmanager
async def control_plane(app: FastAPI) -> AsyncIterator[None]:
    from admin_module.copies.repair import schedule as schedule_repair
    from admin_module.retention.cleanup import schedule
    from admin_module.sagas.runner import SagaRunner

    _register_saga_types()
    settings = app.state.settings
    breakers = BreakerRegistry(
        settings.SERVICE_NAME, fail_max=settings.SE_BREAKER_FAIL_MAX,
        reset_timeout=settings.SE_BREAKER_RESET_SECONDS,
        timeout=settings.SE_REQUEST_TIMEOUT_SECONDS,
    )
    http_client = build_async_client(timeout=settings.SE_REQUEST_TIMEOUT_SECONDS,
                                     verify=client_verify(settings))
    plane = ControlPlane(
        settings=settings,
        sessionmaker=app.state.sessionmaker,
        client=SEClient(ResilientHttp(http_client, breakers),
                        ServiceTokens(app.state.keys, settings),
                        settings.SE_TRANSFER_TIMEOUT_SECONDS),
        publisher=DiscoveryPublisher(app.state.sessionmaker, app.state.redis,
                                     settings.DISCOVERY_TTL_SECONDS),
        breakers=breakers,
    )
    app.state.control_plane = plane
    runner = SagaRunner(plane)
    plane.extras["runner"] = runner

    async def purge_sagas() -> None:
        from admin_module.models.base import utcnow
        from admin_module.sagas import repository as saga_repo

        async with app.state.sessionmaker() as session, session.begin():
            cutoff = utcnow() - timedelta(days=settings.SAGA_RETENTION_DAYS)
            if removed := await saga_repo.purge_finished(session, cutoff):
                log.info("sagas.purged", removed=removed)

    runner.start()
    try:
        async with AsyncExitStack() as stack:
            await stack.enter_async_context(
                periodic("retention-schedule", settings.RETENTION_CLEANUP_INTERVAL_SECONDS,
                         lambda: schedule(plane)))
            await stack.enter_async_context(
                periodic("repair-schedule", settings.REPAIR_INTERVAL_SECONDS,
                         lambda: schedule_repair(plane)))
            await stack.enter_async_context(
                periodic("discovery-republish", settings.DISCOVERY_REPUBLISH_SECONDS,
                         plane.publish))
            await stack.enter_async_context(
                periodic("saga-purge", 6 * 3600, purge_sagas, initial_delay=600))
            await stack.enter_async_context(
                periodic("se-health", settings.SE_HEALTH_INTERVAL_SECONDS,
                         lambda: poll_health(plane)))
            yield
    finally:
        await runner.stop()
        await http_client.aclose()
