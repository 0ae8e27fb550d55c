"""``POST /api/v1/storage-elements/{se_id}/mode``: start a mode transition saga.

It lives with the saga it starts, not in ``storage_elements``: the sagas package builds on
storage_elements (plane, client, registry), so the registry's endpoints must not import it back.
"""

from __future__ import annotations

import uuid

from fastapi import APIRouter, BackgroundTasks

from admin_module.db import DbSession
from admin_module.sagas import service as sagas
from admin_module.sagas.schemas import SagaRead
from admin_module.storage_elements.context import Plane
from admin_module.storage_elements.schemas import ModeChangeRequest
from artstore_common.auth import StorageAdmin

router = APIRouter(prefix="/storage-elements", tags=["storage-elements"])


@router.post("/{se_id}/mode", response_model=SagaRead, status_code=202)
async def change_mode(
    se_id: uuid.UUID, body: ModeChangeRequest, principal: StorageAdmin, session: DbSession,
    plane: Plane, background: BackgroundTasks,
) -> SagaRead:
    actor = principal.name or principal.subject
    saga = await sagas.start_mode_transition(session, plane, se_id, body, actor)
    background.add_task(plane.wake)
    return SagaRead.of(saga)
