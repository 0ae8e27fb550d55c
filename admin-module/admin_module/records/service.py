"""Legal holds: create, place (file by file or by tag), release — each change audited.

A hold is written into the sidecar of every copy (SE ``PUT /files/{id}/holds/{hold}``), so the
SEs themselves refuse to delete a held file on any path, and a catalog rebuilt from the SEs
knows the hold. The admin tables list which files a hold covers. A copy that cannot be
updated (SE away or read-only) is reported; placing and releasing are idempotent, so the
caller repeats them. A hold is marked released only once every copy let it go.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from admin_module.audit import service as audit
from admin_module.disposition.repository import note_retention
from admin_module.files.locate import locate
from admin_module.models.base import utcnow
from admin_module.models.legal_hold import LegalHold, RetentionSchedule
from admin_module.models.storage_element import StorageElement
from admin_module.records import repository as repo
from admin_module.records.schemas import (
    HoldCreate,
    HoldPlacement,
    PlacementResult,
    ScheduleCreate,
)
from admin_module.storage_elements import repository as se_repo
from admin_module.storage_elements.context import ControlPlane
from admin_module.storage_elements.errors import FileNotFound, SERejected, StorageUnavailable
from admin_module.storage_elements.service import UNREACHABLE
from artstore_common.contracts import FileAttributes
from artstore_common.errors import Conflict, NotFound, ValidationFailed

MAX_TAGGED_FILES = 10_000


class HoldNotFound(NotFound):
    code, message = "HOLD_NOT_FOUND", "Legal hold not found"


class HoldReleased(Conflict):
    code, message = "HOLD_RELEASED", "The legal hold was released; create a new one"


class RetainUntilEarlier(Conflict):
    code, message = "RETAIN_UNTIL_EARLIER", "retain_until can only be moved later, never earlier"


class HoldNameTaken(Conflict):
    code, message = "HOLD_NAME_TAKEN", "A legal hold with this name exists"


async def create(session: AsyncSession, body: HoldCreate, actor: str | None) -> LegalHold:
    if await repo.hold_named(session, body.name):
        raise HoldNameTaken(details={"name": body.name})
    hold = LegalHold(id=uuid.uuid4(), name=body.name, reason=body.reason,
                     owner=body.owner or actor or "unknown", created_by=actor, created_at=utcnow())
    session.add(hold)
    await session.flush()
    await audit.record(session, action="legal_hold.created", actor=actor,
                       resource_type="legal_hold", resource_id=hold.id,
                       details={"name": hold.name, "reason": hold.reason, "owner": hold.owner})
    return hold


async def get(session: AsyncSession, hold_id: uuid.UUID, *, lock: bool = False) -> LegalHold:
    hold = await repo.get_hold(session, hold_id, lock=lock)
    if hold is None:
        raise HoldNotFound(details={"hold_id": str(hold_id)})
    return hold


async def _tagged(plane: ControlPlane, ses: Sequence[StorageElement], tag: str
                  ) -> list[uuid.UUID]:
    """Every active file carrying ``tag`` on any SE (the SEs are the truth, not the catalog)."""
    found: dict[uuid.UUID, None] = {}
    for se in ses:
        cursor = None
        while True:
            try:
                page = await plane.client.list_files(se, status="active", cursor=cursor,
                                                     limit=500)
            except UNREACHABLE as exc:
                raise StorageUnavailable("A storage element did not answer its listing",
                                         details={"storage_element_id": str(se.id),
                                                  "error": str(exc)[:200]},
                                         headers={"Retry-After": "30"}) from exc
            found.update((a.file_id, None) for a in page.items if tag in a.tags)
            cursor = page.next_cursor
            if len(found) > MAX_TAGGED_FILES:
                raise ValidationFailed(f"More than {MAX_TAGGED_FILES} files carry this tag",
                                       code="TOO_MANY_FILES", details={"tag": tag})
            if not cursor:
                break
    return list(found)


async def _each_copy(plane: ControlPlane, ses: Sequence[StorageElement], file_id: uuid.UUID,
                     method: str, path: str) -> tuple[bool, list[dict[str, Any]]]:
    """(found anywhere, per-copy failures)."""
    located = await locate(plane, ses, file_id)
    failures = [{"file_id": str(file_id), "storage_element_id": str(se.id),
                 "error": "unreachable"} for se in located.unreachable]
    for se, _ in located.found:
        try:
            await plane.client.records_call(se, method, path)
        except UNREACHABLE as exc:
            failures.append({"file_id": str(file_id), "storage_element_id": str(se.id),
                             "error": getattr(exc, "code", None) or str(exc)[:200]})
    return bool(located.found), failures


async def place(session: AsyncSession, plane: ControlPlane, hold_id: uuid.UUID,
                placement: HoldPlacement, actor: str | None,
                search: Callable[[], Awaitable[list[uuid.UUID]]] | None = None
                ) -> PlacementResult:
    """``search`` gives the files of ``placement.saved_search_id`` (run as the caller)."""
    hold = await get(session, hold_id)
    if hold.released_at is not None:
        raise HoldReleased(details={"hold_id": str(hold_id)})
    ses = await se_repo.all_elements(session)
    if placement.saved_search_id and search:
        file_ids = await search()
    else:
        file_ids = placement.file_ids or await _tagged(plane, ses, placement.tag or "")
    result = PlacementResult(placed=[], not_found=[], failed=[])
    for file_id in dict.fromkeys(file_ids):
        found, failures = await _each_copy(plane, ses, file_id, "PUT",
                                           f"{file_id}/holds/{hold.id}")
        result.failed += failures
        if not found:
            if not failures:
                result.not_found.append(file_id)
            continue
        result.placed.append(file_id)
        await repo.add_file(session, hold.id, file_id, actor)
    for file_id in result.placed:
        await audit.record(session, action="file.hold_placed", actor=actor,
                           resource_type="file", resource_id=file_id,
                           details={"hold_id": str(hold.id), "hold_name": hold.name,
                                    "tag": placement.tag,
                                    "saved_search_id": placement.saved_search_id
                                    and str(placement.saved_search_id)})
    return result


async def release(session: AsyncSession, plane: ControlPlane, hold_id: uuid.UUID, reason: str,
                  actor: str | None) -> LegalHold:
    hold = await get(session, hold_id, lock=True)
    if hold.released_at is not None:
        return hold
    ses = await se_repo.all_elements(session)
    file_ids = await repo.held_file_ids(session, hold.id)
    failed: list[dict[str, Any]] = []
    for file_id in file_ids:
        failed += (await _each_copy(plane, ses, file_id, "DELETE",
                                    f"{file_id}/holds/{hold.id}"))[1]
    if failed:
        raise StorageUnavailable("Some copies still carry the hold; the hold stays active, "
                                 "release it again", details={"failed": failed[:100]},
                                 headers={"Retry-After": "30"})
    hold.released_at, hold.released_by, hold.release_reason = utcnow(), actor, reason
    await session.flush()
    await audit.record(session, action="legal_hold.released", actor=actor,
                       resource_type="legal_hold", resource_id=hold.id,
                       details={"name": hold.name, "reason": reason, "files": len(file_ids)})
    for file_id in file_ids:
        await audit.record(session, action="file.hold_released", actor=actor,
                           resource_type="file", resource_id=file_id,
                           details={"hold_id": str(hold.id), "hold_name": hold.name})
    return hold


async def release_file(session: AsyncSession, plane: ControlPlane, hold_id: uuid.UUID,
                       file_id: uuid.UUID, reason: str, actor: str | None) -> None:
    """Lift an active hold from one file (placed by mistake, or no longer relevant to the
    matter); the hold stays on its other files. ``503`` while a copy still carries it."""
    hold = await get(session, hold_id, lock=True)
    if hold.released_at is not None:
        raise HoldReleased(details={"hold_id": str(hold_id)})
    placed = await repo.placement(session, hold.id, file_id)
    if placed is None:
        raise FileNotFound("The hold is not on this file",
                           details={"hold_id": str(hold_id), "file_id": str(file_id)})
    ses = await se_repo.all_elements(session)
    _, failed = await _each_copy(plane, ses, file_id, "DELETE", f"{file_id}/holds/{hold.id}")
    if failed:
        raise StorageUnavailable("Some copies still carry the hold; release it again",
                                 details={"failed": failed}, headers={"Retry-After": "30"})
    await repo.remove_placement(session, placed)
    await audit.record(session, action="file.hold_released", actor=actor,
                       resource_type="file", resource_id=file_id,
                       details={"hold_id": str(hold.id), "hold_name": hold.name,
                                "reason": reason})


async def set_retain_until(session: AsyncSession, plane: ControlPlane, file_id: uuid.UUID,
                           value: datetime | None | Callable[[FileAttributes], datetime | None],
                           actor: str | None, retention_class: str | None = None
                           ) -> datetime | None:
    """Move the file's retain_until later on every copy. Earlier than any copy's → 409 before
    any copy changes; an SE that still refuses (a racing change) answers the same 409.
    ``None`` keeps the date and records only the class (an event class before its event)."""
    ses = await se_repo.all_elements(session)
    located = await locate(plane, ses, file_id)
    if located.unreachable:
        raise StorageUnavailable("Some storage elements did not answer; try again later",
                                 details={"file_id": str(file_id), "unreachable": [
                                     str(se.id) for se in located.unreachable]},
                                 headers={"Retry-After": "30"})
    if not located.found:
        raise FileNotFound(details={"file_id": str(file_id)})
    if callable(value):  # computed from the file (a retention schedule)
        value = value(located.found[0][1])
    current = max((a.retain_until for _, a in located.found if a.retain_until), default=None)
    if current is not None and value is not None and value < current:
        raise RetainUntilEarlier(details={"file_id": str(file_id),
                                          "retain_until": current.isoformat(),
                                          "requested": value.isoformat()})
    failed: list[dict[str, Any]] = []
    for se, _ in located.found:
        try:
            await plane.client.records_call(se, "PUT", f"{file_id}/retain-until", json={
                "retain_until": value.isoformat() if value else None,
                "retention_class": retention_class})
        except SERejected as exc:
            if exc.code == "RETAIN_UNTIL_EARLIER":
                raise RetainUntilEarlier(details={"file_id": str(file_id),
                                                  "storage_element_id": str(se.id)}) from exc
            failed.append({"storage_element_id": str(se.id), "error": exc.code})
        except UNREACHABLE as exc:
            failed.append({"storage_element_id": str(se.id), "error": str(exc)[:200]})
    first = located.found[0][1]
    if value or current:
        await note_retention(session, file_id, value or current,  # type: ignore[arg-type]
                             retention_class or next((a.retention_class for _, a in located.found
                                                      if a.retention_class), None),
                             first.original_filename, first.size)
    await audit.record(session, action="file.retain_until_set", actor=actor,
                       resource_type="file", resource_id=file_id,
                       details={"from": current.isoformat() if current else None,
                                "to": value.isoformat() if value else None,
                                "retention_class": retention_class,
                                "failed": failed})
    if failed:
        raise StorageUnavailable("Some copies were not updated; set it again",
                                 details={"file_id": str(file_id), "failed": failed},
                                 headers={"Retry-After": "30"})
    return value


class ScheduleNotFound(NotFound):
    code, message = "RETENTION_SCHEDULE_NOT_FOUND", "Retention schedule not found"


class ScheduleNameTaken(Conflict):
    code, message = "RETENTION_SCHEDULE_NAME_TAKEN", "A retention schedule with this name exists"


class TriggerDateMissing(ValidationFailed):
    code = "RETENTION_TRIGGER_MISSING"
    message = "The file's metadata has no usable date for this schedule's trigger"


async def create_schedule(session: AsyncSession, body: ScheduleCreate, actor: str | None
                          ) -> RetentionSchedule:
    if await repo.schedule_named(session, body.name):
        raise ScheduleNameTaken(details={"name": body.name})
    schedule = RetentionSchedule(id=uuid.uuid4(), created_by=actor, created_at=utcnow(),
                                 **body.model_dump())
    session.add(schedule)
    await session.flush()
    await audit.record(session, action="retention_schedule.created", actor=actor,
                       resource_type="retention_schedule", resource_id=schedule.id,
                       details=body.model_dump())
    return schedule


def _end_of(day: date | datetime) -> datetime:
    if isinstance(day, datetime):
        return day
    return datetime.combine(day, time.max, tzinfo=UTC)


def trigger_date(schedule: RetentionSchedule, attrs: FileAttributes) -> datetime | None:
    """The date the period runs from: the upload, an ISO date in the file's metadata, or —
    for an event class — the event recorded on the file (None until then)."""
    if schedule.trigger == "upload":
        return attrs.created_at
    if schedule.trigger == "event":
        return None
    raw = attrs.custom.get(schedule.date_field or "")
    try:
        parsed = datetime.fromisoformat(raw) if isinstance(raw, str) else None
    except ValueError:
        parsed = None
    if parsed is None:
        raise TriggerDateMissing(details={"file_id": str(attrs.file_id),
                                          "date_field": schedule.date_field})
    if len(raw) == 10:  # a plain date: the end of that day, UTC
        parsed = datetime.combine(date.fromisoformat(raw), time.max, tzinfo=UTC)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


async def schedule_named(session: AsyncSession, name: str) -> RetentionSchedule:
    schedule = await repo.schedule_named(session, name)
    if schedule is None:
        raise ScheduleNotFound(details={"schedule": name})
    return schedule


async def assign_class(session: AsyncSession, plane: ControlPlane, file_id: uuid.UUID,
                       name: str, actor: str | None
                       ) -> tuple[RetentionSchedule, datetime | None]:
    schedule = await schedule_named(session, name)

    def until(attrs: FileAttributes) -> datetime | None:
        start = trigger_date(schedule, attrs)
        return start + timedelta(days=schedule.period_days) if start else None

    value = await set_retain_until(session, plane, file_id, until, actor,
                                   retention_class=schedule.name)
    return schedule, value


class NotAnEventClass(Conflict):
    code = "RETENTION_TRIGGER_NOT_EVENT"
    message = "The file has no retention class that counts from an event"


async def record_event(session: AsyncSession, plane: ControlPlane, file_id: uuid.UUID,
                       when: date | datetime, actor: str | None
                       ) -> tuple[RetentionSchedule, datetime]:
    """The event of the file's ``event`` class happened: retain_until = event + period, on
    every copy, only ever later. Audited ``file.retention_event_recorded``."""
    ses = await se_repo.all_elements(session)
    located = await locate(plane, ses, file_id)
    if not located.found:
        if located.unreachable:
            raise StorageUnavailable("Some storage elements did not answer; try again later",
                                     details={"file_id": str(file_id)},
                                     headers={"Retry-After": "30"})
        raise FileNotFound(details={"file_id": str(file_id)})
    name = next((a.retention_class for _, a in located.found if a.retention_class), None)
    schedule = await repo.schedule_named(session, name) if name else None
    if schedule is None or schedule.trigger != "event":
        raise NotAnEventClass(details={"file_id": str(file_id), "retention_class": name})
    value = _end_of(when) + timedelta(days=schedule.period_days)
    await set_retain_until(session, plane, file_id, value, actor, retention_class=schedule.name)
    await audit.record(session, action="file.retention_event_recorded", actor=actor,
                       resource_type="file", resource_id=file_id,
                       details={"date": when.isoformat(), "retention_class": schedule.name,
                                "retain_until": value.isoformat()})
    return schedule, value
