"""Periodic background tasks that log and carry on when one run fails."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import structlog

log = structlog.get_logger(__name__)


async def _loop(name: str, interval: float, job: Callable[[], Awaitable[object]],
                initial_delay: float) -> None:
    await asyncio.sleep(initial_delay)
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
    name: str, interval: float, job: Callable[[], Awaitable[object]],
    initial_delay: float | None = None,
) -> AsyncIterator[asyncio.Task[None]]:
    """Run ``job`` every ``interval`` seconds, first after ``initial_delay`` (default: one
    interval) while the context is open."""
    delay = interval if initial_delay is None else initial_delay
    task = asyncio.create_task(_loop(name, interval, job, delay), name=name)
    try:
        yield task
    finally:
        task.cancel()
        try:
            await task
        except asyncio.CancelledError:
            pass
