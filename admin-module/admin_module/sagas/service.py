"""Starting and reading sagas."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from admin_module.audit import service as audit
from admin_module.models.saga import Saga
from admin_module.sagas import repository as repo
from admin_module.sagas.engine import new_saga
from admin_module.storage_elements import repository as se_repo
from admin_module.storage_elements.context import ControlPlane
from admin_module.storage_elements.errors import (
    InvalidModeTransition,
    SagaNotFound,
    StorageElementBusy,
)
from admin_module.storage_elements.schemas import ModeChangeRequest
from admin_module.storage_elements.service import get_or_404

ALLOWED_TRANSITIONS = {("rw", "ro"), ("ro", "ar")}


async def get_or_404_saga(session: AsyncSession, saga_id: uuid.UUID) -> Saga:
    saga = await repo.get(session, saga_id)
    if saga is None:
        raise SagaNotFound(details={"saga_id": str(saga_id)})
    return saga


async def start_mode_transition(
    session: AsyncSession, plane: ControlPlane, se_id: uuid.UUID, body: ModeChangeRequest,
    actor: str | None,
) -> Saga:
    se = await get_or_404(session, se_id, lock=True)  # serializes requests for this SE
    if (se.mode, body.target_mode) not in ALLOWED_TRANSITIONS:
        raise InvalidModeTransition(
            f"{se.mode} → {body.target_mode} is not allowed",
            details={"from": se.mode, "to": body.target_mode,
                     "allowed": [f"{a}→{b}" for a, b in sorted(ALLOWED_TRANSITIONS)]},
        )
    busy = await se_repo.active_saga_on(session, str(se.id))
    if busy is not None:
        raise StorageElementBusy(details={"saga_id": str(busy.id), "type": busy.type})
    saga = new_saga("mode_transition", str(se.id), {
        "storage_element_id": str(se.id), "name": se.name, "from_mode": se.mode,
        "target_mode": body.target_mode, "reason": body.reason,
    }, actor)
    session.add(saga)
    await session.flush()
    await audit.record(session, action="storage_element.mode_change_requested", actor=actor,
                       resource_type="storage_element", resource_id=se.id,
                       details={"from": se.mode, "to": body.target_mode, "reason": body.reason,
                                "saga_id": str(saga.id)})
    return saga
