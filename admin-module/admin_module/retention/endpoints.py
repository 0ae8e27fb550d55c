"""``POST /api/v1/sagas/retention-cleanup``: start a retention cleanup now (``storage:admin``)."""

from __future__ import annotations

from fastapi import APIRouter

from admin_module.db import DbSession
from admin_module.retention.cleanup import RESOURCE, schedule
from admin_module.sagas import repository as saga_repo
from admin_module.sagas.schemas import SagaRead
from admin_module.storage_elements.context import Plane
from artstore_common.auth import StorageAdmin
from artstore_common.errors import Conflict

router = APIRouter(prefix="/sagas", tags=["sagas"])


class RetentionCleanupRunning(Conflict):
    code, message = "RETENTION_CLEANUP_RUNNING", "A retention cleanup is already running"


@router.post("/retention-cleanup", response_model=SagaRead, status_code=202)
async def run_retention_cleanup(principal: StorageAdmin, plane: Plane,
                                session: DbSession) -> SagaRead:
    """Start a retention cleanup now (it also runs on its schedule); 409 while one runs."""
    saga = await schedule(plane, actor=principal.name or principal.subject)
    if saga is None:
        running = await saga_repo.active(session, "retention_cleanup", RESOURCE)
        raise RetentionCleanupRunning(details={"saga_id": str(running.id) if running else None})
    return SagaRead.of(saga)
