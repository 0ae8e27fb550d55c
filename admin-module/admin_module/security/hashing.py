"""Argon2id for client secrets and passwords, run off the event loop.

Parameters are production strength by default; tests lower them through ARGON2_* settings.
"""

from __future__ import annotations

import anyio
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from admin_module.config import Settings


class SecretHasher:
    def __init__(self, settings: Settings) -> None:
        self._hasher = PasswordHasher(
            time_cost=settings.ARGON2_TIME_COST,
            memory_cost=settings.ARGON2_MEMORY_COST_KIB,
            parallelism=settings.ARGON2_PARALLELISM,
        )
        self._dummy: str | None = None

    async def hash(self, secret: str) -> str:
        return await anyio.to_thread.run_sync(self._hasher.hash, secret)

    def _verify(self, hashed: str, secret: str) -> bool:
        try:
            return self._hasher.verify(hashed, secret)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    async def verify(self, hashed: str, secret: str) -> bool:
        return await anyio.to_thread.run_sync(self._verify, hashed, secret)

    async def verify_dummy(self, secret: str) -> None:
        """Spend the same time as a real check when the account does not exist."""
        if self._dummy is None:
            self._dummy = await self.hash("dummy-secret-for-timing")
        await self.verify(self._dummy, secret)

    async def matches_any(self, hashes: list[str], secret: str) -> bool:
        for hashed in hashes:
            if await self.verify(hashed, secret):
                return True
        return False
