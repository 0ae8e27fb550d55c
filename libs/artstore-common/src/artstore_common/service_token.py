"""A service's own access token (client credentials), cached and refreshed ahead of expiry.

Used by the ingester and the query module to call storage elements. One refresh runs at a
time; callers keep using the cached token while it is still valid even if a refresh fails, so
a short admin outage does not stop uploads or downloads. ``token(rejected=...)`` forces a new
token when a storage element refused the current one (e.g. right after a key rotation).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

import httpx
import structlog

from artstore_common.errors import ServiceUnavailable
from artstore_common.resilience import BreakerRegistry, UpstreamServerError

log = structlog.get_logger(__name__)

ADMIN_TARGET = "admin"


class UpstreamAuthFailed(ServiceUnavailable):
    code = "UPSTREAM_AUTH_FAILED"
    message = "The service could not obtain its own access token from the admin module"


@dataclass(frozen=True)
class CachedToken:
    value: str
    expires_at: float  # monotonic
    refresh_at: float  # monotonic


class ServiceTokenProvider:
    def __init__(
        self,
        *,
        token_url: str,
        client_id: str | None,
        client_secret: str | None,
        http: httpx.AsyncClient,
        breakers: BreakerRegistry,
        refresh_at: float = 0.8,
        timeout: float = 10.0,
    ) -> None:
        self.token_url = token_url
        self.client_id = client_id
        self.client_secret = client_secret
        self.http = http
        self.breakers = breakers
        self.refresh_fraction = refresh_at
        self.timeout = timeout
        self._cached: CachedToken | None = None
        self._lock = asyncio.Lock()
        self.fetch_count = 0

    @property
    def configured(self) -> bool:
        return bool(self.client_id and self.client_secret)

    def _usable(self, now: float) -> CachedToken | None:
        cached = self._cached
        return cached if cached is not None and now < cached.expires_at - 5 else None

    async def token(self, *, rejected: str | None = None) -> str:
        """A valid token; ``rejected`` is one a storage element refused (fetch a new one)."""
        fresh = self._fresh(rejected)
        if fresh is not None:
            return fresh
        async with self._lock:
            fresh = self._fresh(rejected)  # another request may have refreshed meanwhile
            if fresh is not None:
                return fresh
            current = self._usable(time.monotonic())
            try:
                self._cached = await self._fetch()
                return self._cached.value
            except Exception as exc:
                if current is not None and current.value != rejected:
                    log.warning("service_token.refresh_failed_using_cached", error=str(exc))
                    return current.value
                log.error("service_token.fetch_failed", error=f"{type(exc).__name__}: {exc}")
                raise UpstreamAuthFailed(details={"reason": type(exc).__name__}) from exc

    def _fresh(self, rejected: str | None) -> str | None:
        now = time.monotonic()
        cached = self._usable(now)
        if cached is None or now >= cached.refresh_at or cached.value == rejected:
            return None
        return cached.value

    def invalidate(self) -> None:
        self._cached = None

    async def _fetch(self) -> CachedToken:
        if not self.configured:
            raise RuntimeError("the service's client id / client secret are not configured")
        started = time.monotonic()
        async with self.breakers.guard(ADMIN_TARGET, time_limit=self.timeout):
            response = await self.http.post(
                self.token_url,
                data={
                    "grant_type": "client_credentials",
                    "client_id": self.client_id,
                    "client_secret": self.client_secret,
                },
                timeout=self.timeout,
            )
            if response.status_code >= 500:
                raise UpstreamServerError(ADMIN_TARGET, response.status_code, response.text)
        if response.status_code != 200:
            raise RuntimeError(f"token endpoint answered {response.status_code}")
        body = response.json()
        lifetime = max(10.0, float(body.get("expires_in", 300)))
        self.fetch_count += 1
        log.info("service_token.fetched", expires_in=lifetime)
        return CachedToken(
            value=str(body["access_token"]),
            expires_at=started + lifetime,
            refresh_at=started + lifetime * self.refresh_fraction,
        )
