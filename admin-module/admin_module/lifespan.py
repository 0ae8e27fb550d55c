"""The admin module's lifespan, assembled from components on an ``AsyncExitStack``.

The database (migrated) and Redis open first, then each entry of ``COMPONENTS`` in order;
they close in reverse. Components are wiring: they live here (or in ``identity``), never in a
domain package, so no domain imports the domains above it to start them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from datetime import timedelta

import structlog
from fastapi import FastAPI

from admin_module.auth.verifier import KeyStoreVerifier
from admin_module.background import periodic
from admin_module.config import Settings
from admin_module.copies import policy as copy_policy
from admin_module.copies import repair
from admin_module.dashboard import service as dashboard
from admin_module.db import create_engine, create_sessionmaker
from admin_module.discovery.publisher import DiscoveryPublisher
from admin_module.disposition import events as retention_events
from admin_module.disposition import saga as disposition
from admin_module.files import finalize
from admin_module.identity import audit_retention, identity_services
from admin_module.keys.service import KeyManager
from admin_module.migrate import run_migrations
from admin_module.models.base import utcnow
from admin_module.records import published as schedules
from admin_module.redis_client import create_redis
from admin_module.retention import cleanup as retention
from admin_module.runtime_secrets import resolve_runtime_secrets
from admin_module.sagas import engine as saga_engine
from admin_module.sagas import mode_transition
from admin_module.sagas import repository as saga_repo
from admin_module.sagas.runner import SagaRunner
from admin_module.storage_elements.context import ControlPlane, ServiceTokens
from admin_module.storage_elements.service import poll_health
from artstore_common.app import Component, open_components
from artstore_common.resilience import BreakerRegistry, build_async_client
from artstore_common.se_client import StorageElementClient
from artstore_common.tls import client_verify

log = structlog.get_logger(__name__)

# Every saga type the runner can advance; registered when the control plane starts.
SAGA_TYPES = (
    mode_transition.MODE_TRANSITION,
    finalize.FINALIZE,
    retention.RETENTION_CLEANUP,
    repair.COPY_REPAIR,
    disposition.DISPOSITION,
)


@asynccontextmanager
async def database(app: FastAPI) -> AsyncIterator[None]:
    settings: Settings = app.state.settings
    engine = create_engine(settings)
    app.state.engine = engine
    try:
        if settings.MIGRATE_ON_STARTUP:
            await run_migrations(engine)
        app.state.sessionmaker = create_sessionmaker(
            engine, audit_hmac_secret=app.state.secrets.audit_hmac_secret.encode()
        )
        yield
    finally:
        await engine.dispose()


@asynccontextmanager
async def redis(app: FastAPI) -> AsyncIterator[None]:
    app.state.redis = create_redis(app.state.settings)
    try:
        yield
    finally:
        await app.state.redis.aclose()


@asynccontextmanager
async def signing_keys(app: FastAPI) -> AsyncIterator[None]:
    """The key store, the module's own token verifier, scheduled rotation."""
    settings = app.state.settings
    keys = KeyManager(settings, app.state.sessionmaker,
                      app.state.secrets.jwt_keys_encryption_key)
    await keys.ensure_active()
    app.state.keys = keys
    app.state.token_verifier = KeyStoreVerifier(settings, keys)
    async with periodic("jwt-key-rotation", settings.JWT_ROTATION_CHECK_SECONDS,
                        keys.rotate_if_due):
        yield


@asynccontextmanager
async def control_plane(app: FastAPI) -> AsyncIterator[None]:
    """SE client with breakers, discovery publisher, saga runner, SE health polling, periodic
    republishing, and the retention and repair schedules."""
    for saga_type in SAGA_TYPES:
        saga_engine.register(saga_type)
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
        client=StorageElementClient(
            http_client, breakers, ServiceTokens(app.state.keys, settings),
            transfer_timeout=settings.SE_TRANSFER_TIMEOUT_SECONDS),
        publisher=DiscoveryPublisher(app.state.sessionmaker, app.state.redis,
                                     settings.DISCOVERY_TTL_SECONDS, copy_policy.policies),
        breakers=breakers,
    )
    app.state.control_plane = plane
    runner = SagaRunner(plane)
    plane.runner = runner

    async def purge_sagas() -> None:
        async with app.state.sessionmaker() as session, session.begin():
            cutoff = utcnow() - timedelta(days=settings.SAGA_RETENTION_DAYS)
            if removed := await saga_repo.purge_finished(session, cutoff):
                log.info("sagas.purged", removed=removed)

    runner.start()
    try:
        async with AsyncExitStack() as stack:
            await stack.enter_async_context(
                periodic("retention-schedule", settings.RETENTION_CLEANUP_INTERVAL_SECONDS,
                         lambda: retention.schedule(plane)))
            await stack.enter_async_context(
                periodic("repair-schedule", settings.REPAIR_INTERVAL_SECONDS,
                         lambda: repair.schedule(plane)))
            await stack.enter_async_context(
                periodic("discovery-republish", settings.DISCOVERY_REPUBLISH_SECONDS,
                         plane.publish))
            await stack.enter_async_context(
                periodic("saga-purge", 6 * 3600, purge_sagas, initial_delay=600))
            await stack.enter_async_context(
                periodic("dashboard-samples", settings.DASHBOARD_SAMPLE_INTERVAL_SECONDS,
                         lambda: dashboard.sample(plane),
                         initial_delay=min(15.0, settings.DASHBOARD_SAMPLE_INTERVAL_SECONDS)))
            await stack.enter_async_context(
                periodic("dashboard-rollup", 300, lambda: dashboard.roll_up(plane),
                         initial_delay=20))
            await stack.enter_async_context(
                periodic("se-health", settings.SE_HEALTH_INTERVAL_SECONDS,
                         lambda: poll_health(plane)))
            yield
    finally:
        await runner.stop()
        await http_client.aclose()


@asynccontextmanager
async def retention_index(app: FastAPI) -> AsyncIterator[None]:
    """Retention schedules published for the ingester; classed files indexed from the SEs'
    file events (the disposition candidates)."""
    redis_client, sessionmaker = app.state.redis, app.state.sessionmaker
    stream = app.state.settings.FILE_EVENTS_STREAM
    async with AsyncExitStack() as stack:
        await stack.enter_async_context(periodic(
            "retention-schedules-publish", 300, lambda: schedules.publish_all(
                redis_client, sessionmaker), initial_delay=0))
        await stack.enter_async_context(periodic(
            "retention-file-events", retention_events.POLL_SECONDS,
            lambda: retention_events.drain(redis_client, sessionmaker, stream)))
        yield


# Opened in order, closed in reverse. Append new components here.
COMPONENTS: list[Component] = [
    database,
    redis,
    signing_keys,
    identity_services,
    audit_retention,
    control_plane,  # needs signing_keys (service tokens for calls to SEs)
    retention_index,
]


def build_lifespan(settings: Settings) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.secrets = resolve_runtime_secrets(settings)
        async with open_components(app, COMPONENTS):
            log.info("admin.started", port=settings.PORT, environment=settings.ENVIRONMENT)
            yield
        log.info("admin.stopped")

    return lifespan
