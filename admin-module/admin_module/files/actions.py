"""File-page actions of the console (issue 16): check every copy's integrity now, and move a
temporary file's expiry later on every copy.

Integrity: each SE holding a copy re-hashes it and records the outcome exactly as its fixity
scrubber does (a mismatch quarantines that copy, and the repairer replaces it from a healthy
one); the answer is per copy. Expiry: the same all-or-nothing rules as editing a file
(``changes``): owner or ``storage:admin``, every copy reachable, checked before any changes.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime, timedelta
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict
from sqlalchemy.ext.asyncio import AsyncSession

from admin_module.audit import service as audit
from admin_module.files.changes import EDITABLE_MODES, _copies, _refuse_modes, _rejected
from admin_module.files.locate import locate
from admin_module.models.base import utcnow
from admin_module.models.storage_element import StorageElement
from admin_module.storage_elements import repository as se_repo
from admin_module.storage_elements.context import ControlPlane
from admin_module.storage_elements.errors import FileNotFound, SERejected, StorageUnavailable
from admin_module.storage_elements.service import UNREACHABLE
from artstore_common.auth import Principal
from artstore_common.contracts import TTL_DAYS_MAX
from artstore_common.errors import Conflict, ValidationFailed

# What an SE answers for one copy, beyond ok/mismatch/missing/unreadable/error of the check.
NOT_CHECKED = {"FILE_ARCHIVED": "archived", "FILE_BUSY": "busy"}


def _copy(se: StorageElement, **result: Any) -> dict[str, Any]:
    return {"storage_element_id": str(se.id), "storage_element_name": se.name,
            "mode": se.mode, "outcome": "error", "fixity_status": None, "quarantined": None,
            "last_verified_at": None, "message": None, **result}


async def _verify_copy(plane: ControlPlane, se: StorageElement, file_id: uuid.UUID,
                       last_verified: datetime | None) -> dict[str, Any]:
    try:
        answer = await plane.client.verify_file(se, file_id)
    except SERejected as exc:
        return _copy(se, outcome=NOT_CHECKED.get(exc.code, "error"), message=exc.message,
                     last_verified_at=last_verified.isoformat() if last_verified else None)
    except UNREACHABLE as exc:
        return _copy(se, outcome="unreachable", message=str(exc)[:200] or type(exc).__name__)
    if answer is None:  # gone between locating and checking
        return _copy(se, outcome="missing", message="The storage element no longer holds it")
    verified = answer.last_verified_at
    return _copy(se, outcome=answer.outcome, fixity_status=answer.fixity_status,
                 quarantined=answer.quarantined,
                 last_verified_at=verified.isoformat() if verified else None)


async def verify(session: AsyncSession, plane: ControlPlane, file_id: uuid.UUID,
                 principal: Principal) -> dict[str, Any]:
    elements = await se_repo.all_elements(session)
    located = await locate(plane, elements, file_id)
    if not located.found:
        if located.unreachable:
            raise StorageUnavailable("Some storage elements did not answer; try again later",
                                     details={"file_id": str(file_id), "unreachable": [
                                         str(se.id) for se in located.unreachable]},
                                     headers={"Retry-After": "30"})
        raise FileNotFound(details={"file_id": str(file_id)})
    copies = list(await asyncio.gather(*(
        _verify_copy(plane, se, file_id, attrs.last_verified_at)
        for se, attrs in located.found)))
    # A copy the file's copy set names on an SE that did not answer was not checked: say so.
    named = {c for _, attrs in located.found for c in attrs.copies}
    copies += [_copy(se, outcome="unreachable", message="The storage element did not answer")
               for se in located.unreachable if se.id in named]
    copies.sort(key=lambda c: c["storage_element_name"])
    await audit.record(session, action="file.verified", actor=principal.name or principal.subject,
                       resource_type="file", resource_id=str(file_id),
                       outcome="success" if all(c["outcome"] == "ok" for c in copies)
                       else "failure",
                       details={"copies": {c["storage_element_id"]: c["outcome"]
                                           for c in copies}})
    return {"file_id": str(file_id), "checked_at": utcnow().isoformat(), "copies": copies}


class ExpiryChange(BaseModel):
    model_config = ConfigDict(extra="forbid")
    expires_at: AwareDatetime


class ExpiresAtEarlier(Conflict):
    code, message = "EXPIRES_AT_EARLIER", "expires_at can only be moved later"


class FileNotTemporary(Conflict):
    code, message = "FILE_NOT_TEMPORARY", "Only a temporary file has an expiry to extend"


async def extend_expiry(session: AsyncSession, plane: ControlPlane, file_id: uuid.UUID,
                        value: datetime, principal: Principal) -> dict[str, Any]:
    """Move ``expires_at`` later on every copy (each SE checks it again, and bounds it to
    365 days after ``created_at``). Audited as ``file.expiry_extended``."""
    found = await _copies(session, plane, file_id, principal, "extend")
    attrs = found[0][1]
    if attrs.retention_policy != "temporary" or attrs.expires_at is None:
        raise FileNotTemporary(details={"file_id": str(file_id)})
    current = max(a.expires_at for _, a in found if a.expires_at)
    if value < current:
        raise ExpiresAtEarlier(details={"file_id": str(file_id),
                                        "expires_at": current.isoformat(),
                                        "requested": value.isoformat()})
    latest = attrs.created_at + timedelta(days=TTL_DAYS_MAX)
    if value > latest:
        raise ValidationFailed(f"expires_at must fall within {TTL_DAYS_MAX} days after "
                               "created_at", code="EXPIRES_AT_TOO_LATE",
                               details={"file_id": str(file_id), "latest": latest.isoformat()})
    _refuse_modes(found, EDITABLE_MODES,
                  "The file is on a read-only or archive storage element", file_id)
    for se, _ in found:
        try:
            await plane.client.patch_file(se, file_id, {"expires_at": value.isoformat()})
        except SERejected as exc:
            raise _rejected(exc, file_id, se) from exc
    await audit.record(session, action="file.expiry_extended",
                       actor=principal.name or principal.subject, resource_type="file",
                       resource_id=str(file_id),
                       details={"from": current.isoformat(), "to": value.isoformat(),
                                "storage_element_ids": [str(se.id) for se, _ in found]})
    return {"file_id": str(file_id), "expires_at": value.isoformat()}
