"""Changing one file from the console: edit its metadata, delete it (issue 16).

Every copy is changed, or none: the copies are found by asking the SEs (``locate``), the
caller must own the file or hold ``storage:admin`` (``may_change_file``), and the SE's mode
rules are checked here first so a refusal changes nothing (metadata: ``edit``/``rw``; delete:
``edit`` only — permanent files leave by retention disposition). Each SE checks them again.
"""

from __future__ import annotations

import uuid
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.ext.asyncio import AsyncSession

from admin_module.audit import service as audit
from admin_module.files.locate import Located, locate
from admin_module.models.base import utcnow
from admin_module.models.storage_element import StorageElement
from admin_module.sagas import repository as saga_repo
from admin_module.storage_elements import repository as se_repo
from admin_module.storage_elements.context import ControlPlane
from admin_module.storage_elements.errors import FileNotFound, SERejected, StorageUnavailable
from artstore_common.auth import Principal
from artstore_common.auth.scopes import may_change_file
from artstore_common.contracts import FileAttributes
from artstore_common.errors import ArtStoreError, Conflict, Forbidden
from artstore_common.validation import JsonObject

EDITABLE_MODES = ("edit", "rw")
DELETABLE_MODES = ("edit",)


class FileUpdate(BaseModel):
    """The fields an administrator may change; absent fields stay as they are."""

    model_config = ConfigDict(extra="forbid")
    description: str | None = Field(default=None, max_length=2000)
    version: str | None = Field(default=None, max_length=64)
    tags: list[str] | None = Field(default=None, max_length=50)
    custom: JsonObject | None = None


class FileNotChangeable(Conflict):
    code, message = "FILE_NOT_CHANGEABLE", "The file cannot be changed"


class FileChangeRejected(ArtStoreError):
    """A storage element refused the change after the checks here passed (its 4xx status is
    kept: e.g. 422 when the sidecar would outgrow its size limit)."""

    status_code, code, message = 409, "FILE_CHANGE_REJECTED", "A storage element refused the change"


def _rejected(exc: SERejected, file_id: uuid.UUID, se: StorageElement) -> FileChangeRejected:
    return FileChangeRejected(
        exc.message, status_code=exc.status_code if 400 <= exc.status_code < 500 else 409,
        details={"file_id": str(file_id), "storage_element_id": str(se.id),
                 "upstream_code": exc.code})


Found = list[tuple[StorageElement, FileAttributes]]


async def _copies(session: AsyncSession, plane: ControlPlane, file_id: uuid.UUID,
                  principal: Principal, operation: str) -> Found:
    key = str(file_id)
    await saga_repo.lock_resource(session, f"file:{key}")  # finalize/retention hold it too
    located: Located = await locate(plane, await se_repo.all_elements(session), file_id)
    if not located.found:
        if located.unreachable:
            raise StorageUnavailable("Some storage elements did not answer; try again later",
                                     details={"file_id": key, "unreachable": [
                                         str(se.id) for se in located.unreachable]},
                                     headers={"Retry-After": "30"})
        raise FileNotFound(details={"file_id": key})
    attrs = located.found[0][1]
    if not may_change_file(principal.scopes, principal.subject, attrs.uploaded_by.id):
        await _audit_refusal(plane, principal, key, operation, "not_owner")
        raise Forbidden(f"Only the uploading account or an administrator may {operation} this file",
                        code="NOT_FILE_OWNER", details={"file_id": key})
    # A copy on an SE that does not answer would be left behind: change nothing then.
    named = {str(c) for _, a in located.found for c in a.copies}
    missed = [str(se.id) for se in located.unreachable if str(se.id) in named]
    if missed:
        raise StorageUnavailable("A storage element holding a copy did not answer; try again later",
                                 details={"file_id": key, "unreachable": missed},
                                 headers={"Retry-After": "30"})
    if await saga_repo.active(session, "finalize", key) is not None:
        raise FileNotChangeable("The file is being finalized; try again when the saga ends",
                                details={"file_id": key, "reason": "finalizing"})
    return located.found


async def _audit_refusal(plane: ControlPlane, principal: Principal, key: str, operation: str,
                         reason: str) -> None:
    async with plane.sessionmaker() as own, own.begin():  # kept although the request fails
        await audit.record(own, action="file.change_refused",
                           actor=principal.name or principal.subject, resource_type="file",
                           resource_id=key, outcome="denied",
                           details={"operation": operation, "reason": reason})


def _refuse_governed(found: Found, file_id: uuid.UUID) -> None:
    """Records governance outranks a delete: checked on every copy before any is touched (each
    SE refuses again by itself)."""
    holds = sorted({str(h) for _, a in found for h in a.legal_holds})
    if holds:
        raise FileNotChangeable("The file is under a legal hold", code="FILE_ON_HOLD",
                                details={"file_id": str(file_id), "legal_holds": holds})
    until = max((a.retain_until for _, a in found if a.retain_until), default=None)
    if until is not None and until > utcnow():
        raise FileNotChangeable("The file must be kept until its retain_until date",
                                code="FILE_UNDER_RETENTION",
                                details={"file_id": str(file_id),
                                         "retain_until": until.isoformat()})


def _refuse_modes(found: Found, modes: tuple[str, ...],
                  why: str, file_id: uuid.UUID) -> None:
    blocked = [se for se, _ in found if se.mode not in modes]
    if blocked:
        raise FileNotChangeable(why, details={
            "file_id": str(file_id), "reason": "storage_mode",
            "storage_elements": {str(se.id): se.mode for se in blocked}})


async def update(session: AsyncSession, plane: ControlPlane, file_id: uuid.UUID,
                 changes: FileUpdate, principal: Principal) -> dict[str, Any]:
    fields = changes.model_dump(exclude_unset=True)
    found = await _copies(session, plane, file_id, principal, "edit")
    _refuse_modes(found, EDITABLE_MODES,
                  "The file is on a read-only or archive storage element", file_id)
    for se, _ in found:
        try:
            await plane.client.patch_file(se, file_id, fields)
        except SERejected as exc:
            raise _rejected(exc, file_id, se) from exc
    await audit.record(session, action="file.updated", actor=principal.name or principal.subject,
                       resource_type="file", resource_id=str(file_id),
                       details={"fields": sorted(fields),
                                "storage_element_ids": [str(se.id) for se, _ in found]})
    stored = await plane.client.get_file(found[0][0], file_id)
    # The sidecar as it is, without what the SE says about its own copy.
    return stored.model_dump(mode="json", exclude={"storage_element_id", "quarantined"}
                             ) if stored else {}


async def delete(session: AsyncSession, plane: ControlPlane, file_id: uuid.UUID,
                 principal: Principal) -> None:
    found = await _copies(session, plane, file_id, principal, "delete")
    _refuse_modes(found, DELETABLE_MODES, "Only files on edit storage elements can be deleted; "
                  "permanent files leave by retention disposition", file_id)
    try:
        _refuse_governed(found, file_id)
    except ArtStoreError as exc:  # a deletion refused by a hold or retention is on record
        await _audit_refusal(plane, principal, str(file_id), "delete", exc.code)
        raise
    for se, _ in found:
        try:
            await plane.client.delete_file(se, file_id)
        except SERejected as exc:
            raise _rejected(exc, file_id, se) from exc
    await audit.record(session, action="file.deleted", actor=principal.name or principal.subject,
                       resource_type="file", resource_id=str(file_id),
                       details={"original_filename": found[0][1].original_filename,
                                "sha256": found[0][1].sha256,
                                "storage_element_ids": [str(se.id) for se, _ in found]})
