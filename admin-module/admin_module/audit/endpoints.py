from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query

from admin_module.audit import service
from admin_module.audit.repository import AuditFilter
from admin_module.audit.schemas import AuditEventRead, AuditVerifyRead
from admin_module.db import DbSession
from artstore_common.auth import Principal, require_scopes
from artstore_common.auth.scopes import AUDIT_READ
from artstore_common.pagination import Page, Paging

router = APIRouter(prefix="/audit", tags=["audit"])

AuditReader = Annotated[Principal, Depends(require_scopes(AUDIT_READ))]


@router.get("", response_model=Page[AuditEventRead])
async def list_audit(
    principal: AuditReader,
    session: DbSession,
    paging: Paging,
    action: Annotated[str | None, Query(max_length=64)] = None,
    actor: Annotated[str | None, Query(max_length=256)] = None,
    resource_type: Annotated[str | None, Query(max_length=64)] = None,
    resource_id: Annotated[str | None, Query(max_length=256)] = None,
    outcome: Literal["success", "failure", "denied"] | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> Page[AuditEventRead]:
    f = AuditFilter(action, actor, resource_type, resource_id, outcome, since, until)
    rows, total = await service.list_events(session, f, paging.limit, paging.offset)
    return Page(
        items=[AuditEventRead.model_validate(r) for r in rows],
        total=total, limit=paging.limit, offset=paging.offset,
    )


@router.get("/verify", response_model=AuditVerifyRead)
async def verify_audit(principal: AuditReader, session: DbSession) -> AuditVerifyRead:
    result = await service.verify_chain(session)
    return AuditVerifyRead(**result.as_dict())
