"""The client-credentials grant: rate limit, authenticate, check status and expiry, sign.

Runs its own transactions instead of the request's unit of work: a refused request must still
leave its audit row behind, so failures commit and then raise.
"""

from __future__ import annotations

from dataclasses import dataclass

import structlog
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from admin_module.audit import service as audit
from admin_module.auth.parsing import TokenRequest
from admin_module.auth.tokens import IssuedToken, issue_access_token
from admin_module.config import Settings
from admin_module.errors import OAuthError
from admin_module.keys.service import KeyManager
from admin_module.metrics import TOKEN_FAILURES, TOKENS_ISSUED
from admin_module.models.base import utcnow
from admin_module.models.service_account import ServiceAccount
from admin_module.security.hashing import SecretHasher
from admin_module.security.ratelimit import RateLimiter
from admin_module.service_accounts import repository as accounts
from artstore_common.auth.scopes import INTERNAL_SCOPES, scopes_for_role

log = structlog.get_logger(__name__)

_BASIC_CHALLENGE = {"WWW-Authenticate": 'Basic realm="artstore"'}


@dataclass
class TokenIssuer:
    settings: Settings
    sessionmaker: async_sessionmaker[AsyncSession]
    keys: KeyManager
    hasher: SecretHasher
    limiter: RateLimiter

    async def _refuse(self, req: TokenRequest, error: OAuthError, account_id=None) -> OAuthError:
        TOKEN_FAILURES.labels(error.reason).inc()
        log.info("auth.token_refused", client_id=req.client_id[:64], reason=error.reason)
        async with self.sessionmaker() as session, session.begin():
            await audit.record(
                session, action="auth.token_failed", actor=req.client_id[:64],
                resource_type="service_account", resource_id=account_id, outcome="failure",
                details={"reason": error.reason},
            )
        return error

    def _invalid_client(self, reason: str, description: str = "Client authentication failed"
                        ) -> OAuthError:
        return OAuthError("invalid_client", description, 401, dict(_BASIC_CHALLENGE), reason)

    def _rate_limited(self, retry_after: int) -> OAuthError:
        TOKEN_FAILURES.labels("rate_limited").inc()
        return OAuthError("rate_limited", "Too many token requests; retry later", 429,
                          {"Retry-After": str(retry_after)}, "rate_limited")

    async def _audit_rate_limited(self, req: TokenRequest, source: str, why: str) -> None:
        """One audit row per client, source and window, however many requests were refused."""
        window = self.settings.RATE_LIMIT_WINDOW_SECONDS
        if await self.limiter.set_flag("token-429-audited", f"{req.client_id}|{source}|{why}",
                                       window):
            async with self.sessionmaker() as session, session.begin():
                await audit.record(session, action="auth.token_rate_limited",
                                   actor=req.client_id[:64], resource_type="service_account",
                                   outcome="denied",
                                   details={"reason": why, "source": source[:64],
                                            "window_seconds": window})

    async def issue(self, req: TokenRequest, source: str = "unknown") -> IssuedToken:
        """Failures count per (client id, source address): wrong secrets sent from elsewhere
        never lock a client out. Unknown client ids are also counted per source, so spraying
        them is bounded without holding up known clients behind the same address. The
        per-account request limit counts only authenticated requests."""
        settings = self.settings
        window = settings.RATE_LIMIT_WINDOW_SECONDS
        pair = f"{req.client_id}|{source}"
        if (await self.limiter.failures("token-fail", pair, window)
                >= settings.TOKEN_FAILURES_PER_CLIENT_SOURCE):
            await self._audit_rate_limited(req, source, "failures")
            raise self._rate_limited(window)
        async with self.sessionmaker() as session:
            account = await accounts.get_by_client_id(session, req.client_id)
        unknown = account is None or account.status == "deleted"
        if unknown and (await self.limiter.failures("token-fail-unknown", source, window)
                        >= settings.TOKEN_FAILURES_PER_SOURCE):
            await self._audit_rate_limited(req, source, "unknown_clients")
            raise self._rate_limited(window)
        try:
            return await self._authenticate_and_sign(req, account, source)
        except OAuthError as exc:
            if exc.status_code in (400, 401, 403):
                await self.limiter.record_failure("token-fail", pair, window)
                if unknown:
                    await self.limiter.record_failure("token-fail-unknown", source, window)
            raise

    async def _authenticate_and_sign(self, req: TokenRequest, account: ServiceAccount | None,
                                     source: str) -> IssuedToken:
        if account is None or account.status == "deleted":
            await self.hasher.verify_dummy(req.client_secret)
            reason = "unknown_client" if account is None else "deleted_account"
            raise await self._refuse(req, self._invalid_client(reason),
                                     account.id if account else None)
        if not await self.hasher.verify(account.secret_hash, req.client_secret):
            raise await self._refuse(req, self._invalid_client("wrong_secret"), account.id)
        if account.status != "active":
            raise await self._refuse(req, OAuthError(
                "unauthorized_client", "The client account is suspended", 403,
                reason="suspended_account"), account.id)
        if account.secret_expires_at is not None and account.secret_expires_at <= utcnow():
            raise await self._refuse(
                req, self._invalid_client("expired_secret", "The client secret has expired"),
                account.id)
        limit = account.rate_limit_per_minute or self.settings.RATE_LIMIT_DEFAULT_PER_MINUTE
        decision = await self.limiter.hit("token", req.client_id, limit)
        if not decision.allowed:
            await self._audit_rate_limited(req, source, "account_limit")
            raise self._rate_limited(decision.retry_after)

        requested = frozenset(req.scope.split()) if req.scope else None
        allowed = scopes_for_role(account.role) | (INTERNAL_SCOPES if account.is_system
                                                   else frozenset())
        if requested is not None and not requested <= allowed:
            raise await self._refuse(req, OAuthError(
                "invalid_scope", "The requested scope exceeds the account's role", 400,
                reason="invalid_scope"), account.id)

        token = await issue_access_token(
            self.keys, self.settings, subject=account.id, role=account.role,
            ptype="service_account", name=account.name, client_id=account.client_id,
            scopes=requested, internal=account.is_system,
        )
        async with self.sessionmaker() as session, session.begin():
            await accounts.touch_last_used(session, account.id)
        TOKENS_ISSUED.labels("service_account", "client_credentials").inc()
        log.info("auth.token_issued", client_id=account.client_id, kid=token.kid, jti=token.jti)
        return token
