"""Admin-user rules: password policy and history, the last super_admin, self-protection."""

from __future__ import annotations

import uuid

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from admin_module.admin_users import repository
from admin_module.admin_users.schemas import AdminUserCreate, AdminUserUpdate
from admin_module.audit import service as audit
from admin_module.config import Settings
from admin_module.errors import (
    Conflict,
    DuplicateName,
    Forbidden,
    PasswordPolicyViolation,
    SecretReused,
    UserNotFound,
)
from admin_module.models.admin_user import AdminUser, PasswordHistory
from admin_module.models.base import utcnow
from admin_module.security.hashing import SecretHasher
from admin_module.security.passwords import password_problems

RESOURCE = "admin_user"


class AdminUsers:
    def __init__(self, session: AsyncSession, settings: Settings, hasher: SecretHasher) -> None:
        self.session = session
        self.settings = settings
        self.hasher = hasher

    async def get(self, user_id: uuid.UUID, *, for_update: bool = False) -> AdminUser:
        user = await repository.get(self.session, user_id, for_update=for_update)
        if user is None or user.status == "deleted":
            raise UserNotFound(details={"id": str(user_id)})
        return user

    def check_policy(self, password: str, username: str) -> None:
        problems = password_problems(password, username=username,
                                     min_length=self.settings.PASSWORD_MIN_LENGTH)
        if problems:
            raise PasswordPolicyViolation(details={"problems": problems})

    async def set_password(self, user: AdminUser, password: str, *, check_history: bool,
                           enforce_policy: bool = True) -> None:
        if enforce_policy:
            self.check_policy(password, user.username)
        if check_history and self.settings.PASSWORD_HISTORY_SIZE:
            recent = await repository.recent_password_hashes(
                self.session, user.id, self.settings.PASSWORD_HISTORY_SIZE)
            if await self.hasher.matches_any(recent, password):
                raise SecretReused("The password was used recently",
                                   details={"history_size": self.settings.PASSWORD_HISTORY_SIZE})
        hashed = await self.hasher.hash(password)
        user.password_hash = hashed
        user.password_changed_at = utcnow()
        self.session.add(PasswordHistory(user_id=user.id, password_hash=hashed))
        await self.session.flush()
        await repository.trim_password_history(
            self.session, user.id, max(self.settings.PASSWORD_HISTORY_SIZE, 1))

    async def create(self, data: AdminUserCreate, actor: str, *, is_system: bool = False,
                     enforce_policy: bool = True) -> AdminUser:
        username = data.username.lower()
        if await repository.get_by_username(self.session, username) is not None:
            raise DuplicateName("username is already taken", details={"username": username})
        if enforce_policy:
            self.check_policy(data.password, username)
        user = AdminUser(id=uuid.uuid4(), username=username, email=data.email,
                         full_name=data.full_name, role=data.role, status="active",
                         is_system=is_system, password_hash="")
        self.session.add(user)
        try:
            await self.session.flush()
        except IntegrityError as exc:
            raise DuplicateName("username is already taken",
                                details={"username": username}) from exc
        await self.set_password(user, data.password, check_history=False,
                                enforce_policy=enforce_policy)
        await self.session.flush()
        await audit.record(self.session, action="admin_user.created", actor=actor,
                           resource_type=RESOURCE, resource_id=user.id,
                           details={"username": username, "role": data.role})
        return user

    async def _guard_last_super_admin(self, user: AdminUser) -> None:
        if user.role == "super_admin" and user.status == "active":
            if await repository.count_active_super_admins(self.session) <= 1:
                raise Conflict("The last active super_admin cannot be demoted, disabled or "
                               "deleted", code="LAST_SUPER_ADMIN")

    async def update(self, user_id: uuid.UUID, data: AdminUserUpdate, actor_id: str,
                     actor: str) -> AdminUser:
        user = await self.get(user_id, for_update=True)
        changes = {k: v for k, v in data.model_dump(exclude_unset=True).items()
                   if v is not None or k in ("email", "full_name")}
        demote = "role" in changes and changes["role"] != user.role
        disable = changes.get("status") == "disabled" and user.status != "disabled"
        if (demote or disable) and str(user.id) == actor_id:
            raise Conflict("You cannot change your own role or disable yourself",
                           code="SELF_MODIFICATION")
        if demote or disable:
            await self._guard_last_super_admin(user)
        before = {k: getattr(user, k) for k in changes}
        for key, value in changes.items():
            setattr(user, key, value)
        if disable:
            await repository.revoke_user_tokens(self.session, user.id, "disabled")
        await self.session.flush()
        await audit.record(self.session, action="admin_user.updated", actor=actor,
                           resource_type=RESOURCE, resource_id=user.id,
                           details={"before": before, "after": changes})
        return user

    async def delete(self, user_id: uuid.UUID, actor_id: str, actor: str) -> None:
        user = await self.get(user_id, for_update=True)
        if str(user.id) == actor_id:
            raise Conflict("You cannot delete yourself", code="SELF_MODIFICATION")
        await self._guard_last_super_admin(user)
        user.status = "deleted"
        user.deleted_at = utcnow()
        await repository.revoke_user_tokens(self.session, user.id, "deleted")
        await self.session.flush()
        await audit.record(self.session, action="admin_user.deleted", actor=actor,
                           resource_type=RESOURCE, resource_id=user.id,
                           details={"username": user.username})

    async def reset_password(self, user_id: uuid.UUID, password: str, actor: str) -> AdminUser:
        user = await self.get(user_id, for_update=True)
        await self.set_password(user, password, check_history=True)
        user.failed_login_count, user.first_failed_at, user.locked_until = 0, None, None
        await repository.revoke_user_tokens(self.session, user.id, "password_reset")
        await self.session.flush()
        await audit.record(self.session, action="admin_user.password_reset", actor=actor,
                           resource_type=RESOURCE, resource_id=user.id)
        return user

    async def change_own_password(self, user: AdminUser, current: str, new: str) -> None:
        if not await self.hasher.verify(user.password_hash, current):
            raise Forbidden("The current password is wrong", code="INVALID_CURRENT_PASSWORD")
        await self.set_password(user, new, check_history=True)
        await repository.revoke_user_tokens(self.session, user.id, "password_changed")
        await self.session.flush()
        await audit.record(self.session, action="admin_user.password_changed",
                           actor=user.username, resource_type=RESOURCE, resource_id=user.id)

    async def unlock(self, user_id: uuid.UUID, actor: str) -> AdminUser:
        user = await self.get(user_id, for_update=True)
        user.failed_login_count, user.first_failed_at, user.locked_until = 0, None, None
        await self.session.flush()
        await audit.record(self.session, action="admin_user.unlocked", actor=actor,
                           resource_type=RESOURCE, resource_id=user.id)
        return user
