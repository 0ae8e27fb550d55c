"""``POST /api/v1/files/{file_id}/finalize`` (``files:write``; the uploader's own files, or
any file with ``storage:admin``) → 202 with the saga."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, BackgroundTasks

from admin_module.db import DbSession
from admin_module.files.service import start_finalize
from admin_module.sagas.schemas import SagaRead
from admin_module.storage_elements.context import Plane
from artstore_common.auth import FilesWrite

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
