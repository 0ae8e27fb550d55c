"""Periodic background tasks that log and carry on when one run fails."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import structlog

log = structlog.get_logger(__name__)


async def _loop(name: str, interval: float, job: Callable[[], Awaitable[object]]) -> None:
    while True:
        try:
            await job()
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.warning("background.job_failed", job=name, error=str(exc), exc_info=exc)
        await asyncio.sleep(interval)


@asynccontextmanager
async def periodic(
    name: str, interval: float, job: Callable[[], Awaitable[object]]
) -> AsyncIterator[asyncio.Task[None]]:
    task = asyncio.create_task(_loop(name, interval, job), name=name)
    try:
        yield task
    finally:
        task.cancel()
        try:
            await task
        except asyncio.CancelledError:
            pass
