"""``/api/v1/legal-holds``: read with ``records:read`` (RECORDS_MANAGER, AUDITOR, admins),
change with ``records:write`` (RECORDS_MANAGER, ADMIN, super_admin)."""

from __future__ import annotations

import uuid
from typing import Literal

from fastapi import APIRouter, BackgroundTasks, Request

from admin_module.config import get_settings
from admin_module.db import DbSession
from admin_module.records import published, repository, service
from admin_module.records.schemas import (
    ClassAssigned,
    ClassAssignment,
    HoldCreate,
    HoldFileRead,
    HoldPlacement,
    HoldRead,
    HoldRelease,
    PlacementResult,
    RetainUntilChange,
    RetentionEvent,
    ScheduleCreate,
    ScheduleRead,
)
from admin_module.records.searched import searched
from admin_module.storage_elements.context import Plane
from artstore_common.auth import Principal, RecordsRead, RecordsWrite, bearer_token
from artstore_common.pagination import Page, Paging

router = APIRouter(prefix="/legal-holds", tags=["records"])
retention_router = APIRouter(tags=["records"])

def _actor(principal: Principal) -> str:
    return principal.name or principal.subject


def _read(hold, count: int) -> HoldRead:
    return HoldRead.model_validate(hold).model_copy(update={
        "status": "released" if hold.released_at else "active", "file_count": count})


@router.post("", response_model=HoldRead, status_code=201)
async def create_hold(body: HoldCreate, principal: RecordsWrite, session: DbSession) -> HoldRead:
    return _read(await service.create(session, body, _actor(principal)), 0)


@router.get("", response_model=Page[HoldRead])
async def list_holds(principal: RecordsRead, session: DbSession, paging: Paging,
                     status: Literal["active", "released"] | None = None) -> Page[HoldRead]:
    rows, total = await repository.list_holds(session, status, paging.limit, paging.offset)
    counts = await repository.file_counts(session, [h.id for h in rows])
    return Page(items=[_read(h, counts.get(h.id, 0)) for h in rows], total=total,
                limit=paging.limit, offset=paging.offset)


@router.get("/{hold_id}", response_model=HoldRead)
async def get_hold(hold_id: uuid.UUID, principal: RecordsRead, session: DbSession) -> HoldRead:
    hold = await service.get(session, hold_id)
    return _read(hold, (await repository.file_counts(session, [hold.id])).get(hold.id, 0))


@router.get("/{hold_id}/files", response_model=Page[HoldFileRead])
async def hold_files(hold_id: uuid.UUID, principal: RecordsRead, session: DbSession,
                     paging: Paging) -> Page[HoldFileRead]:
    await service.get(session, hold_id)
    rows, total = await repository.list_files(session, hold_id, paging.limit, paging.offset)
    return Page(items=[HoldFileRead.model_validate(r) for r in rows], total=total,
                limit=paging.limit, offset=paging.offset)


@router.post("/{hold_id}/files", response_model=PlacementResult)
async def place_hold(hold_id: uuid.UUID, body: HoldPlacement, principal: RecordsWrite,
                     session: DbSession, plane: Plane, request: Request) -> PlacementResult:
    """Place the hold on each file (every copy's sidecar). Copies that could not be updated
    are listed in ``failed``; placing again is harmless. A saved search (the caller's own)
    runs at the query module with the caller's token."""
    async def search() -> list[uuid.UUID]:
        return await searched(session, get_settings(), body.saved_search_id,
                              principal.subject, bearer_token(request), service.MAX_TAGGED_FILES)
    return await service.place(session, plane, hold_id, body, _actor(principal), search)


@router.post("/{hold_id}/release", response_model=HoldRead)
async def release_hold(hold_id: uuid.UUID, body: HoldRelease, principal: RecordsWrite,
                       session: DbSession, plane: Plane) -> HoldRead:
    """Lift the hold from every copy, then mark it released (audited). ``503`` when a copy
    could not be reached: the hold stays active; release again."""
    hold = await service.release(session, plane, hold_id, body.reason, _actor(principal))
    return _read(hold, (await repository.file_counts(session, [hold.id])).get(hold.id, 0))


@router.post("/{hold_id}/files/{file_id}/release", status_code=204)
async def release_file(hold_id: uuid.UUID, file_id: uuid.UUID, body: HoldRelease,
                       principal: RecordsWrite, session: DbSession, plane: Plane) -> None:
    """Lift the hold from this one file's copies (audited ``file.hold_released`` with the
    reason); the hold stays active on its other files."""
    await service.release_file(session, plane, hold_id, file_id, body.reason, _actor(principal))


@retention_router.put("/files/{file_id}/retain-until", response_model=RetainUntilChange)
async def set_retain_until(file_id: uuid.UUID, body: RetainUntilChange, principal: RecordsWrite,
                           session: DbSession, plane: Plane) -> RetainUntilChange:
    """Keep the file (every copy) at least until then; only ever later
    (``409 RETAIN_UNTIL_EARLIER``). Audited."""
    value = await service.set_retain_until(session, plane, file_id, body.retain_until,
                                           _actor(principal))
    return RetainUntilChange(retain_until=value)


@retention_router.post("/retention-schedules", response_model=ScheduleRead, status_code=201)
async def create_schedule(body: ScheduleCreate, principal: RecordsWrite, session: DbSession,
                          request: Request, background: BackgroundTasks) -> ScheduleRead:
    schedule = await service.create_schedule(session, body, _actor(principal))
    # After the commit (the response is sent then); the periodic republishing covers a failure.
    background.add_task(published.publish, request.app.state.redis, published.wire(schedule))
    return ScheduleRead.model_validate(schedule)


@retention_router.get("/retention-schedules", response_model=Page[ScheduleRead])
async def list_schedules(principal: RecordsRead, session: DbSession, paging: Paging
                         ) -> Page[ScheduleRead]:
    rows, total = await repository.list_schedules(session, paging.limit, paging.offset)
    return Page(items=[ScheduleRead.model_validate(r) for r in rows], total=total,
                limit=paging.limit, offset=paging.offset)


@retention_router.get("/retention-schedules/{name}", response_model=ScheduleRead)
async def get_schedule(name: str, principal: RecordsRead, session: DbSession) -> ScheduleRead:
    """One schedule by its name (the retention class a file is given)."""
    return ScheduleRead.model_validate(await service.schedule_named(session, name))


@retention_router.put("/files/{file_id}/retention-class", response_model=ClassAssigned)
async def assign_class(file_id: uuid.UUID, body: ClassAssignment, principal: RecordsWrite,
                       session: DbSession, plane: Plane) -> ClassAssigned:
    """Give the file a retention class: its retain_until becomes trigger date + period on
    every copy — only ever later (``409 RETAIN_UNTIL_EARLIER``). Audited."""
    schedule, value = await service.assign_class(session, plane, file_id, body.schedule,
                                                 _actor(principal))
    return ClassAssigned(schedule=schedule.name, action=schedule.action, retain_until=value)


@retention_router.post("/files/{file_id}/retention-event", response_model=ClassAssigned)
async def record_retention_event(file_id: uuid.UUID, body: RetentionEvent,
                                 principal: RecordsWrite, session: DbSession, plane: Plane
                                 ) -> ClassAssigned:
    """The event the file's ``event`` class counts from happened on ``date``: retain_until
    becomes that date + the period (only ever later). ``409 RETENTION_TRIGGER_NOT_EVENT``
    when the file's class counts from something else. Audited."""
    schedule, value = await service.record_event(session, plane, file_id, body.when,
                                                 _actor(principal))
    return ClassAssigned(schedule=schedule.name, action=schedule.action, retain_until=value)
