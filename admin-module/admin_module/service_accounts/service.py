"""Service-account rules: one-time secrets, expiry, history, the protected system account."""

from __future__ import annotations

import secrets
import uuid
from datetime import timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from admin_module.audit import service as audit
from admin_module.config import Settings
from admin_module.errors import (
    AccountNotFound,
    Conflict,
    DuplicateName,
    SecretReused,
    SystemAccountProtected,
)
from admin_module.models.base import utcnow
from admin_module.models.service_account import ServiceAccount, ServiceAccountSecret
from admin_module.security.hashing import SecretHasher
from admin_module.service_accounts import repository
from admin_module.service_accounts.schemas import ServiceAccountCreate, ServiceAccountUpdate

RESOURCE = "service_account"


def generate_secret() -> str:
    return secrets.token_urlsafe(48)


def generate_client_id() -> str:
    return f"sa-{secrets.token_hex(8)}"


class ServiceAccounts:
    def __init__(self, session: AsyncSession, settings: Settings, hasher: SecretHasher) -> None:
        self.session = session
        self.settings = settings
        self.hasher = hasher

    async def get(self, account_id: uuid.UUID, *, for_update: bool = False) -> ServiceAccount:
        account = await repository.get(self.session, account_id, for_update=for_update)
        if account is None or account.status == "deleted":
            raise AccountNotFound(details={"id": str(account_id)})
        return account

    def _expiry(self, is_system: bool):
        # The system account's secret is managed through the environment, so it does not expire.
        return None if is_system else utcnow() + timedelta(days=self.settings.SECRET_TTL_DAYS)

    async def _set_secret(self, account: ServiceAccount, secret: str, reason: str,
                          actor: str) -> None:
        hashed = await self.hasher.hash(secret)
        now = utcnow()
        account.secret_hash = hashed
        account.secret_created_at = now
        account.secret_expires_at = self._expiry(account.is_system)
        await repository.retire_current_secret(self.session, account.id)
        self.session.add(ServiceAccountSecret(
            account_id=account.id, secret_hash=hashed, created_at=now,
            expires_at=account.secret_expires_at, reason=reason, created_by=actor,
        ))

    async def create(self, data: ServiceAccountCreate, actor: str, *, secret: str | None = None,
                     is_system: bool = False) -> tuple[ServiceAccount, str]:
        client_id = data.client_id or generate_client_id()
        if await repository.get_by_client_id(self.session, client_id) is not None:
            raise DuplicateName("client_id is already taken", details={"client_id": client_id})
        secret = secret or generate_secret()
        account = ServiceAccount(
            id=uuid.uuid4(), client_id=client_id, name=data.name, description=data.description,
            role=data.role, status="active", is_system=is_system,
            rate_limit_per_minute=data.rate_limit_per_minute, secret_hash="", created_by=actor,
        )
        self.session.add(account)
        try:
            await self.session.flush()
        except IntegrityError as exc:
            raise DuplicateName("client_id is already taken",
                                details={"client_id": client_id}) from exc
        await self._set_secret(account, secret, "created", actor)
        await self.session.flush()
        await audit.record(self.session, action="service_account.created", actor=actor,
                           resource_type=RESOURCE, resource_id=account.id,
                           details={"client_id": client_id, "role": data.role,
                                    "is_system": is_system})
        return account, secret

    async def update(self, account_id: uuid.UUID, data: ServiceAccountUpdate,
                     actor: str) -> ServiceAccount:
        account = await self.get(account_id, for_update=True)
        changes = data.model_dump(exclude_unset=True)
        if changes.get("role") is None:
            changes.pop("role", None)
        if changes.get("name") is None:
            changes.pop("name", None)
        if account.is_system and "role" in changes and changes["role"] != account.role:
            raise SystemAccountProtected("The system account cannot be demoted")
        before = {k: getattr(account, k) for k in changes}
        for key, value in changes.items():
            setattr(account, key, value)
        await self.session.flush()
        await audit.record(self.session, action="service_account.updated", actor=actor,
                           resource_type=RESOURCE, resource_id=account.id,
                           details={"before": before, "after": changes})
        return account

    async def set_status(self, account_id: uuid.UUID, target: str, actor: str) -> ServiceAccount:
        account = await self.get(account_id, for_update=True)
        if account.is_system and target != "active":
            raise SystemAccountProtected()
        expected = "active" if target == "suspended" else "suspended"
        if account.status != expected:
            raise Conflict(f"The account is {account.status}", code="INVALID_STATE",
                           details={"status": account.status})
        account.status = target
        await self.session.flush()
        action = "service_account.suspended" if target == "suspended" else \
            "service_account.activated"
        await audit.record(self.session, action=action, actor=actor, resource_type=RESOURCE,
                           resource_id=account.id, details={"client_id": account.client_id})
        return account

    async def delete(self, account_id: uuid.UUID, actor: str) -> None:
        account = await self.get(account_id, for_update=True)
        if account.is_system:
            raise SystemAccountProtected()
        account.status = "deleted"
        account.deleted_at = utcnow()
        await self.session.flush()
        await audit.record(self.session, action="service_account.deleted", actor=actor,
                           resource_type=RESOURCE, resource_id=account.id,
                           details={"client_id": account.client_id})

    async def rotate_secret(self, account_id: uuid.UUID, actor: str,
                            new_secret: str | None = None, reason: str = "rotated",
                            check_history: bool = True) -> tuple[ServiceAccount, str]:
        account = await self.get(account_id, for_update=True)
        if new_secret is not None and check_history:
            recent = await repository.recent_secret_hashes(
                self.session, account.id, self.settings.SECRET_HISTORY_SIZE
            )
            if await self.hasher.matches_any(recent, new_secret):
                raise SecretReused(details={"history_size": self.settings.SECRET_HISTORY_SIZE})
        secret = new_secret or generate_secret()
        await self._set_secret(account, secret, reason, actor)
        await self.session.flush()
        await audit.record(self.session, action="service_account.secret_rotated", actor=actor,
                           resource_type=RESOURCE, resource_id=account.id,
                           details={"client_id": account.client_id, "reason": reason,
                                    "caller_supplied": new_secret is not None})
        return account, secret
