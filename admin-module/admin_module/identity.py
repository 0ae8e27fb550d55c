"""Lifespan components of the identity half: services on app.state, initial accounts, and the
audit retention job. (The other components are in ``admin_module.lifespan``.)"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from functools import partial

from fastapi import FastAPI

from admin_module.admin_users import repository as users_repo
from admin_module.admin_users.auth_service import AdminAuth
from admin_module.audit import access, refusals
from admin_module.audit import service as audit
from admin_module.auth.service import TokenIssuer
from admin_module.background import periodic
from admin_module.bootstrap import bootstrap_accounts
from admin_module.models.base import utcnow
from admin_module.security.hashing import SecretHasher
from admin_module.security.ratelimit import RateLimiter
from admin_module.security.revocation import Revoker

AUDIT_PRUNE_INTERVAL_SECONDS = 6 * 3600
REFRESH_PURGE_INTERVAL_SECONDS = 6 * 3600


@asynccontextmanager
async def identity_services(app: FastAPI) -> AsyncIterator[None]:
    settings = app.state.settings
    hasher = SecretHasher(settings)
    limiter = RateLimiter(app.state.redis, settings.RATE_LIMIT_WINDOW_SECONDS,
                          settings.RATE_LIMIT_KEY_PREFIX)
    app.state.hasher = hasher
    app.state.revoker = Revoker(app.state.redis, settings.ACCESS_TOKEN_TTL_SECONDS,
                                settings.JWT_LEEWAY_SECONDS)
    app.state.rate_limiter = limiter
    app.state.token_issuer = TokenIssuer(settings, app.state.sessionmaker, app.state.keys,
                                         hasher, limiter)
    app.state.admin_auth = AdminAuth(settings, app.state.sessionmaker, app.state.keys, hasher,
                                     limiter)
    await bootstrap_accounts(app.state.sessionmaker, settings, hasher, app.state.secrets)

    async def purge_refresh_tokens() -> None:
        async with app.state.sessionmaker() as session, session.begin():
            await users_repo.purge_expired_refresh_tokens(session, utcnow() - timedelta(days=1))

    async with periodic("refresh-token-purge", REFRESH_PURGE_INTERVAL_SECONDS,
                        purge_refresh_tokens, initial_delay=600):
        yield


@asynccontextmanager
async def audit_retention(app: FastAPI) -> AsyncIterator[None]:
    """Retention pruning, and periodic chain verification that keeps the
    ``artstore_audit_chain_valid`` gauge (and its alert) current: from the newest checkpoint
    every ``AUDIT_VERIFY_INTERVAL_SECONDS``, the whole chain every
    ``AUDIT_FULL_VERIFY_INTERVAL_SECONDS`` (and once at start)."""
    settings = app.state.settings

    async def prune() -> None:
        async with app.state.sessionmaker() as session, session.begin():
            await audit.prune(session, settings.AUDIT_RETENTION_DAYS)

    async def verify(mode: str) -> None:
        async with app.state.sessionmaker() as session, session.begin():
            await audit.verify_chain(session, mode=mode,
                                     checkpoint_every=settings.AUDIT_CHECKPOINT_EVERY)

    async def refusal_reports() -> None:
        await refusals.drain(app.state.redis, app.state.sessionmaker)

    async def access_events() -> None:
        await access.drain(app.state.redis, app.state.sessionmaker)

    async with (
        periodic("audit-retention", AUDIT_PRUNE_INTERVAL_SECONDS, prune, initial_delay=300),
        periodic("audit-verify", settings.AUDIT_VERIFY_INTERVAL_SECONDS,
                 partial(verify, "checkpoint")),
        periodic("audit-verify-full", settings.AUDIT_FULL_VERIFY_INTERVAL_SECONDS,
                 partial(verify, "full"), initial_delay=30),
        periodic("audit-refusal-reports", refusals.POLL_SECONDS, refusal_reports),
        periodic("audit-access-trail", access.POLL_SECONDS, access_events),
    ):
        yield
