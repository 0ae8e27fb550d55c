"""Recovery of a consumer group that a stream trim overtook.

The storage elements trim ``artstore:file-events`` (storage_element/stream_trim.py); when our
group fell further behind than their bound, the entries it had not acknowledged are gone and
the group is named in ``<stream>:overtaken``. The catalog then cannot trust the stream alone:
this loop runs a fresh re-index from the SEs (the sidecars are the truth) and clears the mark
only when a run that started after the mark was seen has completed. Until then readiness is
degraded and ``artstore_query_stream_overtaken`` is 1.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import structlog
from redis.asyncio import Redis
from redis.exceptions import RedisError
from sqlalchemy.exc import SQLAlchemyError

from artstore_common.contracts import stream_overtaken_key
from query_module import metrics
from query_module.reindex.service import Reindexer

log = structlog.get_logger(__name__)

# Clears the mark only if no newer trim overtook the group again meanwhile.
_CLEAR = "if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then " \
         "return redis.call('HDEL', KEYS[1], ARGV[1]) end return 0"


@dataclass
class Overtaken:
    first_kept: bytes
    seen_at: datetime
    run_id: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"first_kept_id": self.first_kept.decode(), "seen_at": self.seen_at.isoformat(),
                "reindex_run_id": self.run_id}


class StreamRecovery:
    def __init__(self, redis: Redis, stream: str, group: str, reindexer: Reindexer,
                 interval: float = 5.0, retry: float = 60.0) -> None:
        self.redis = redis
        self.key = stream_overtaken_key(stream)
        self.group = group
        self.reindexer = reindexer
        self.interval = interval
        self.retry = retry
        self.overtaken: Overtaken | None = None
        self._retry_at = 0.0
        self._stopping = asyncio.Event()

    def stop(self) -> None:
        self._stopping.set()

    async def run(self) -> None:
        while not self._stopping.is_set():
            try:
                await self.check_once()
            except (RedisError, SQLAlchemyError, OSError) as exc:
                log.warning("events.recovery_check_failed", error=str(exc)[:300])
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), timeout=self.interval)

    async def check_once(self) -> None:
        marker = await self.redis.hget(self.key, self.group)
        if marker is None:
            self.overtaken = None
            metrics.STREAM_OVERTAKEN.set(0)
            return
        metrics.STREAM_OVERTAKEN.set(1)
        if self.overtaken is None or self.overtaken.first_kept != marker:
            self.overtaken = Overtaken(marker, datetime.now(UTC))
            self._retry_at = 0.0
            metrics.STREAM_OVERTAKEN_TOTAL.inc()
            log.warning("events.group_overtaken", group=self.group, first_kept=marker.decode())
        if self.reindexer.running:
            return
        status = await self.reindexer.status()
        if self.overtaken.run_id and status["run_id"] == self.overtaken.run_id \
                and status["status"] == "completed":
            await self.redis.eval(_CLEAR, 1, self.key, self.group, marker)
            log.info("events.group_recovered", group=self.group, run_id=self.overtaken.run_id)
            self.overtaken = None
            metrics.STREAM_OVERTAKEN.set(0)
            return
        if time.monotonic() >= self._retry_at:
            summary = await self.reindexer.start(not_before=self.overtaken.seen_at)
            self.overtaken.run_id = summary["run_id"]
            self._retry_at = time.monotonic() + self.retry
            log.info("events.recovery_reindex_started", run_id=summary["run_id"])
