"""File actions of the control plane: ``POST /api/v1/files/{file_id}/finalize`` → 202 with the
saga; ``PATCH /api/v1/files/{file_id}`` (metadata, every copy) and ``DELETE`` (edit SEs only).
``files:write`` / ``files:delete``; the uploader's own files, or any file with ``storage:admin``.
``GET /api/v1/files/{file_id}/history`` (``audit:read``): the file's audit entries, oldest first.
``POST /api/v1/files/{file_id}/verify`` (``storage:admin``): check every copy's integrity now;
``PUT /api/v1/files/{file_id}/expires-at`` (``files:write``): a temporary file's expiry, later."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, BackgroundTasks, Response

from admin_module.audit import service as audit
from admin_module.audit.endpoints import page_of
from admin_module.audit.repository import AuditFilter
from admin_module.audit.schemas import AuditEventRead
from admin_module.db import DbSession
from admin_module.files import actions, changes
from admin_module.files.service import start_finalize
from admin_module.sagas.schemas import SagaRead
from admin_module.storage_elements.context import Plane
from artstore_common.auth import AuditRead, FilesDelete, FilesWrite, StorageAdmin
from artstore_common.pagination import Page, Paging

router = APIRouter(prefix="/files", tags=["files"])


@router.post("/{file_id}/finalize", response_model=SagaRead, status_code=202)
async def finalize(
    file_id: uuid.UUID, principal: FilesWrite, session: DbSession, plane: Plane,
    background: BackgroundTasks,
) -> SagaRead:
    saga = await start_finalize(session, plane, file_id, principal.name or principal.subject,
                                principal)
    background.add_task(plane.wake)
    return SagaRead.of(saga)


@router.patch("/{file_id}")
async def update_file(
    file_id: uuid.UUID, body: changes.FileUpdate, principal: FilesWrite, session: DbSession,
    plane: Plane,
) -> dict[str, Any]:
    """The stored attributes after the change (the catalogue follows by event)."""
    return await changes.update(session, plane, file_id, body, principal)


@router.delete("/{file_id}", status_code=204)
async def delete_file(
    file_id: uuid.UUID, principal: FilesDelete, session: DbSession, plane: Plane,
) -> Response:
    await changes.delete(session, plane, file_id, principal)
    return Response(status_code=204)


@router.get("/{file_id}/history", response_model=Page[AuditEventRead])
async def file_history(
    file_id: uuid.UUID, principal: AuditRead, session: DbSession, paging: Paging,
) -> Page[AuditEventRead]:
    """Every audit entry about this file (uploads, reads, downloads, changes, holds,
    retention, deletion), oldest first; who is ``actor`` (``details.subject``), from where
    ``details.source``."""
    rows, total = await audit.list_events(
        session, AuditFilter(resource_type="file", resource_id=str(file_id)),
        paging.limit, paging.offset, oldest_first=True)
    return page_of(rows, total, paging)


@router.post("/{file_id}/verify")
async def verify_file(
    file_id: uuid.UUID, principal: StorageAdmin, session: DbSession, plane: Plane,
) -> dict[str, Any]:
    """Re-hash every copy now; per copy ``outcome`` (ok, mismatch, missing, unreadable, error,
    archived, busy, unreachable), ``quarantined`` and ``last_verified_at``. Audited."""
    return await actions.verify(session, plane, file_id, principal)


@router.put("/{file_id}/expires-at")
async def extend_expiry(
    file_id: uuid.UUID, body: actions.ExpiryChange, principal: FilesWrite, session: DbSession,
    plane: Plane,
) -> dict[str, Any]:
    """Move a temporary file's expiry later on every copy (owner or ``storage:admin``)."""
    return await actions.extend_expiry(session, plane, file_id, body.expires_at, principal)
