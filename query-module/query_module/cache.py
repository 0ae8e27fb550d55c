"""Metadata by id: an in-process TTL/LRU cache in front of Redis in front of PostgreSQL.

Every applied event deletes the Redis entry, bumps the id's generation (if a reader holds a
ticket for it) and publishes the id on a channel; every instance drops it from its own LRU when
the notice arrives (the consumer group hands an event to one instance only). The short LRU TTL
bounds staleness if a notice is lost. Redis trouble never fails a request: the cache is skipped
for a few seconds and PostgreSQL answers.

A reader that read PostgreSQL just before an event was applied must not put its older value
back afterwards: a miss takes a ``ReadTicket`` (creating the id's generation key if needed, and
the local time) before reading, and the value is stored in Redis only if the generation is
unchanged (one script, so atomic) and in the LRU only if this instance saw no invalidation of the
id since. Generation keys exist only for ids read on a miss in the last minute, so uploads alone
add nothing to Redis.

An invalidation Redis did not take (timeout, connection lost) is not dropped: the id is kept as
*unflushed* and, until a retry has deleted its entry, it is neither read from Redis nor stored
there (PostgreSQL answers it), so an old value cannot outlive the change for the Redis TTL. Past
``_UNFLUSHED_LIMIT`` ids (a long outage during heavy ingest) Redis is bypassed for every id until
all metadata entries have been deleted.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from dataclasses import dataclass
from uuid import UUID

import structlog
from cachetools import TTLCache
from redis.asyncio import Redis
from redis.exceptions import RedisError

from query_module import metrics
from query_module.catalog.schemas import FileRead
from query_module.config import Settings

log = structlog.get_logger(__name__)

_REDIS_BACKOFF_SECONDS = 5.0
# Longer than any catalog read takes: a read begun before an invalidation ends while the
# bumped generation is still there to refuse it.
_GENERATION_TTL_SECONDS = 60
_UNFLUSHED_LIMIT = 100_000
# KEYS: generation; ARGV: ttl. The generation a reader starts from (created at 0 if absent).
_TAKE_TICKET = """
redis.call('SET', KEYS[1], '0', 'NX', 'EX', ARGV[1])
return redis.call('GET', KEYS[1])
"""
# KEYS: value, generation; ARGV: value, the generation the reader saw, ttl.
_PUT_IF_SAME_GENERATION = """
if redis.call('GET', KEYS[2]) == ARGV[2] then
  return redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[3])
end
return nil
"""
# KEYS: value, generation. Readers holding a ticket see the bump; INCR keeps the key's TTL.
_INVALIDATE = """
redis.call('DEL', KEYS[1])
if redis.call('EXISTS', KEYS[2]) == 1 then redis.call('INCR', KEYS[2]) end
return nil
"""


@dataclass(frozen=True)
class ReadTicket:
    """Taken before a catalog read: when, and the id's generation in Redis then."""

    read_at: float
    generation: bytes | None  # None: Redis was not asked (unusable), so nothing goes there


class MetadataCache:
    def __init__(self, settings: Settings, redis: Redis) -> None:
        self.redis = redis
        self.prefix = settings.CACHE_KEY_PREFIX
        self.channel = settings.CACHE_INVALIDATION_CHANNEL
        self.redis_ttl = settings.METADATA_REDIS_TTL_SECONDS
        self.local: TTLCache[UUID, FileRead] | None = (
            TTLCache(maxsize=settings.METADATA_LRU_SIZE, ttl=settings.METADATA_LRU_TTL_SECONDS)
            if settings.METADATA_LRU_SIZE
            else None
        )
        self.unknown: TTLCache[UUID, bool] = TTLCache(
            maxsize=100_000, ttl=settings.CATALOG_MISS_NEGATIVE_TTL_SECONDS)
        self.invalidated_at: TTLCache[UUID, float] = TTLCache(maxsize=100_000, ttl=60)
        self._take_ticket = redis.register_script(_TAKE_TICKET)
        self._put_if_same_generation = redis.register_script(_PUT_IF_SAME_GENERATION)
        self._invalidate = redis.register_script(_INVALIDATE)
        self._redis_down_until = 0.0
        self._stopping = asyncio.Event()
        # id → the sequence number of its latest invalidation not yet taken by Redis
        self._unflushed: dict[UUID, int] = {}
        self._sequence = itertools.count()
        self._unflushed_overflow = False  # too many to keep: every entry must go

    def _key(self, file_id: UUID) -> str:
        return f"{self.prefix}{file_id}"

    def _generation_key(self, file_id: UUID) -> str:
        return f"{self.prefix}{file_id}:gen"

    def _redis_usable(self) -> bool:
        return time.monotonic() >= self._redis_down_until

    def _redis_stale(self, file_id: UUID) -> bool:
        """Redis may still hold a value older than an applied change of this id."""
        return self._unflushed_overflow or file_id in self._unflushed

    def _redis_failed(self, exc: Exception) -> None:
        self._redis_down_until = time.monotonic() + _REDIS_BACKOFF_SECONDS
        log.warning("cache.redis_unavailable", error=str(exc)[:200])

    async def get(self, file_id: UUID) -> FileRead | None:
        if self.local is not None and (hit := self.local.get(file_id)) is not None:
            metrics.CACHE.labels("local", "hit").inc()
            return hit
        if not self._redis_usable() or self._redis_stale(file_id):
            return None
        asked_at = time.monotonic()
        try:
            raw = await self.redis.get(self._key(file_id))
        except (RedisError, OSError) as exc:
            self._redis_failed(exc)
            return None
        if raw is None:
            metrics.CACHE.labels("redis", "miss").inc()
            return None
        metrics.CACHE.labels("redis", "hit").inc()
        value = FileRead.model_validate_json(raw)
        # An invalidation that arrived while Redis answered may be about this very value.
        if self.local is not None and self.invalidated_at.get(file_id, -1.0) < asked_at:
            self.local[file_id] = value
        return value

    async def ticket(self, file_id: UUID) -> ReadTicket:
        """Take before reading the catalog after a miss; hand to ``put``."""
        read_at = time.monotonic()
        if not self._redis_usable():
            return ReadTicket(read_at, None)
        try:
            generation = await self._take_ticket(keys=[self._generation_key(file_id)],
                                                 args=[_GENERATION_TTL_SECONDS])
            return ReadTicket(read_at, generation)
        except (RedisError, OSError) as exc:
            self._redis_failed(exc)
            return ReadTicket(read_at, None)

    async def put(self, value: FileRead, ticket: ReadTicket) -> None:
        """Keep ``value`` unless its id was invalidated after ``ticket`` was taken."""
        if self.invalidated_at.get(value.file_id, -1.0) >= ticket.read_at:
            return
        if self.local is not None:
            self.local[value.file_id] = value
        if (ticket.generation is None or not self._redis_usable()
                or self._redis_stale(value.file_id)):
            return
        try:
            await self._put_if_same_generation(
                keys=[self._key(value.file_id), self._generation_key(value.file_id)],
                args=[value.model_dump_json(), ticket.generation, self.redis_ttl])
        except (RedisError, OSError) as exc:
            self._redis_failed(exc)

    def is_unknown(self, file_id: UUID) -> bool:
        return file_id in self.unknown

    def mark_unknown(self, file_id: UUID) -> None:
        self.unknown[file_id] = True

    def drop_local(self, file_ids: list[UUID]) -> None:
        now = time.monotonic()
        for file_id in file_ids:
            self.invalidated_at[file_id] = now
            self.unknown.pop(file_id, None)
            if self.local is not None:
                self.local.pop(file_id, None)

    async def invalidate(self, file_ids: list[UUID]) -> None:
        """After a change of these ids was committed: drop them here, in Redis and (by a
        notice) in every other instance; what Redis does not take now is retried."""
        self.drop_local(file_ids)
        if not file_ids:
            return
        for file_id in file_ids:
            self._unflushed[file_id] = next(self._sequence)
        if len(self._unflushed) > _UNFLUSHED_LIMIT:
            self._unflushed_overflow = True
            self._unflushed.clear()
        if self._redis_usable():
            await self._flush()

    async def _flush(self) -> bool:
        """Delete the unflushed ids' entries (or, after an overflow, every entry) and tell the
        other instances; an id invalidated again meanwhile stays for the next round."""
        pending = dict(self._unflushed)
        overflow = self._unflushed_overflow
        try:
            if overflow:
                keys = [key async for key in self.redis.scan_iter(match=f"{self.prefix}*",
                                                                  count=1000)]
                for start in range(0, len(keys), 1000):
                    await self.redis.unlink(*keys[start:start + 1000])
            async with self.redis.pipeline(transaction=False) as pipe:
                for file_id in pending:
                    await self._invalidate(keys=[self._key(file_id), self._generation_key(file_id)],
                                           client=pipe)
                await pipe.execute()
            if pending:
                await self.redis.publish(self.channel, ",".join(str(f) for f in pending))
        except (RedisError, OSError) as exc:
            self._redis_failed(exc)
            metrics.CACHE.labels("redis", "invalidation_failed").inc()
            return False
        for file_id, sequence in pending.items():
            if self._unflushed.get(file_id) == sequence:
                del self._unflushed[file_id]
        if overflow:
            self._unflushed_overflow = False
        return True

    async def retry_unflushed(self) -> None:
        """Paced by the Redis back-off: after a failure, not again for a few seconds."""
        if not (self._unflushed or self._unflushed_overflow) or not self._redis_usable():
            return
        if await self._flush():
            log.info("cache.invalidations_flushed")

    def stop(self) -> None:
        self._stopping.set()

    async def follow_invalidations(self) -> None:
        """Drop ids other instances applied events for, and retry this instance's
        invalidations Redis did not take; reconnects until ``stop()``.

        Polls with a timeout instead of being cancelled: cancelling redis-py's blocking
        pub/sub read can leave the connection (and shutdown) hanging.
        """
        while not self._stopping.is_set():
            await self.retry_unflushed()
            pubsub = self.redis.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(self.channel)
                while not self._stopping.is_set():
                    await self.retry_unflushed()
                    message = await pubsub.get_message(timeout=0.5)
                    if message is None or message.get("type") != "message":
                        continue
                    data = message["data"]
                    text = data.decode() if isinstance(data, bytes) else str(data)
                    self.drop_local([UUID(part) for part in text.split(",") if part])
            except (RedisError, OSError, ValueError) as exc:
                log.debug("cache.invalidation_listener_error", error=str(exc)[:200])
                self.unknown.clear()  # notices may have been missed while disconnected
                if self.local is not None:
                    self.local.clear()
                await asyncio.sleep(1.0)
            finally:
                try:
                    await pubsub.aclose()
                except Exception:  # noqa: BLE001 - closing a broken connection
                    pass
