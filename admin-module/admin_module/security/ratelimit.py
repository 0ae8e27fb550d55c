"""Sliding-window rate limiting in Redis (one sorted set per key, updated atomically in Lua).

If Redis is unreachable the limiter FAILS OPEN: the request goes through, a warning is logged
and ``artstore_rate_limit_errors_total`` counts it. Lockout of existing admin users lives in
PostgreSQL, so brute force against them stays bounded even then (the look-alike lockout of
unknown usernames and the token endpoint's failure counters are in Redis and pause with it).
"""

from __future__ import annotations

import hashlib
import time
import uuid
from dataclasses import dataclass

import redis.asyncio as aioredis
import structlog

from admin_module.metrics import RATE_LIMIT_ERRORS, RATE_LIMIT_HITS

log = structlog.get_logger(__name__)

KEY_PREFIX = "artstore:ratelimit"

_SCRIPT = """
local key = KEYS[1]
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local limit = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
local count = redis.call('ZCARD', key)
if count < limit then
  redis.call('ZADD', key, now, ARGV[4])
  redis.call('PEXPIRE', key, window)
  return {1, 0}
end
local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
local retry = window
if oldest[2] then retry = tonumber(oldest[2]) + window - now end
return {0, retry}
"""


@dataclass(frozen=True)
class Decision:
    allowed: bool
    retry_after: int = 0


class RateLimiter:
    def __init__(self, client: aioredis.Redis, window_seconds: int,
                 prefix: str = KEY_PREFIX) -> None:
        self.client = client
        self.prefix = prefix
        self.window_ms = window_seconds * 1000
        self._script = client.register_script(_SCRIPT)

    def key(self, scope: str, identity: str) -> str:
        digest = hashlib.sha256(identity.encode()).hexdigest()[:32]
        return f"{self.prefix}:{scope}:{digest}"

    async def hit(self, scope: str, identity: str, limit: int) -> Decision:
        now_ms = int(time.time() * 1000)
        try:
            allowed, retry_ms = await self._script(
                keys=[self.key(scope, identity)],
                args=[now_ms, self.window_ms, limit, f"{now_ms}-{uuid.uuid4().hex[:8]}"],
            )
        except Exception as exc:  # Redis down or slow: fail open, loudly
            RATE_LIMIT_ERRORS.labels(scope).inc()
            log.warning("ratelimit.unavailable", scope=scope, error=type(exc).__name__)
            return Decision(True)
        if int(allowed):
            return Decision(True)
        RATE_LIMIT_HITS.labels(scope).inc()
        return Decision(False, max(1, -(-int(retry_ms) // 1000)))

    # --- failure counting (only refused attempts count) and aggregated flags ----------------
    async def failures(self, scope: str, identity: str, window_seconds: int) -> int:
        """Refused attempts of ``identity`` in the last ``window_seconds`` (0 if Redis is away)."""
        key = self.key(scope, identity)
        now_ms = int(time.time() * 1000)
        try:
            async with self.client.pipeline(transaction=True) as pipe:
                pipe.zremrangebyscore(key, "-inf", now_ms - window_seconds * 1000)
                pipe.zcard(key)
                _, count = await pipe.execute()
        except Exception as exc:
            RATE_LIMIT_ERRORS.labels(scope).inc()
            log.warning("ratelimit.unavailable", scope=scope, error=type(exc).__name__)
            return 0
        return int(count)

    async def record_failure(self, scope: str, identity: str, window_seconds: int) -> int:
        """Count one refused attempt; returns the count in the window (0 if Redis is away)."""
        key = self.key(scope, identity)
        now_ms = int(time.time() * 1000)
        try:
            async with self.client.pipeline(transaction=True) as pipe:
                pipe.zremrangebyscore(key, "-inf", now_ms - window_seconds * 1000)
                pipe.zadd(key, {f"{now_ms}-{uuid.uuid4().hex[:8]}": now_ms})
                pipe.zcard(key)
                pipe.pexpire(key, window_seconds * 1000)
                _, _, count, _ = await pipe.execute()
        except Exception as exc:
            RATE_LIMIT_ERRORS.labels(scope).inc()
            log.warning("ratelimit.unavailable", scope=scope, error=type(exc).__name__)
            return 0
        return int(count)

    async def set_flag(self, scope: str, identity: str, seconds: int) -> bool:
        """Set a flag for ``seconds`` unless it is set; True when this call set it."""
        try:
            return bool(await self.client.set(self.key(scope, identity), "1", nx=True,
                                              ex=max(1, seconds)))
        except Exception as exc:
            RATE_LIMIT_ERRORS.labels(scope).inc()
            log.warning("ratelimit.unavailable", scope=scope, error=type(exc).__name__)
            return True

    async def flag_ttl(self, scope: str, identity: str) -> int:
        """Seconds left on a flag; 0 when it is not set (or Redis is away)."""
        try:
            ttl_ms = await self.client.pttl(self.key(scope, identity))
        except Exception as exc:
            RATE_LIMIT_ERRORS.labels(scope).inc()
            log.warning("ratelimit.unavailable", scope=scope, error=type(exc).__name__)
            return 0
        return max(0, -(-int(ttl_ms) // 1000)) if ttl_ms and ttl_ms > 0 else 0

    async def clear(self, scope: str, identity: str) -> None:
        try:
            await self.client.delete(self.key(scope, identity))
        except Exception as exc:
            log.warning("ratelimit.unavailable", scope=scope, error=type(exc).__name__)
