"""The async Redis client (rate limiting). Failures degrade, never break a request by surprise."""

from __future__ import annotations

import redis.asyncio as aioredis

from admin_module.config import Settings


def create_redis(settings: Settings) -> aioredis.Redis:
    return aioredis.from_url(
        settings.REDIS_URL,
        socket_connect_timeout=1.0,
        socket_timeout=1.0,
        health_check_interval=30,
    )


async def redis_ping(client: aioredis.Redis) -> bool:
    try:
        return bool(await client.ping())
    except Exception:
        return False
