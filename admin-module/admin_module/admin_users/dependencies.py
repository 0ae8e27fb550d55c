from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from admin_module.admin_users import repository
from admin_module.admin_users.auth_service import AdminAuth
from admin_module.admin_users.service import AdminUsers
from admin_module.db import DbSession
from admin_module.models.admin_user import AdminUser
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


def _users(request: Request, session: DbSession) -> AdminUsers:
    return AdminUsers(session, request.app.state.settings, request.app.state.hasher)


def _auth(request: Request) -> AdminAuth:
    return request.app.state.admin_auth


UsersService = Annotated[AdminUsers, Depends(_users)]
AuthService = Annotated[AdminAuth, Depends(_auth)]
