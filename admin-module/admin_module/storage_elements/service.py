"""Registry rules: discover, register, update, delete (only when empty, or declared lost and
replaced), declare lost, sync, health."""

from __future__ import annotations

import asyncio
import uuid

import httpx
import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from admin_module.audit import service as audit
from admin_module.discovery.repository import bump_version
from admin_module.models.base import utcnow
from admin_module.models.storage_element import StorageElement
from admin_module.storage_elements import repository as repo
from admin_module.storage_elements.context import ControlPlane
from admin_module.storage_elements.errors import (
    SERejected,
    StorageElementAlreadyLost,
    StorageElementBusy,
    StorageElementExists,
    StorageElementNotEmpty,
    StorageElementNotFound,
    StorageElementUnreachable,
)
from admin_module.storage_elements.schemas import StorageElementCreate, StorageElementUpdate
from artstore_common.contracts import InfoRead
from artstore_common.resilience import CircuitOpenError, UpstreamServerError

log = structlog.get_logger(__name__)

UNREACHABLE = (httpx.HTTPError, TimeoutError, OSError, CircuitOpenError, UpstreamServerError,
               SERejected, ValueError)
PUBLISHED_FIELDS = ("name", "api_url", "mode", "status", "draining", "priority",
                    "capacity_bytes", "used_bytes", "file_count", "backend", "failure_domain",
                    "redundant_backend")


async def probe(plane: ControlPlane, api_url: str) -> InfoRead:
    """/info of an SE that may not be registered yet. Every failure gives the same answer
    (refused, timed out, not an SE, bad TLS…): discover must not work as a port prober."""
    try:
        return await plane.client.probe_info(api_url, plane.settings.SE_REQUEST_TIMEOUT_SECONDS,
                                             await plane.client.tokens.probe_token())
    except UNREACHABLE as exc:
        log.info("storage_element.probe_failed", api_url=api_url,
                 error=f"{type(exc).__name__}: {exc}"[:300])
        raise StorageElementUnreachable(
            details={"api_url": api_url, "reason": "no ArtStore storage element answered there"}
        ) from exc


async def get_or_404(session: AsyncSession, se_id: uuid.UUID, *, lock: bool = False
                     ) -> StorageElement:
    se = await repo.get(session, se_id, lock=lock)
    if se is None:
        raise StorageElementNotFound(details={"storage_element_id": str(se_id)})
    return se


def apply_info(se: StorageElement, info: InfoRead) -> None:
    se.mode = info.mode
    se.backend = info.backend
    se.capacity_bytes = info.capacity_bytes
    se.used_bytes = info.used_bytes
    se.file_count = info.file_count
    se.se_version = info.version
    se.status = "degraded" if info.status == "degraded" else "online"
    se.last_seen_at = se.last_checked_at = utcnow()
    se.last_error = None
    se.consecutive_failures = 0


def _published(se: StorageElement) -> tuple[object, ...]:
    return tuple(getattr(se, name) for name in PUBLISHED_FIELDS)


async def register(
    session: AsyncSession, plane: ControlPlane, data: StorageElementCreate, actor: str | None
) -> StorageElement:
    info = await probe(plane, data.url)
    name = data.name or info.name
    if await repo.find_conflict(session, se_id=info.id, api_url=data.url, name=name):
        raise StorageElementExists(details={"id": str(info.id), "api_url": data.url,
                                            "name": name})
    se = StorageElement(
        id=info.id, name=name, description=data.description, api_url=data.url,
        priority=data.priority if data.priority is not None else info.priority,
        retention_days=data.retention_days if data.retention_days is not None
        else info.retention_days,
        retention_warning_days=data.retention_warning_days
        if data.retention_warning_days is not None else plane.settings.SE_RETENTION_WARNING_DAYS,
        draining=False, registered_by=actor, created_at=utcnow(), updated_at=utcnow(),
        failure_domain=data.failure_domain, redundant_backend=data.redundant_backend,
    )
    apply_info(se, info)
    session.add(se)
    await session.flush()
    await bump_version(session)
    await audit.record(session, action="storage_element.registered", actor=actor,
                       resource_type="storage_element", resource_id=se.id,
                       details={"name": se.name, "api_url": se.api_url, "mode": se.mode})
    return se


async def update(
    session: AsyncSession, se_id: uuid.UUID, data: StorageElementUpdate, actor: str | None
) -> StorageElement:
    se = await get_or_404(session, se_id, lock=True)
    changes = data.model_dump(exclude_unset=True)
    if "name" in changes and await repo.name_taken(session, changes["name"], se.id):
        raise StorageElementExists("Another storage element has this name",
                                   details={"name": changes["name"]})
    before = _published(se)
    old = {key: getattr(se, key) for key in changes}
    for key, value in changes.items():
        setattr(se, key, value)
    se.updated_at = utcnow()
    await session.flush()
    if _published(se) != before:
        await bump_version(session)
    await audit.record(session, action="storage_element.updated", actor=actor,
                       resource_type="storage_element", resource_id=se.id,
                       details={"changes": changes, "previous": old})
    return se


async def delete(
    session: AsyncSession, plane: ControlPlane, se_id: uuid.UUID, actor: str | None
) -> None:
    se = await get_or_404(session, se_id, lock=True)
    busy = await repo.active_saga_on(session, str(se.id))
    if busy is not None:
        raise StorageElementBusy(details={"saga_id": str(busy.id), "type": busy.type})
    try:
        info = await plane.client.info(se)
        file_count, used = info.file_count, info.used_bytes
    except UNREACHABLE:
        file_count, used = se.file_count, se.used_bytes  # the last known figures decide
    if file_count > 0 and not await _replaced(session, se):
        raise StorageElementNotEmpty(details={
            "file_count": file_count, "used_bytes": used, "lost": se.lost_at is not None,
            "hint": "declare it lost and let a repair run re-make its copies elsewhere first"})
    await repo.remove(session, se)
    await bump_version(session)
    await audit.record(session, action="storage_element.deleted", actor=actor,
                       resource_type="storage_element", resource_id=se_id,
                       details={"name": se.name, "api_url": se.api_url})


async def _replaced(session: AsyncSession, se: StorageElement) -> bool:
    """A non-empty SE may leave the registry once it was declared lost and a repair scan
    started after that found every file at its target without it (nothing under target)."""
    if se.lost_at is None:
        return False
    scan = await repo.repair_completed_since(session, se.lost_at)
    return scan is not None and not scan.payload.get("under_replicated_count") \
        and not scan.payload.get("lost_count")


async def declare_lost(session: AsyncSession, se_id: uuid.UUID, reason: str,
                       actor: str | None) -> StorageElement:
    """The operator's word that an SE will not come back: its copies stop counting, placement
    stops choosing it (draining), and the repairer re-makes its files elsewhere — reading from
    it too while it still answers, so retiring a working SE this way loses nothing."""
    se = await get_or_404(session, se_id, lock=True)
    if se.lost_at is not None:
        raise StorageElementAlreadyLost(details={"storage_element_id": str(se.id),
                                                 "lost_at": se.lost_at.isoformat()})
    se.lost_at, se.lost_reason, se.draining = utcnow(), reason, True
    se.updated_at = utcnow()
    await session.flush()
    await bump_version(session)
    await audit.record(session, action="storage_element.declared_lost", actor=actor,
                       resource_type="storage_element", resource_id=se.id,
                       details={"name": se.name, "reason": reason, "mode": se.mode,
                                "file_count": se.file_count, "status": se.status})
    return se


async def sync(session: AsyncSession, plane: ControlPlane, se: StorageElement) -> bool:
    """Refresh one SE from its /info; True when what is published changed."""
    before = _published(se)
    try:
        info = await plane.client.info(se)
    except UNREACHABLE as exc:
        se.status = "offline"
        se.last_checked_at = utcnow()
        se.last_error = f"{type(exc).__name__}: {exc}"[:500]
        se.consecutive_failures += 1
    else:
        if info.id != se.id:
            se.status, se.last_error = "offline", f"answers as another SE ({info.id})"
            se.last_checked_at = utcnow()
        else:
            apply_info(se, info)
    changed = _published(se) != before
    if before[PUBLISHED_FIELDS.index("status")] != se.status:
        log.warning("storage_element.status_changed", storage_element=str(se.id), name=se.name,
                    status=se.status, error=se.last_error)
    await session.flush()
    if changed:
        await bump_version(session)
    return changed


async def sync_all(session: AsyncSession, plane: ControlPlane) -> list[StorageElement]:
    elements = await repo.all_elements(session)
    infos = await asyncio.gather(
        *(_info_or_error(plane, se) for se in elements)
    )
    changed = False
    for se, outcome in zip(elements, infos, strict=True):
        before = _published(se)
        if isinstance(outcome, InfoRead) and outcome.id == se.id:
            apply_info(se, outcome)
        else:
            se.status = "offline"
            se.last_checked_at = utcnow()
            se.last_error = str(outcome)[:500]
            se.consecutive_failures += 1
        changed = changed or _published(se) != before
    await session.flush()
    if changed:
        await bump_version(session)
    return elements


async def _info_or_error(plane: ControlPlane, se: StorageElement) -> InfoRead | str:
    try:
        return await plane.client.info(se)
    except UNREACHABLE as exc:
        return f"{type(exc).__name__}: {exc}"


async def poll_health(plane: ControlPlane) -> None:
    """The periodic health poll: sync every SE and republish (also refreshes the TTL)."""
    async with plane.sessionmaker() as session:
        await sync_all(session, plane)
        await session.commit()
    await plane.publish()
