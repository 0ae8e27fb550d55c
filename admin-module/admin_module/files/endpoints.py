"""File actions of the control plane: ``POST /api/v1/files/{file_id}/finalize`` → 202 with the
saga; ``PATCH /api/v1/files/{file_id}`` (metadata, every copy) and ``DELETE`` (edit SEs only).
``files:write`` / ``files:delete``; the uploader's own files, or any file with ``storage:admin``."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, BackgroundTasks, Response

from admin_module.db import DbSession
from admin_module.files import changes
from admin_module.files.service import start_finalize
from admin_module.sagas.schemas import SagaRead
from admin_module.storage_elements.context import Plane
from artstore_common.auth import FilesDelete, FilesWrite

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
