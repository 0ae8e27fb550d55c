"""Scheduled jobs: reconciliation (consistency report + incremental rebuild), the fixity
scrubber, WAL purge. Each runs on its own interval; 0 disables it; failures are logged."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta

import structlog

from storage_element import repository as repo
from storage_element.context import SEContext
from storage_element.maintenance import consistency, fixity, rebuild
from storage_element.metrics import CONSISTENCY_ISSUES, SE_CAPACITY, SE_MODE, SE_USED, WAL_PENDING
from storage_element.naming import now_utc

log = structlog.get_logger(__name__)

MODES = ("edit", "rw", "ro", "ar")
METRICS_REFRESH_SECONDS = 15.0


async def every(seconds: float, job: Callable[[], Awaitable[object]], name: str) -> None:
    if seconds <= 0:
        return
    while True:
        await asyncio.sleep(seconds)
        try:
            await job()
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.error("background.job_failed", job=name, error=str(exc))


async def refresh_gauges(ctx: SEContext) -> None:
    """Capacity, mode and WAL gauges for Prometheus (alerts: capacity, no writable SE, WAL)."""
    used, _ = await ctx.capacity.usage()
    SE_USED.set(used)
    SE_CAPACITY.set(ctx.settings.SE_CAPACITY_BYTES)
    for mode in MODES:
        SE_MODE.labels(mode).set(1 if mode == ctx.modes.mode else 0)
    async with ctx.sessionmaker() as session:
        WAL_PENDING.set(len(await repo.wal_pending(session)))


async def _gauges_loop(ctx: SEContext) -> None:
    while True:
        try:
            await refresh_gauges(ctx)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.warning("background.metrics_failed", error=str(exc))
        await asyncio.sleep(METRICS_REFRESH_SECONDS)


def jobs(ctx: SEContext) -> list[Callable[[], Awaitable[None]]]:
    s = ctx.settings

    async def reconcile() -> None:
        result = await consistency.report(ctx)
        for kind, count in result["counts"].items():
            CONSISTENCY_ISSUES.labels(kind).set(count)
        if result["counts"]["missing_in_index"] or result["counts"]["index_drift"]:
            await rebuild.rebuild(ctx, full=False)
        log.info("reconcile.done", ok=result["ok"], **result["counts"])

    async def scrub() -> None:
        await fixity.scrub(ctx, limit=10000, force=False, rate_limited=True)

    async def housekeeping() -> None:
        async with ctx.sessionmaker() as session:
            await repo.wal_purge(session, now_utc() - timedelta(hours=s.SE_WAL_RETENTION_HOURS))
            await session.commit()
        used, _ = await ctx.capacity.usage()
        SE_USED.set(used)
        SE_CAPACITY.set(s.SE_CAPACITY_BYTES)

    return [
        lambda: every(s.SE_RECONCILE_INTERVAL_SECONDS, reconcile, "reconcile"),
        lambda: every(s.SE_FIXITY_INTERVAL_SECONDS, scrub, "fixity"),
        lambda: every(300, housekeeping, "housekeeping"),
        lambda: _gauges_loop(ctx),
    ]
