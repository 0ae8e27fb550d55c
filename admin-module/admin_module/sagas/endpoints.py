"""``/api/v1/sagas``: progress and failures of coordinated operations (``storage:read``)."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Query

from admin_module.db import DbSession
from admin_module.sagas import repository as repo
from admin_module.sagas.schemas import SagaRead
from admin_module.sagas.service import get_or_404_saga
from artstore_common.auth import StorageRead as SagaReader
from artstore_common.pagination import Page, Paging

router = APIRouter(prefix="/sagas", tags=["sagas"])


SagaTypeName = Literal["mode_transition", "finalize", "retention_cleanup"]
SagaState = Literal["running", "compensating", "completed", "compensated", "failed"]


@router.get("", response_model=Page[SagaRead])
async def list_sagas(
    principal: SagaReader, session: DbSession, paging: Paging,
    type: SagaTypeName | None = None,
    state: SagaState | None = None,
    resource_id: Annotated[str | None, Query(max_length=64)] = None,
) -> Page[SagaRead]:
    rows, total = await repo.list_page(session, type_=type, state=state,
                                       resource_id=resource_id, limit=paging.limit,
                                       offset=paging.offset)
    return Page(items=[SagaRead.of(s) for s in rows], total=total, limit=paging.limit,
                offset=paging.offset)


@router.get("/{saga_id}", response_model=SagaRead)
async def read_saga(saga_id: uuid.UUID, principal: SagaReader, session: DbSession) -> SagaRead:
    return SagaRead.of(await get_or_404_saga(session, saga_id))
