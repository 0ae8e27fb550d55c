"""Admin-user sessions: login with lockout, refresh-token rotation with reuse detection, logout.

Each operation runs its own transaction and commits before raising, so failure counters, locks,
family revocations and their audit rows persist even though the request is refused.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import timedelta

import structlog
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from admin_module.admin_users import repository
from admin_module.audit import service as audit
from admin_module.auth.tokens import issue_access_token
from admin_module.config import Settings
from admin_module.errors import (
    AccountDisabled,
    AccountLocked,
    ArtStoreError,
    InvalidCredentials,
    InvalidRefreshToken,
    TooManyRequests,
)
from admin_module.keys.service import KeyManager
from admin_module.metrics import LOCKOUTS, LOGINS, REFRESH_REUSE, TOKENS_ISSUED
from admin_module.models.admin_user import AdminUser, RefreshToken
from admin_module.models.base import utcnow
from admin_module.security.hashing import SecretHasher
from admin_module.security.ratelimit import RateLimiter

log = structlog.get_logger(__name__)
RESOURCE = "admin_user"


def hash_refresh_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class SessionTokens:
    access_token: str
    refresh_token: str
    expires_in: int
    refresh_expires_in: int


@dataclass
class AdminAuth:
    settings: Settings
    sessionmaker: async_sessionmaker[AsyncSession]
    keys: KeyManager
    hasher: SecretHasher
    limiter: RateLimiter

    async def _tokens(self, session: AsyncSession, user: AdminUser,
                      family_id: uuid.UUID | None = None) -> SessionTokens:
        access = await issue_access_token(
            self.keys, self.settings, subject=user.id, role=user.role, ptype="admin_user",
            name=user.username,
        )
        refresh = secrets.token_urlsafe(32)
        ttl = timedelta(days=self.settings.REFRESH_TOKEN_TTL_DAYS)
        session.add(RefreshToken(
            user_id=user.id, family_id=family_id or uuid.uuid4(),
            token_hash=hash_refresh_token(refresh), expires_at=utcnow() + ttl,
        ))
        TOKENS_ISSUED.labels("admin_user", "password" if family_id is None else "refresh").inc()
        return SessionTokens(access.access_token, refresh, access.expires_in,
                             int(ttl.total_seconds()))

    async def _fail(self, session: AsyncSession, error: ArtStoreError, *, action: str,
                    actor: str, user: AdminUser | None, reason: str,
                    outcome: str = "failure") -> ArtStoreError:
        await audit.record(session, action=action, actor=actor, resource_type=RESOURCE,
                           resource_id=user.id if user else None, outcome=outcome,
                           details={"reason": reason})
        await session.commit()
        return error

    async def login(self, username: str, password: str, client_ip: str) -> SessionTokens:
        name = username.strip().lower()
        decision = await self.limiter.hit(
            "login", f"{name}|{client_ip}", self.settings.LOGIN_RATE_LIMIT_PER_MINUTE)
        if not decision.allowed:
            LOGINS.labels("rate_limited").inc()
            window = self.settings.RATE_LIMIT_WINDOW_SECONDS
            if await self.limiter.set_flag("login-429-audited", f"{name}|{client_ip}", window):
                async with self.sessionmaker() as session:  # one row per name, source, window
                    raise await self._fail(
                        session, TooManyRequests(decision.retry_after,
                                                 "Too many login attempts; retry later"),
                        action="admin_auth.rate_limited", actor=name[:64], user=None,
                        reason=f"source {client_ip[:64]}", outcome="denied")
            raise TooManyRequests(decision.retry_after, "Too many login attempts; retry later")
        now = utcnow()
        async with self.sessionmaker() as session:
            user = await repository.get_by_username(session, name, for_update=True)
            if user is None or user.status == "deleted":
                raise await self._fail_unknown(session, name, password)
            if user.locked_until is not None and user.locked_until > now:
                LOGINS.labels("locked").inc()
                retry = int((user.locked_until - now).total_seconds()) + 1
                raise await self._fail(
                    session, AccountLocked(details={"locked_until": user.locked_until.isoformat()},
                                           headers={"Retry-After": str(retry)}),
                    action="admin_auth.login", actor=name, user=user, reason="locked",
                    outcome="denied")
            if not await self.hasher.verify(user.password_hash, password):
                LOGINS.labels("failure").inc()
                error = await self._register_failure(session, user)
                raise await self._fail(session, error, action="admin_auth.login", actor=name,
                                       user=user, reason="wrong_password")
            if user.status != "active":
                LOGINS.labels("disabled").inc()
                raise await self._fail(session, AccountDisabled(), action="admin_auth.login",
                                       actor=name, user=user, reason="disabled", outcome="denied")
            user.failed_login_count, user.first_failed_at, user.locked_until = 0, None, None
            user.last_login_at = now
            tokens = await self._tokens(session, user)
            await audit.record(session, action="admin_auth.login", actor=name,
                               resource_type=RESOURCE, resource_id=user.id)
            await session.commit()
        LOGINS.labels("success").inc()
        log.info("admin_auth.login", username=name)
        return tokens

    async def _fail_unknown(self, session: AsyncSession, name: str, password: str
                            ) -> ArtStoreError:
        """An unknown username locks exactly like an existing one (same statuses, Retry-After
        and one password hash per attempt), so lockout does not reveal which names exist.
        Its counters live in Redis; existing users' lockout lives in PostgreSQL."""
        window = self.settings.LOCKOUT_MINUTES * 60
        locked_for = await self.limiter.flag_ttl("login-locked", name)
        if locked_for:
            LOGINS.labels("locked").inc()
            until = utcnow() + timedelta(seconds=locked_for)
            return await self._fail(
                session, AccountLocked(details={"locked_until": until.isoformat()},
                                       headers={"Retry-After": str(locked_for)}),
                action="admin_auth.login", actor=name[:64], user=None, reason="locked",
                outcome="denied")
        await self.hasher.verify_dummy(password)
        LOGINS.labels("failure").inc()
        if (await self.limiter.record_failure("login-fail", name, window)
                >= self.settings.LOGIN_MAX_FAILURES):
            await self.limiter.set_flag("login-locked", name, window)
            await self.limiter.clear("login-fail", name)
        return await self._fail(session, InvalidCredentials(), action="admin_auth.login",
                                actor=name[:64], user=None, reason="unknown_user")

    async def _register_failure(self, session: AsyncSession, user: AdminUser) -> ArtStoreError:
        now = utcnow()
        window = timedelta(minutes=self.settings.LOCKOUT_MINUTES)
        if user.first_failed_at is None or user.first_failed_at + window <= now:
            user.failed_login_count, user.first_failed_at = 1, now
        else:
            user.failed_login_count += 1
        if user.failed_login_count >= self.settings.LOGIN_MAX_FAILURES:
            user.locked_until = now + window
            user.failed_login_count, user.first_failed_at = 0, None
            LOCKOUTS.inc()
            log.warning("admin_auth.locked", username=user.username)
            await audit.record(session, action="admin_user.locked", actor="system",
                               resource_type=RESOURCE, resource_id=user.id, outcome="success",
                               details={"username": user.username,
                                        "locked_until": user.locked_until.isoformat(),
                                        "failures": self.settings.LOGIN_MAX_FAILURES})
        return InvalidCredentials()

    async def refresh(self, token: str) -> SessionTokens:
        now = utcnow()
        async with self.sessionmaker() as session:
            row = await repository.refresh_by_hash(session, hash_refresh_token(token))
            if row is None:
                raise InvalidRefreshToken()
            user = await repository.get(session, row.user_id, for_update=True)
            actor = user.username if user else "unknown"
            if row.revoked_reason == "rotated":
                revoked = await repository.revoke_family(session, row.family_id, "reuse_detected")
                REFRESH_REUSE.inc()
                log.warning("admin_auth.refresh_reuse", username=actor, family=str(row.family_id))
                raise await self._fail(
                    session, InvalidRefreshToken("The refresh token was already used; every "
                                                 "session of this login has been revoked"),
                    action="admin_auth.refresh_reuse", actor=actor, user=user,
                    reason=f"family revoked ({revoked} tokens)", outcome="denied")
            if row.revoked_at is not None or row.expires_at <= now:
                raise InvalidRefreshToken()
            if user is None or user.status != "active":
                await repository.revoke_family(session, row.family_id, "user_inactive")
                await session.commit()
                raise InvalidRefreshToken()
            row.used_at, row.revoked_at, row.revoked_reason = now, now, "rotated"
            tokens = await self._tokens(session, user, family_id=row.family_id)
            await session.commit()
        log.info("admin_auth.refreshed", username=user.username)
        return tokens

    async def logout(self, session: AsyncSession, user_id: uuid.UUID, actor: str,
                     refresh_token: str | None, all_sessions: bool) -> int:
        revoked = 0
        if all_sessions:
            revoked = await repository.revoke_user_tokens(session, user_id, "logout")
        elif refresh_token:
            row = await repository.refresh_by_hash(session, hash_refresh_token(refresh_token))
            if row is not None and row.user_id == user_id:
                revoked = await repository.revoke_family(session, row.family_id, "logout")
        await audit.record(session, action="admin_auth.logout", actor=actor,
                           resource_type=RESOURCE, resource_id=user_id,
                           details={"revoked": revoked, "all_sessions": all_sessions})
        return revoked
