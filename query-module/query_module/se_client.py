"""The query module's own identity towards storage elements (client credentials).

The token is fetched from the admin module, cached, and refreshed ``margin`` seconds before it
expires; a 401 from an SE drops it so the next call fetches a fresh one (e.g. after a key
rotation the SE has not seen yet).
"""

from __future__ import annotations

import asyncio
import time

import httpx
import structlog

from artstore_common.errors import ServiceUnavailable
from query_module.config import Settings

log = structlog.get_logger(__name__)


class ServiceCredentialsMissing(ServiceUnavailable):
    code, message = "SERVICE_CREDENTIALS_MISSING", "The query module has no service credentials"


class ServiceTokenProvider:
    def __init__(self, settings: Settings, http: httpx.AsyncClient) -> None:
        self.url = settings.ADMIN_URL.rstrip("/") + "/api/v1/auth/token"
        self.client_id = settings.QUERY_CLIENT_ID
        self.client_secret = settings.QUERY_CLIENT_SECRET
        self.margin = settings.SERVICE_TOKEN_REFRESH_MARGIN_SECONDS
        self.http = http
        self._token: str | None = None
        self._expires_at = 0.0
        self._lock = asyncio.Lock()

    def invalidate(self) -> None:
        self._token = None
        self._expires_at = 0.0

    async def get(self) -> str:
        if self._token and time.monotonic() < self._expires_at:
            return self._token
        async with self._lock:
            if self._token and time.monotonic() < self._expires_at:
                return self._token
            return await self._fetch()

    async def _fetch(self) -> str:
        if not self.client_id or not self.client_secret:
            raise ServiceCredentialsMissing()
        data = {
            "grant_type": "client_credentials",
            "client_id": self.client_id,
            "client_secret": self.client_secret,
        }
        try:
            response = await self.http.post(self.url, data=data, timeout=10.0)
        except httpx.HTTPError as exc:
            log.warning("service_token.unreachable", error=str(exc)[:200])
            raise ServiceUnavailable("The identity service is unreachable",
                                     code="IDENTITY_UNAVAILABLE") from exc
        if response.status_code != 200:
            log.error("service_token.refused", status=response.status_code)
            raise ServiceUnavailable("The identity service refused the query module's credentials",
                                     code="IDENTITY_UNAVAILABLE")
        body = response.json()
        lifetime = float(body.get("expires_in") or 300)
        self._token = str(body["access_token"])
        self._expires_at = time.monotonic() + max(lifetime - self.margin, lifetime / 2)
        log.info("service_token.issued", expires_in=lifetime)
        return self._token
