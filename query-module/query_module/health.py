"""Readiness: the catalog database is critical; Redis, discovery and index lag degrade."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from artstore_common.db import ping
from artstore_common.health import CheckResult, HealthCheck
from query_module.events.backlog import read_backlog


def health_checks(app: FastAPI) -> list[HealthCheck]:
    async def database() -> None:
        await ping(app.state.engine)

    async def redis() -> None:
        await app.state.redis.ping()

    async def index_lag() -> CheckResult:
        settings = app.state.settings
        backlog = await read_backlog(
            app.state.redis, settings.FILE_EVENTS_STREAM, settings.CONSUMER_GROUP
        )
        detail: dict[str, Any] = backlog.as_dict()
        slow = backlog.lag_seconds > settings.INDEX_LAG_DEGRADED_SECONDS
        overtaken = app.state.stream_recovery.overtaken
        detail["overtaken"] = overtaken.as_dict() if overtaken else None
        return CheckResult("degraded" if slow or overtaken else "ok", detail)

    async def discovery() -> CheckResult:
        client = app.state.discovery
        doc = client.current()
        detail = {"version": doc.version if doc else None, "source": client.source,
                  "connected": client.connected}
        return CheckResult("ok" if doc is not None else "degraded", detail)

    async def catalog() -> CheckResult:
        drift = app.state.downloader.drift_detected
        detail = {"drift_detected": drift, "reindex": await app.state.reindexer.last_status()}
        return CheckResult("degraded" if drift else "ok", detail)

    return [
        HealthCheck("database", database, critical=True),
        HealthCheck("catalog", catalog, critical=False),
        HealthCheck("redis", redis, critical=False),
        HealthCheck("index_lag", index_lag, critical=False),
        HealthCheck("discovery", discovery, critical=False),
    ]
