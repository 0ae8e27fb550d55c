from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from admin_module.admin_users import repository
from admin_module.admin_users.auth_service import AdminAuth
from admin_module.admin_users.service import AdminUsers
from admin_module.deps import AppSettings, DbSession, Hasher
from admin_module.models.admin_user import AdminUser
from artstore_common.app import from_state
from artstore_common.auth import Principal, authenticate
from artstore_common.auth.dependencies import declare_auth
from artstore_common.auth.scopes import ADMIN_USER_ROLES
from artstore_common.errors import Forbidden, Unauthorized


@dataclass
class CurrentAdmin:
    principal: Principal
    user: AdminUser


async def _current_admin(request: Request, session: DbSession) -> CurrentAdmin:
    principal = await authenticate(request)
    if principal.principal_type != "admin_user":
        raise Forbidden("Only admin users can do this", code="NOT_AN_ADMIN_USER")
    if principal.role not in ADMIN_USER_ROLES:
        raise Forbidden("The token's role grants nothing here", code="INSUFFICIENT_SCOPE")
    try:
        user_id = uuid.UUID(principal.subject)
    except ValueError as exc:
        raise Unauthorized("The token's subject is not an admin user",
                           code="INVALID_TOKEN") from exc
    user = await repository.get(session, user_id)
    if user is None or user.status != "active":
        raise Unauthorized("The admin user no longer exists or is disabled", code="INVALID_TOKEN")
    return CurrentAdmin(principal, user)


declare_auth(_current_admin, principal_type="admin_user")
CurrentAdminDep = Annotated[CurrentAdmin, Depends(_current_admin)]


async def _users(session: DbSession, settings: AppSettings, hasher: Hasher) -> AdminUsers:
    return AdminUsers(session, settings, hasher)


UsersService = Annotated[AdminUsers, Depends(_users)]
AuthService = Annotated[AdminAuth, Depends(from_state("admin_auth"))]
