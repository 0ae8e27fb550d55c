"""Metadata by id: an in-process TTL/LRU cache in front of Redis in front of PostgreSQL.

Every applied event deletes the Redis key and publishes the id on a channel; every instance
drops it from its own LRU when the notice arrives (the consumer group hands an event to one
instance only). The short LRU TTL bounds staleness if a notice is lost. Redis trouble never
fails a request: the cache is skipped for a few seconds and PostgreSQL answers.
"""

from __future__ import annotations

import asyncio
import time
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
        self._redis_down_until = 0.0
        self._stopping = asyncio.Event()

    def _key(self, file_id: UUID) -> str:
        return f"{self.prefix}{file_id}"

    def _redis_usable(self) -> bool:
        return time.monotonic() >= self._redis_down_until

    def _redis_failed(self, exc: Exception) -> None:
        self._redis_down_until = time.monotonic() + _REDIS_BACKOFF_SECONDS
        log.warning("cache.redis_unavailable", error=str(exc)[:200])

    async def get(self, file_id: UUID) -> FileRead | None:
        if self.local is not None and (hit := self.local.get(file_id)) is not None:
            metrics.CACHE.labels("local", "hit").inc()
            return hit
        if not self._redis_usable():
            return None
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
        if self.local is not None:
            self.local[file_id] = value
        return value

    async def put(self, value: FileRead) -> None:
        if self.local is not None:
            self.local[value.file_id] = value
        if not self._redis_usable():
            return
        try:
            await self.redis.set(
                self._key(value.file_id), value.model_dump_json(), ex=self.redis_ttl
            )
        except (RedisError, OSError) as exc:
            self._redis_failed(exc)

    def is_unknown(self, file_id: UUID) -> bool:
        return file_id in self.unknown

    def mark_unknown(self, file_id: UUID) -> None:
        self.unknown[file_id] = True

    def drop_local(self, file_ids: list[UUID]) -> None:
        for file_id in file_ids:
            self.unknown.pop(file_id, None)
            if self.local is not None:
                self.local.pop(file_id, None)

    async def invalidate(self, file_ids: list[UUID]) -> None:
        self.drop_local(file_ids)
        if not file_ids:
            return
        try:
            await self.redis.delete(*(self._key(f) for f in file_ids))
            await self.redis.publish(self.channel, ",".join(str(f) for f in file_ids))
        except (RedisError, OSError) as exc:
            self._redis_failed(exc)

    def stop(self) -> None:
        self._stopping.set()

    async def follow_invalidations(self) -> None:
        """Drop ids other instances applied events for; reconnects until ``stop()``.

        Polls with a timeout instead of being cancelled: cancelling redis-py's blocking
        pub/sub read can leave the connection (and shutdown) hanging.
        """
        while not self._stopping.is_set():
            pubsub = self.redis.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(self.channel)
                while not self._stopping.is_set():
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
