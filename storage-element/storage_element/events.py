"""Outbox → Redis Stream relay. Rows are written in the index transaction; this loop XADDs
them (at least once: consumers dedupe on ``event_id``), marks them sent, and backs off while
Redis is down. Nothing acknowledged to a client is ever dropped: the row waits in PostgreSQL.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from datetime import timedelta
from typing import Any

import anyio
import redis
import structlog
from sqlalchemy.ext.asyncio import async_sessionmaker

from storage_element import repository as repo
from storage_element.metrics import OUTBOX_BACKLOG
from storage_element.naming import now_utc
from storage_element.stream_trim import StreamTrimmer, TrimResult

log = structlog.get_logger(__name__)


def build_event(
    event_type: str, file_id: uuid.UUID, se_id: uuid.UUID, attrs: dict[str, Any] | None,
    *, quarantined: bool = False,
) -> dict[str, Any]:
    return {
        "event_id": str(uuid.uuid4()),
        "type": event_type,
        "file_id": str(file_id),
        "storage_element_id": str(se_id),
        "occurred_at": now_utc().isoformat(),
        "attributes": attrs,
        "quarantined": quarantined,
    }


class OutboxRelay:
    def __init__(
        self, sessionmaker: async_sessionmaker, redis_url: str, stream: str,
        poll_seconds: float = 2.0, retention_hours: float = 72.0,
        trim_interval: float = 30.0, trim_safety: float = 900.0, max_entries: int = 1_000_000,
    ) -> None:
        self.sessionmaker = sessionmaker
        self.stream = stream
        self.poll_seconds = poll_seconds
        self.retention = timedelta(hours=retention_hours)
        self._redis = redis.Redis.from_url(redis_url, socket_timeout=5, socket_connect_timeout=3)
        self.trim_interval = trim_interval
        self.trimmer = StreamTrimmer(self._redis, stream, trim_safety, max_entries,
                                     trim_interval or 1.0)
        self._wake = asyncio.Event()
        self.redis_ok = False

    def notify(self) -> None:
        self._wake.set()

    def _xadd_all(self, payloads: list[dict[str, Any]]) -> None:
        pipe = self._redis.pipeline(transaction=False)
        for payload in payloads:
            pipe.xadd(self.stream, {"data": json.dumps(payload, ensure_ascii=False)})
        pipe.execute()

    async def relay_once(self, batch: int = 200) -> int:
        async with self.sessionmaker() as session:
            rows = await repo.outbox_unsent(session, batch)
            if not rows:
                OUTBOX_BACKLOG.set(0)
                return 0
            await anyio.to_thread.run_sync(self._xadd_all, [r.payload for r in rows])
            await repo.outbox_mark_sent(session, [r.id for r in rows])
            await session.commit()
        return len(rows)

    async def purge(self) -> None:
        async with self.sessionmaker() as session:
            await repo.outbox_purge(session, now_utc() - self.retention)
            await session.commit()

    async def trim(self) -> TrimResult:
        return await anyio.to_thread.run_sync(self.trimmer.trim)

    async def run(self) -> None:
        backoff = 0.5
        purge_at = trim_at = 0.0
        loop = asyncio.get_running_loop()
        while True:
            try:
                while await self.relay_once() > 0:
                    pass
                self.redis_ok = True
                backoff = 0.5
                if loop.time() >= purge_at:
                    await self.purge()
                    purge_at = loop.time() + 3600
                if self.trim_interval and loop.time() >= trim_at:
                    trim_at = loop.time() + self.trim_interval
                    try:
                        await self.trim()
                    except redis.RedisError as exc:  # never let trimming stop the relay
                        log.warning("events.stream_trim_failed", error=str(exc)[:300])
                wait = self.poll_seconds  # drained: relay_once has set the backlog gauge to 0
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self.redis_ok = False
                with contextlib.suppress(Exception):  # what waits while Redis is away
                    async with self.sessionmaker() as session:
                        OUTBOX_BACKLOG.set(await repo.outbox_backlog(session))
                log.warning("outbox.relay_failed", error=str(exc), retry_in=backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 30.0)
                continue
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(wait):  # not wait_for: it can swallow a cancel
                    await self._wake.wait()

    def ping(self) -> None:
        self._redis.ping()

    def close(self) -> None:
        self._redis.close()
