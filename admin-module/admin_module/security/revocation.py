"""Pushes access-token revocations to every service (``contracts.REVOCATIONS_KEY``).

Suspending, deleting or re-roling an account, disabling an admin user, logout and an explicit
revocation all land here. Each service re-reads the hash every REVOCATION_POLL_SECONDS.
A subject revocation covers every token issued up to that second (one issued later in the
same second too — ask again a second later). If Redis is unreachable the call logs, counts
``artstore_admin_revocation_errors_total`` and returns False: the change itself still stands
(suspended accounts get no new tokens), but already-issued tokens then live to their expiry.
"""

from __future__ import annotations

import time

import redis.asyncio as aioredis
import structlog

from admin_module.metrics import REVOCATION_ERRORS
from artstore_common.contracts import REVOCATIONS_KEY

log = structlog.get_logger(__name__)



class Revoker:
    def __init__(self, client: aioredis.Redis, token_ttl_seconds: int, leeway_seconds: int
                 ) -> None:
        self.client = client
        self.horizon = token_ttl_seconds + leeway_seconds  # no token outlives this

    async def revoke_subject(self, subject: str, reason: str) -> bool:
        return await self._write({f"sub:{subject}": time.time()}, reason)

    async def revoke_token(self, jti: str, expires_at: float | None, reason: str) -> bool:
        return await self._write({f"jti:{jti}": expires_at or time.time() + self.horizon},
                                 reason)

    async def _write(self, fields: dict[str, float], reason: str) -> bool:
        now = time.time()
        try:
            await self.client.hset(REVOCATIONS_KEY, mapping=fields)
            stale = [key for key, value in (await self.client.hgetall(REVOCATIONS_KEY)).items()
                     if _expired(key, value, now, self.horizon)]
            if stale:
                await self.client.hdel(REVOCATIONS_KEY, *stale)
        except Exception as exc:
            REVOCATION_ERRORS.inc()
            log.error("auth.revocation_not_pushed", reason=reason, error=type(exc).__name__)
            return False
        log.info("auth.revoked", reason=reason, entries=sorted(k.split(":")[0] for k in fields))
        return True


def _expired(key: bytes | str, value: bytes | str, now: float, horizon: float) -> bool:
    name = key.decode() if isinstance(key, bytes) else key
    try:
        when = float(value)
    except ValueError:
        return True
    # jti entries hold the token's expiry; sub entries the revocation time
    return when + (horizon if name.startswith("sub:") else 60) < now
