"""The ingester's service-account token cache against the real admin module."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest

from artstore_common.auth import TokenVerifier
from artstore_common.resilience import BreakerRegistry
from artstore_common.service_token import CachedToken, ServiceTokenProvider, UpstreamAuthFailed
from artstore_common.testing import free_port

pytestmark = pytest.mark.integration

SECRET = "ingester-test-secret-0123456789abcdef"  # the admin_process fixture's SA


def provider(url: str, http: httpx.AsyncClient, secret: str = SECRET) -> ServiceTokenProvider:
    return ServiceTokenProvider(
        token_url=url + "/api/v1/auth/token", client_id="ingester-sa", client_secret=secret,
        http=http, breakers=BreakerRegistry("ingester-test"), timeout=10,
    )


class TestServiceToken:
    async def test_concurrent_callers_share_one_fetch(self, admin_process) -> None:
        async with httpx.AsyncClient() as http:
            tokens = provider(admin_process.url, http)
            values = await asyncio.gather(*(tokens.token() for _ in range(10)))
            assert len(set(values)) == 1 and tokens.fetch_count == 1
            verifier = TokenVerifier(issuer="artstore-admin", audience="artstore",
                                     jwks_url=admin_process.url + "/api/v1/auth/jwks")
            principal = await verifier.verify(values[0])
            assert "files:write" in principal.scopes

    async def test_rejected_token_is_replaced(self, admin_process) -> None:
        async with httpx.AsyncClient() as http:
            tokens = provider(admin_process.url, http)
            first = await tokens.token()
            second = await tokens.token(rejected=first)
            assert tokens.fetch_count == 2
            assert await tokens.token() == second

    async def test_refreshed_ahead_of_expiry(self, admin_process) -> None:
        async with httpx.AsyncClient() as http:
            tokens = provider(admin_process.url, http)
            first = await tokens.token()
            now = time.monotonic()
            tokens._cached = CachedToken(first, expires_at=now + 100, refresh_at=now - 1)
            assert await tokens.token() != first
            assert tokens.fetch_count == 2

    async def test_admin_down_keeps_valid_cached_token(self, admin_process) -> None:
        async with httpx.AsyncClient() as http:
            tokens = provider(admin_process.url, http)
            first = await tokens.token()
            tokens.token_url = f"http://127.0.0.1:{free_port()}/api/v1/auth/token"
            now = time.monotonic()
            tokens._cached = CachedToken(first, expires_at=now + 100, refresh_at=now - 1)
            assert await tokens.token() == first  # refresh failed, still valid: keep it
            tokens._cached = CachedToken(first, expires_at=now + 1, refresh_at=now - 1)
            with pytest.raises(UpstreamAuthFailed):
                await tokens.token()

    async def test_wrong_secret_fails_clearly(self, admin_process) -> None:
        async with httpx.AsyncClient() as http:
            with pytest.raises(UpstreamAuthFailed):
                await provider(admin_process.url, http, secret="wrong-secret").token()
