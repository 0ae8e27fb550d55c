from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response

from admin_module.admin_users import repository
from admin_module.admin_users.dependencies import UsersService
from admin_module.admin_users.schemas import (
    AdminUserCreate,
    AdminUserRead,
    AdminUserUpdate,
    PasswordReset,
    Role,
    Status,
)
from admin_module.common import SearchText, actor_of
from admin_module.deps import DbSession, Revocations
from artstore_common.auth import AccountsAdmin, AccountsRead
from artstore_common.pagination import Page, Paging

router = APIRouter(prefix="/admin-users", tags=["admin-users"])


@router.post("", status_code=201, response_model=AdminUserRead)
async def create_user(principal: AccountsAdmin, users: UsersService,
                      body: AdminUserCreate) -> AdminUserRead:
    return AdminUserRead.model_validate(await users.create(body, actor_of(principal)))


@router.get("", response_model=Page[AdminUserRead])
async def list_users(principal: AccountsRead, session: DbSession, paging: Paging,
                     role: Role | None = None, status: Status | None = None,
                     q: Annotated[SearchText | None, Query()] = None) -> Page[AdminUserRead]:
    rows, total = await repository.list_users(session, repository.UserFilter(role, status, q),
                                              paging.limit, paging.offset)
    return Page(items=[AdminUserRead.model_validate(r) for r in rows], total=total,
                limit=paging.limit, offset=paging.offset)


@router.get("/{user_id}", response_model=AdminUserRead)
async def read_user(principal: AccountsRead, users: UsersService, user_id: uuid.UUID
                    ) -> AdminUserRead:
    return AdminUserRead.model_validate(await users.get(user_id))


@router.patch("/{user_id}", response_model=AdminUserRead)
async def update_user(principal: AccountsAdmin, users: UsersService, user_id: uuid.UUID,
                      body: AdminUserUpdate, revoker: Revocations) -> AdminUserRead:
    user = await users.update(user_id, body, principal.subject, actor_of(principal))
    if body.model_fields_set & {"role", "status"}:
        await revoker.revoke_subject(str(user_id), "admin_user.changed")
    return AdminUserRead.model_validate(user)


@router.delete("/{user_id}", status_code=204)
async def delete_user(principal: AccountsAdmin, users: UsersService, user_id: uuid.UUID,
                      revoker: Revocations) -> Response:
    await users.delete(user_id, principal.subject, actor_of(principal))
    await revoker.revoke_subject(str(user_id), "admin_user.deleted")
    return Response(status_code=204)


@router.post("/{user_id}/reset-password", response_model=AdminUserRead)
async def reset_password(principal: AccountsAdmin, users: UsersService, user_id: uuid.UUID,
                         body: PasswordReset) -> AdminUserRead:
    user = await users.reset_password(user_id, body.new_password, actor_of(principal))
    return AdminUserRead.model_validate(user)


@router.post("/{user_id}/unlock", response_model=AdminUserRead)
async def unlock_user(principal: AccountsAdmin, users: UsersService, user_id: uuid.UUID
                      ) -> AdminUserRead:
    return AdminUserRead.model_validate(await users.unlock(user_id, actor_of(principal)))
