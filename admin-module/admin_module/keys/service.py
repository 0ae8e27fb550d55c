"""Signing-key lifecycle: the active key, rotation (scheduled and on demand), the JWKS.

Exactly one key signs at a time (activated, not retired) and the next one is already published,
so a verifier with a cached JWKS knows it before it signs anything. Rotation promotes the next
key, publishes a new next key, and keeps the retired key's public half published until
``publish_until`` = retirement + access-token lifetime + the signer cache + leeway, so every
token it signed can still be verified until it expires.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import anyio
import structlog
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from admin_module.audit import service as audit
from admin_module.config import Settings
from admin_module.keys import crypto, repository
from admin_module.metrics import (
    ACTIVE_KEY_CREATED,
    KEY_ROTATIONS,
    ROTATION_INTERVAL,
    SIGNING_KEYS_PUBLISHED,
)
from admin_module.models.base import utcnow
from admin_module.models.signing_key import SigningKey

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class ActiveKey:
    kid: str
    private_key: rsa.RSAPrivateKey


@dataclass(frozen=True)
class RotationResult:
    kid: str
    previous_kid: str | None
    previous_publish_until: datetime | None


def _observe_active(key: SigningKey) -> None:
    ACTIVE_KEY_CREATED.set((key.activated_at or key.created_at).timestamp())


class KeyManager:
    def __init__(self, settings: Settings, sessionmaker: async_sessionmaker[AsyncSession],
                 encryption_keys: str) -> None:
        self.settings = settings
        self.sessionmaker = sessionmaker
        self.cipher = crypto.make_cipher(encryption_keys)
        self._active: ActiveKey | None = None
        self._active_loaded = 0.0
        self._public: dict[str, rsa.RSAPublicKey] = {}
        self._public_loaded = 0.0
        ROTATION_INTERVAL.set(settings.JWT_ROTATION_INTERVAL_HOURS * 3600)

    @property
    def publish_grace(self) -> timedelta:
        s = self.settings
        return timedelta(seconds=s.ACCESS_TOKEN_TTL_SECONDS + s.SIGNING_KEY_CACHE_SECONDS
                         + s.JWT_LEEWAY_SECONDS + 60)

    # ---- rotation -------------------------------------------------------------------------

    async def _new_key(self, session: AsyncSession, now: datetime, reason: str, actor: str,
                       *, active: bool) -> tuple[SigningKey, rsa.RSAPrivateKey]:
        private = await anyio.to_thread.run_sync(
            crypto.generate_private_key, self.settings.JWT_KEY_SIZE
        )
        kid = crypto.new_kid(now)
        key = SigningKey(
            kid=kid, algorithm="RS256",
            private_key_encrypted=crypto.encrypt_private_key(self.cipher, private),
            public_jwk=crypto.public_jwk(private, kid), created_at=now,
            activated_at=now if active else None, reason=reason, created_by=actor,
        )
        session.add(key)
        return key, private

    async def rotate(self, session: AsyncSession, *, reason: str, actor: str) -> RotationResult:
        """Promote the pre-published next key, retire the active one, publish a new next key
        (caller's transaction; serialized by an advisory lock)."""
        await repository.lock_rotation(session)
        now = utcnow()
        previous = await repository.active_keys(session)
        for old in previous:
            old.retired_at = now
            old.publish_until = now + self.publish_grace
        promoted = await repository.next_key(session)
        if promoted is not None:
            try:
                crypto.decrypt_private_key(self.cipher, promoted.private_key_encrypted)
                promoted.activated_at = now
            except crypto.KeyDecryptionError:
                log.warning("jwt_key.undecryptable", kid=promoted.kid)
                promoted.retired_at = promoted.publish_until = now
                promoted = None
        if promoted is None:
            promoted, _ = await self._new_key(session, now, reason, actor, active=True)
        upcoming, _ = await self._new_key(session, now, "next", actor, active=False)
        await session.flush()
        prev = max(previous, key=lambda k: k.activated_at or k.created_at) if previous else None
        await audit.record(
            session, action="jwt_key.rotated", actor=actor, resource_type="jwt_key",
            resource_id=promoted.kid, outcome="success",
            details={"reason": reason, "previous_kid": prev.kid if prev else None,
                     "next_kid": upcoming.kid},
        )
        KEY_ROTATIONS.labels(reason).inc()
        _observe_active(promoted)
        log.info("jwt_key.rotated", kid=promoted.kid, previous_kid=prev.kid if prev else None,
                 next_kid=upcoming.kid, reason=reason)
        return RotationResult(promoted.kid, prev.kid if prev else None,
                              prev.publish_until if prev else None)

    def is_due(self, key: SigningKey, now: datetime) -> bool:
        interval = timedelta(hours=self.settings.JWT_ROTATION_INTERVAL_HOURS)
        return (key.activated_at or key.created_at) + interval <= now

    async def ensure_active(self) -> None:
        """At startup: make sure a usable signing key exists (first start, or the encryption key
        changed in development and the stored key cannot be decrypted)."""
        async with self.sessionmaker() as session, session.begin():
            await repository.lock_rotation(session)
            key = await repository.active_key(session)
            reason = None
            if key is None:
                reason = "initial"
            else:
                try:
                    crypto.decrypt_private_key(self.cipher, key.private_key_encrypted)
                except crypto.KeyDecryptionError:
                    log.warning("jwt_key.undecryptable", kid=key.kid)
                    reason = "undecryptable"
            if reason:
                await self.rotate(session, reason=reason, actor="system")
                return
            _observe_active(key)
            if await repository.next_key(session) is None:
                await self._new_key(session, utcnow(), "next", "system", active=False)

    async def rotate_if_due(self) -> str | None:
        """One scheduler tick. Safe with several instances: only the lock holder rotates, and it
        re-checks the active key under the lock."""
        async with self.sessionmaker() as session, session.begin():
            if not await repository.lock_rotation(session, wait=False):
                return None
            key = await repository.active_key(session)
            if key is not None and not self.is_due(key, utcnow()):
                _observe_active(key)
                return None
            result = await self.rotate(session, reason="scheduled", actor="system")
            return result.kid

    # ---- signing and verification ----------------------------------------------------------

    async def active(self) -> ActiveKey:
        now = time.monotonic()
        if self._active and now - self._active_loaded < self.settings.SIGNING_KEY_CACHE_SECONDS:
            return self._active
        async with self.sessionmaker() as session:
            key = await repository.active_key(session)
        if key is None:
            raise RuntimeError("no active signing key")
        if self._active is None or self._active.kid != key.kid:
            private = crypto.decrypt_private_key(self.cipher, key.private_key_encrypted)
            self._active = ActiveKey(key.kid, private)
        self._active_loaded = now
        return self._active

    async def published(self) -> list[SigningKey]:
        async with self.sessionmaker() as session:
            keys = await repository.published_keys(session, utcnow())
        SIGNING_KEYS_PUBLISHED.set(len(keys))
        return keys

    async def jwks(self) -> dict[str, Any]:
        return {"keys": [k.public_jwk for k in await self.published()]}

    async def public_key(self, kid: str) -> rsa.RSAPublicKey | None:
        """For the module's own verifier. Unknown kids reload at most once a second, so garbage
        tokens cannot hammer the database; keys whose window closed drop out on reload."""
        now = time.monotonic()
        stale = now - self._public_loaded > self.settings.SIGNING_KEY_CACHE_SECONDS
        if stale or (kid not in self._public and now - self._public_loaded > 1.0):
            keys = await self.published()
            self._public = {k.kid: crypto.public_key_from_jwk(k.public_jwk) for k in keys}
            self._public_loaded = now
        return self._public.get(kid)

    def forget_cache(self) -> None:
        self._active, self._active_loaded, self._public_loaded = None, 0.0, 0.0
