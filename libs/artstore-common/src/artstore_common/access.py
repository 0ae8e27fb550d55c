"""The access trail's sending side: a service notes each file access; a background task sends
them to ``contracts.ACCESS_EVENTS_STREAM`` for the admin module's audit chain.

``note`` only appends to memory, so a request never waits for Redis and never fails because of
it. Events that cannot be sent are kept (at most ``max_pending``) and sent later; beyond that the
oldest are dropped, logged and counted in ``artstore_access_events_dropped_total``.

Ranged reads (``note_range``; a PDF viewer reads one document in dozens of ranges) are one
access: the first range of a file by an account from an address is queued at once, like any
access, with its ``range``; the reads that follow it within ``range_gap_seconds`` of each other
(for at most ``range_series_seconds``) add no entry. So an access is in the trail as soon as it
begins, and a process that is killed loses no more of a viewer's reads than of anything else.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import structlog
from prometheus_client import Counter
from redis.asyncio import Redis
from redis.exceptions import RedisError

from artstore_common.auth import Principal
from artstore_common.contracts import ACCESS_EVENTS_MAXLEN, ACCESS_EVENTS_STREAM, AccessEvent

log = structlog.get_logger(__name__)

DROPPED = Counter("artstore_access_events_dropped_total",
                  "Access-trail events lost before they reached Redis (buffer full)")


@dataclass
class _RangeSeries:
    started: float
    last: float


class AccessTrail:
    def __init__(self, redis_url: str, service: str, *, interval: float = 1.0,
                 max_pending: int = 10_000, batch: int = 500, range_gap_seconds: float = 30.0,
                 range_series_seconds: float = 600.0) -> None:
        self._redis = Redis.from_url(redis_url, socket_timeout=2.0, socket_connect_timeout=2.0)
        self.service, self.interval, self.batch = service, interval, batch
        self.range_gap, self.range_series = range_gap_seconds, range_series_seconds
        self._pending: deque[str] = deque()
        self._series: dict[tuple[str, str, str | None], _RangeSeries] = {}
        self._max_pending = max_pending
        self._task: asyncio.Task | None = None

    def _event(self, action: str, file_id: UUID | str, principal: Principal,
               source: str | None, details: dict[str, Any] | None) -> AccessEvent:
        return AccessEvent(action=action, file_id=file_id, subject=principal.subject,
                           name=principal.name or principal.client_id, source=source,
                           service=self.service, occurred_at=datetime.now(UTC),
                           details=details or {})

    def note(self, action: str, file_id: UUID | str, principal: Principal,
             source: str | None, details: dict[str, Any] | None = None) -> None:
        self._queue(self._event(action, file_id, principal, source, details))

    def note_range(self, file_id: UUID | str, principal: Principal, source: str | None,
                   range_header: str) -> None:
        """A ranged download: a new access unless it continues this file, account and
        address's recent reads."""
        key, now = (str(file_id), principal.subject, source), time.monotonic()
        series = self._series.get(key)
        if (series is not None and now - series.last <= self.range_gap
                and now - series.started <= self.range_series):
            series.last = now
            return
        self._series.pop(key, None)
        self._series[key] = _RangeSeries(now, now)
        if len(self._series) > self._max_pending:
            self._series.pop(next(iter(self._series)))
        self.note("file.downloaded", file_id, principal, source, {"range": range_header[:100]})

    def forget_quiet_series(self) -> None:
        """Drop the series that ended (their first read is already queued)."""
        now = time.monotonic()
        for key, series in list(self._series.items()):
            if now - series.last > self.range_gap or now - series.started > self.range_series:
                del self._series[key]

    def _queue(self, event: AccessEvent) -> None:
        self._pending.append(event.model_dump_json())
        if len(self._pending) > self._max_pending:
            self._pending.popleft()
            DROPPED.inc()
            log.warning("access.event_dropped", pending=len(self._pending))

    async def flush(self) -> int:
        """Send what is waiting; on a Redis error keep it for the next round."""
        sent = 0
        while self._pending:
            chunk = [self._pending.popleft()
                     for _ in range(min(self.batch, len(self._pending)))]
            try:
                async with self._redis.pipeline(transaction=False) as pipe:
                    for data in chunk:
                        pipe.xadd(ACCESS_EVENTS_STREAM, {"data": data},
                                  maxlen=ACCESS_EVENTS_MAXLEN, approximate=True)
                    await pipe.execute()
            except (RedisError, OSError) as exc:
                self._pending.extendleft(reversed(chunk))
                while len(self._pending) > self._max_pending:
                    self._pending.popleft()
                    DROPPED.inc()
                log.warning("access.events_not_sent", pending=len(self._pending),
                            error=str(exc)[:200])
                return sent
            sent += len(chunk)
        return sent

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            self.forget_quiet_series()
            await self.flush()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="access-trail")

    async def aclose(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        try:
            await asyncio.wait_for(self.flush(), timeout=5.0)
        except TimeoutError:
            log.warning("access.events_not_sent_at_exit", pending=len(self._pending))
        await self._redis.aclose()


def client_address(request: Any) -> str | None:
    return request.client.host if request.client else None
