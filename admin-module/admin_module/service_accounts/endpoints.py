from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Body, Depends, Query, Response

from admin_module.common import SearchText, actor_of
from admin_module.deps import AppSettings, DbSession, Hasher, Revocations
from admin_module.service_accounts import repository
from admin_module.service_accounts.schemas import (
    Role,
    SecretHistoryRead,
    SecretRotate,
    ServiceAccountCreate,
    ServiceAccountRead,
    ServiceAccountUpdate,
    ServiceAccountWithSecret,
    Status,
)
from admin_module.service_accounts.service import ServiceAccounts
from artstore_common.auth import AccountsAdmin, AccountsRead
from artstore_common.pagination import Page, Paging

router = APIRouter(prefix="/service-accounts", tags=["service-accounts"])


async def _service(session: DbSession, settings: AppSettings, hasher: Hasher) -> ServiceAccounts:
    return ServiceAccounts(session, settings, hasher)


Service = Annotated[ServiceAccounts, Depends(_service)]


def _with_secret(account, secret: str) -> ServiceAccountWithSecret:
    data = ServiceAccountRead.model_validate(account).model_dump()
    return ServiceAccountWithSecret(**data, client_secret=secret)


@router.post("", status_code=201, response_model=ServiceAccountWithSecret)
async def create_account(principal: AccountsAdmin, service: Service,
                         body: ServiceAccountCreate, response: Response
                         ) -> ServiceAccountWithSecret:
    account, secret = await service.create(body, actor_of(principal))
    response.headers["Cache-Control"] = "no-store"
    return _with_secret(account, secret)


@router.get("", response_model=Page[ServiceAccountRead])
async def list_accounts(
    principal: AccountsRead, session: DbSession, paging: Paging,
    role: Role | None = None, status: Status | None = None,
    q: Annotated[SearchText | None, Query()] = None,
) -> Page[ServiceAccountRead]:
    rows, total = await repository.list_accounts(
        session, repository.AccountFilter(role, status, q), paging.limit, paging.offset
    )
    return Page(items=[ServiceAccountRead.model_validate(r) for r in rows], total=total,
                limit=paging.limit, offset=paging.offset)


@router.get("/{account_id}", response_model=ServiceAccountRead)
async def read_account(principal: AccountsRead, service: Service,
                       account_id: uuid.UUID) -> ServiceAccountRead:
    return ServiceAccountRead.model_validate(await service.get(account_id))


@router.patch("/{account_id}", response_model=ServiceAccountRead)
async def update_account(principal: AccountsAdmin, service: Service, account_id: uuid.UUID,
                         body: ServiceAccountUpdate, revoker: Revocations) -> ServiceAccountRead:
    account = await service.update(account_id, body, actor_of(principal))
    if "role" in body.model_fields_set:  # tokens carry the role: the old ones must go
        await revoker.revoke_subject(str(account_id), "service_account.role_changed")
    return ServiceAccountRead.model_validate(account)


@router.post("/{account_id}/suspend", response_model=ServiceAccountRead)
async def suspend_account(principal: AccountsAdmin, service: Service, revoker: Revocations,
                          account_id: uuid.UUID) -> ServiceAccountRead:
    account = await service.set_status(account_id, "suspended", actor_of(principal))
    await revoker.revoke_subject(str(account_id), "service_account.suspended")
    return ServiceAccountRead.model_validate(account)


@router.post("/{account_id}/activate", response_model=ServiceAccountRead)
async def activate_account(principal: AccountsAdmin, service: Service,
                           account_id: uuid.UUID) -> ServiceAccountRead:
    account = await service.set_status(account_id, "active", actor_of(principal))
    return ServiceAccountRead.model_validate(account)


@router.post("/{account_id}/rotate-secret", response_model=ServiceAccountWithSecret)
async def rotate_secret(principal: AccountsAdmin, service: Service, account_id: uuid.UUID,
                        response: Response,
                        body: Annotated[SecretRotate | None, Body()] = None,
                        ) -> ServiceAccountWithSecret:
    supplied = body.client_secret if body else None
    account, secret = await service.rotate_secret(account_id, actor_of(principal), supplied)
    response.headers["Cache-Control"] = "no-store"
    return _with_secret(account, secret)


@router.delete("/{account_id}", status_code=204)
async def delete_account(principal: AccountsAdmin, service: Service, revoker: Revocations,
                         account_id: uuid.UUID) -> Response:
    await service.delete(account_id, actor_of(principal))
    await revoker.revoke_subject(str(account_id), "service_account.deleted")
    return Response(status_code=204)


@router.get("/{account_id}/secret-history", response_model=Page[SecretHistoryRead])
async def secret_history(principal: AccountsRead, service: Service, session: DbSession,
                         account_id: uuid.UUID, paging: Paging) -> Page[SecretHistoryRead]:
    await service.get(account_id)
    rows, total = await repository.secret_history(session, account_id, paging.limit,
                                                  paging.offset)
    items = [
        SecretHistoryRead.model_validate(r).model_copy(update={"current": r.retired_at is None})
        for r in rows
    ]
    return Page(items=items, total=total, limit=paging.limit, offset=paging.offset)
