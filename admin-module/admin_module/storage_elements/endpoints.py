"""``/api/v1/storage-elements``: the registry. Reads need ``storage:read``, changes
``storage:admin``. Changes are published to discovery after the request commits."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Query, Response

from admin_module.audit import service as audit
from admin_module.db import DbSession
from admin_module.storage_elements import repository as repo
from admin_module.storage_elements import service
from admin_module.storage_elements.context import Plane
from admin_module.storage_elements.schemas import (
    DiscoverPreview,
    DiscoverRequest,
    StorageElementCreate,
    StorageElementRead,
    StorageElementUpdate,
    SyncAllRead,
)
from artstore_common.auth import Principal, StorageAdmin, StorageRead
from artstore_common.contracts import Mode, SEStatus
from artstore_common.pagination import Page, Paging

router = APIRouter(prefix="/storage-elements", tags=["storage-elements"])


def actor(principal: Principal) -> str:
    return principal.name or principal.subject


@router.post("/discover", response_model=DiscoverPreview)
async def discover(
    body: DiscoverRequest, principal: StorageAdmin, session: DbSession, plane: Plane
) -> DiscoverPreview:
    info = await service.probe(plane, body.url)
    existing = await repo.get(session, info.id)
    return DiscoverPreview(**info.model_dump(), api_url=body.url,
                           already_registered=existing is not None)


@router.post("", response_model=StorageElementRead, status_code=201)
async def register(
    body: StorageElementCreate, principal: StorageAdmin, session: DbSession, plane: Plane,
    background: BackgroundTasks,
) -> StorageElementRead:
    se = await service.register(session, plane, body, actor(principal))
    background.add_task(plane.publish)
    return StorageElementRead.of(se)


@router.get("", response_model=Page[StorageElementRead])
async def list_storage_elements(
    principal: StorageRead, session: DbSession, paging: Paging,
    mode: Mode | None = None,
    status: SEStatus | None = None,
    draining: bool | None = None,
    q: Annotated[str | None, Query(max_length=128)] = None,
) -> Page[StorageElementRead]:
    rows, total = await repo.list_page(session, mode=mode, status=status, q=q,
                                       draining=draining, limit=paging.limit,
                                       offset=paging.offset)
    return Page(items=[StorageElementRead.of(se) for se in rows], total=total,
                limit=paging.limit, offset=paging.offset)


@router.post("/sync", response_model=SyncAllRead)
async def sync_all(
    principal: StorageAdmin, session: DbSession, plane: Plane, background: BackgroundTasks
) -> SyncAllRead:
    elements = await service.sync_all(session, plane)
    await audit.record(session, action="storage_element.synced", actor=actor(principal),
                       resource_type="storage_element", resource_id="*",
                       details={se.name: se.status for se in elements})
    background.add_task(plane.publish)
    items = [StorageElementRead.of(se) for se in elements]
    return SyncAllRead(items=items, **{s: sum(1 for i in items if i.status == s)
                                       for s in ("online", "offline", "degraded")})


@router.get("/{se_id}", response_model=StorageElementRead)
async def read(se_id: uuid.UUID, principal: StorageRead, session: DbSession
               ) -> StorageElementRead:
    return StorageElementRead.of(await service.get_or_404(session, se_id))


@router.patch("/{se_id}", response_model=StorageElementRead)
async def update(
    se_id: uuid.UUID, body: StorageElementUpdate, principal: StorageAdmin, session: DbSession,
    plane: Plane, background: BackgroundTasks,
) -> StorageElementRead:
    se = await service.update(session, se_id, body, actor(principal))
    background.add_task(plane.publish)
    return StorageElementRead.of(se)


@router.delete("/{se_id}", status_code=204)
async def delete(
    se_id: uuid.UUID, principal: StorageAdmin, session: DbSession, plane: Plane,
    background: BackgroundTasks,
) -> Response:
    await service.delete(session, plane, se_id, actor(principal))
    background.add_task(plane.publish)
    return Response(status_code=204)


@router.post("/{se_id}/sync", response_model=StorageElementRead)
async def sync_one(
    se_id: uuid.UUID, principal: StorageAdmin, session: DbSession, plane: Plane,
    background: BackgroundTasks,
) -> StorageElementRead:
    se = await service.get_or_404(session, se_id, lock=True)
    if await service.sync(session, plane, se):
        background.add_task(plane.publish)
    await audit.record(session, action="storage_element.synced", actor=actor(principal),
                       resource_type="storage_element", resource_id=se.id,
                       details={"status": se.status, "mode": se.mode, "error": se.last_error})
    return StorageElementRead.of(se)
