"""Consumes ``artstore:file-events`` with a consumer group into the catalog.

redis.asyncio is used here (not the sync client the discovery thread uses): a stream consumer
spends its life in ``XREADGROUP BLOCK``, which an async client awaits without holding a thread,
and the catalog writes it drives are async anyway.

Delivery is at-least-once: a batch is committed in one transaction (one savepoint per event),
and only then acknowledged. Entries left pending by a crash are re-read by this consumer at
start and taken over from dead consumers with XAUTOCLAIM; upserts are idempotent, so a replay
changes nothing.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any
from uuid import UUID

import structlog
from pydantic import ValidationError
from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError, ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from artstore_common.contracts import FileEvent, stream_overtaken_key
from query_module import metrics
from query_module.catalog.rules import Outcome
from query_module.config import Settings
from query_module.db import session_scope
from query_module.events.applier import apply_event
from query_module.events.backlog import read_backlog

log = structlog.get_logger(__name__)

Entry = tuple[bytes, dict[bytes, bytes]]
OnApplied = Callable[[list[UUID]], Awaitable[None]]


class EventConsumer:
    def __init__(
        self,
        settings: Settings,
        redis: Redis,
        sessionmaker: async_sessionmaker[AsyncSession],
        on_applied: OnApplied | None = None,
    ) -> None:
        self.redis = redis
        self.sessionmaker = sessionmaker
        self.on_applied = on_applied
        self.stream = settings.FILE_EVENTS_STREAM
        self.group = settings.CONSUMER_GROUP
        self.name = settings.CONSUMER_NAME
        self.batch = settings.CONSUMER_BATCH_SIZE
        self.block_ms = settings.CONSUMER_BLOCK_MS
        self.claim_idle_ms = int(settings.CONSUMER_CLAIM_IDLE_SECONDS * 1000)
        self.claim_interval = settings.CONSUMER_CLAIM_INTERVAL_SECONDS
        self._stopping = asyncio.Event()
        self._next_claim = 0.0
        self._next_backlog = 0.0
        self._reread_own = True  # entries this consumer read but never acknowledged
        self.applied_total = 0

    def stop(self) -> None:
        self._stopping.set()

    async def run(self) -> None:
        backoff = 0.2
        while not self._stopping.is_set():
            try:
                await self.ensure_group()
                while not self._stopping.is_set():
                    await self.step()
                    backoff = 0.2
            except asyncio.CancelledError:
                raise
            except ResponseError as exc:
                # NOGROUP: Redis lost the group (restart without persistence): recreate it
                # from the start of the stream; replays are idempotent.
                log.warning("events.redis_response_error", error=str(exc))
            except (RedisConnectionError, RedisTimeoutError, OSError) as exc:
                log.warning("events.redis_unavailable", error=str(exc), retry_in=backoff)
            except SQLAlchemyError as exc:
                log.warning("events.database_unavailable", error=str(exc)[:300], retry_in=backoff)
            except Exception:
                log.exception("events.consumer_error")
            self._reread_own = True
            try:
                await asyncio.wait_for(self._stopping.wait(), timeout=backoff)
            except TimeoutError:
                pass
            backoff = min(backoff * 2, 10.0)

    async def ensure_group(self) -> None:
        try:
            await self.redis.xgroup_create(self.stream, self.group, id="0", mkstream=True)
            log.info("events.group_created", stream=self.stream, group=self.group)
        except ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise
            return
        # A group created on a stream that was already trimmed never saw the oldest events:
        # it is overtaken from birth and recovers by re-indexing (events/recovery.py).
        info = await self.redis.xinfo_stream(self.stream)
        if int(info.get("entries-added") or 0) > int(info["length"]):
            first = info.get("first-entry")
            await self.redis.hset(stream_overtaken_key(self.stream), self.group,
                                  first[0] if first else info["last-generated-id"])

    async def step(self) -> int:
        """One round: own pending entries, stuck entries of others, then new entries."""
        handled = 0
        if self._reread_own:
            handled += await self._drain_own_pending()
            self._reread_own = False
        if time.monotonic() >= self._next_claim:
            handled += await self.claim_stuck()
            self._next_claim = time.monotonic() + self.claim_interval
        response = await self.redis.xreadgroup(
            self.group, self.name, {self.stream: ">"}, count=self.batch, block=self.block_ms
        )
        for _stream, entries in response or []:
            handled += await self.handle(entries)
        if time.monotonic() >= self._next_backlog:
            await self.update_backlog_metrics()
            self._next_backlog = time.monotonic() + 1.0
        return handled

    async def _drain_own_pending(self) -> int:
        handled, start = 0, "0"
        while True:
            response = await self.redis.xreadgroup(
                self.group, self.name, {self.stream: start}, count=self.batch
            )
            batch = [e for _s, entries in response or [] for e in entries]
            if not batch:
                return handled
            # An entry trimmed from the stream while pending comes back without fields.
            gone = [entry_id for entry_id, fields in batch if not fields]
            if gone:
                await self.redis.xack(self.stream, self.group, *gone)
            live = [e for e in batch if e[1]]
            if live:
                handled += await self.handle(live)
            start = batch[-1][0].decode()

    async def claim_stuck(self) -> int:
        handled, start = 0, "0-0"
        while True:
            result = await self.redis.xautoclaim(
                self.stream, self.group, self.name, self.claim_idle_ms,
                start_id=start, count=self.batch,
            )
            start = result[0].decode() if isinstance(result[0], bytes) else result[0]
            entries = [e for e in result[1] if e and e[1]]
            if entries:
                log.info("events.claimed", count=len(entries))
                handled += await self.handle(entries)
            if start == "0-0":
                return handled

    async def handle(self, entries: list[Entry]) -> int:
        parsed: list[tuple[bytes, FileEvent]] = []
        poison: list[bytes] = []
        for entry_id, fields in entries:
            try:
                parsed.append((entry_id, FileEvent.model_validate_json(fields[b"data"])))
            except (KeyError, ValidationError, ValueError) as exc:
                log.error("events.invalid_entry", entry_id=entry_id, error=str(exc)[:300])
                metrics.EVENTS.labels("unknown", Outcome.INVALID.value).inc()
                poison.append(entry_id)
        outcomes: list[tuple[FileEvent, Outcome]] = []
        if parsed:
            async with session_scope(self.sessionmaker) as session:
                for entry_id, event in parsed:
                    outcomes.append((event, await self._apply_one(session, entry_id, event)))
        ids = [entry_id for entry_id, _ in parsed] + poison
        if ids:
            await self.redis.xack(self.stream, self.group, *ids)
        for event, outcome in outcomes:
            metrics.EVENTS.labels(event.type, outcome.value).inc()
            if outcome is Outcome.APPLIED:
                metrics.LAST_EVENT.set(event.occurred_at.timestamp())
        self.applied_total += len(outcomes)
        if self.on_applied and outcomes:
            await self.on_applied(sorted({event.file_id for event, _ in outcomes}))
        return len(ids)

    async def _apply_one(self, session: AsyncSession, entry_id: bytes, event: FileEvent) -> Outcome:
        try:
            async with session.begin_nested():
                outcome = await apply_event(session, event)
        except DBAPIError as exc:
            if not _bad_data(exc):
                raise
            log.error("events.rejected", entry_id=entry_id, file_id=str(event.file_id),
                      error=str(exc.orig)[:300])
            return Outcome.INVALID
        except (ValueError, TypeError, LookupError) as exc:
            # The event itself is bad (value out of range, …): retrying cannot help, and
            # leaving it pending would block every entry behind it.
            log.error("events.rejected", entry_id=entry_id, file_id=str(event.file_id),
                      error=str(exc)[:300])
            return Outcome.INVALID
        log.debug("events.applied", type=event.type, file_id=str(event.file_id),
                  outcome=outcome.value)
        return outcome

    async def update_backlog_metrics(self) -> dict[str, Any] | None:
        try:
            backlog = await read_backlog(self.redis, self.stream, self.group)
        except RedisError:
            return None
        metrics.INDEX_LAG.set(backlog.lag_seconds)
        metrics.EVENTS_PENDING.labels("pending").set(backlog.pending)
        metrics.EVENTS_PENDING.labels("undelivered").set(backlog.undelivered)
        return backlog.as_dict()


def _bad_data(exc: DBAPIError) -> bool:
    """SQLSTATE class 22 (data exception) or 23 (integrity): the event, not the database."""
    for candidate in (exc.orig, getattr(exc.orig, "__cause__", None)):
        code = getattr(candidate, "sqlstate", None)
        if isinstance(code, str):
            return code[:2] in ("22", "23")
    return False
