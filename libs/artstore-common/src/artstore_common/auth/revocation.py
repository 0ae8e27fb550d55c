"""The access-token deny-list every service enforces (``contracts.REVOCATIONS_KEY``).

A background task re-reads the Redis hash every ``poll_seconds``, so a revocation reaches every
service within that time. While Redis is away the last list read stays in force (revocations
already seen keep working); revocations made during the outage apply once it is back, and in
any case no access token outlives its expiry (30 minutes by default).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

import structlog
from prometheus_client import Counter, Gauge

from artstore_common.contracts import REVOCATIONS_KEY

log = structlog.get_logger("artstore.auth")

REVOCATION_ENTRIES = Gauge("artstore_auth_revocations", "Entries in the token deny-list")
REVOCATION_REFRESH_ERRORS = Counter(
    "artstore_auth_revocation_refresh_errors_total", "Failed reads of the token deny-list")


class RevocationList:
    def __init__(self) -> None:
        self._jti: dict[str, float] = {}
        self._sub: dict[str, float] = {}

    def load(self, fields: Mapping[Any, Any]) -> None:
        jti: dict[str, float] = {}
        sub: dict[str, float] = {}
        for raw_key, raw_value in fields.items():
            key = raw_key.decode() if isinstance(raw_key, bytes) else str(raw_key)
            try:
                value = float(raw_value)
            except (TypeError, ValueError):
                continue
            kind, _, ident = key.partition(":")
            if kind == "jti":
                jti[ident] = value
            elif kind == "sub":
                sub[ident] = value
        self._jti, self._sub = jti, sub
        REVOCATION_ENTRIES.set(len(jti) + len(sub))

    def is_revoked(self, claims: Mapping[str, Any]) -> bool:
        jti = claims.get("jti")
        if isinstance(jti, str) and jti in self._jti:
            return True
        before = self._sub.get(str(claims.get("sub", "")))
        issued = claims.get("iat")
        return before is not None and (not isinstance(issued, int | float) or issued <= before)

    async def refresh(self, client: Any) -> None:
        self.load(await client.hgetall(REVOCATIONS_KEY))

    @asynccontextmanager
    async def watching(self, redis_url: str, poll_seconds: float) -> AsyncIterator[None]:
        import redis.asyncio as aioredis

        client = aioredis.Redis.from_url(redis_url, socket_timeout=5, socket_connect_timeout=5)

        stop = asyncio.Event()

        async def loop() -> None:
            failing = False
            while not stop.is_set():
                try:
                    await self.refresh(client)
                    if failing:
                        log.info("auth.revocations_restored")
                    failing = False
                except Exception as exc:  # keep enforcing the last list read
                    REVOCATION_REFRESH_ERRORS.inc()
                    if not failing:
                        log.warning("auth.revocations_unavailable", error=type(exc).__name__)
                    failing = True
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), poll_seconds)

        # Stopped by an event, not by cancel(): redis-py may swallow a cancellation that lands
        # inside a command, and the loop would then run on.
        task = asyncio.create_task(loop(), name="token-revocations")
        try:
            yield
        finally:
            stop.set()
            await asyncio.wait({task}, timeout=10)
            task.cancel()
            await client.aclose()
