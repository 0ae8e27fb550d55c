"""Starting a finalize: temporary file on an edit SE → permanent copy on an rw SE."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from admin_module.audit import service as audit
from admin_module.files.locate import locate
from admin_module.models.base import utcnow
from admin_module.models.saga import Saga
from admin_module.sagas import repository as saga_repo
from admin_module.sagas.engine import new_saga
from admin_module.storage_elements import repository as se_repo
from admin_module.storage_elements.context import ControlPlane
from admin_module.storage_elements.errors import (
    FileNotFinalizable,
    FileNotFound,
    StorageUnavailable,
)
from artstore_common.auth import Principal
from artstore_common.auth.scopes import may_change_file
from artstore_common.contracts import FileAttributes, UploadAttributes
from artstore_common.errors import Forbidden


def copy_attributes(attrs: FileAttributes) -> UploadAttributes:
    """What the permanent copy carries: same identity, creator, creation time and compression
    choice; permanent, so no TTL."""
    return UploadAttributes(
        original_filename=attrs.original_filename, content_type=attrs.content_type,
        description=attrs.description, version=attrs.version, tags=attrs.tags,
        retention_policy="permanent", ttl_days=None, expires_at=None, custom=attrs.custom,
        uploaded_by=attrs.uploaded_by, created_at=attrs.created_at,
        compression=attrs.compression.algorithm if attrs.compression else None,
        retain_until=attrs.retain_until, retention_class=attrs.retention_class,
    )


async def start_finalize(
    session: AsyncSession, plane: ControlPlane, file_id: uuid.UUID, actor: str | None,
    principal: Principal | None = None,
) -> Saga:
    key = str(file_id)
    await saga_repo.lock_resource(session, f"file:{key}")  # retention holds the same lock
    existing = await saga_repo.active(session, "finalize", key)
    if existing is not None:
        return existing  # asking twice is not an error: same saga
    edit = await se_repo.all_elements(session, mode="edit")
    located = await locate(plane, edit, file_id)
    if not located.found:
        others = [se for se in await se_repo.all_elements(session) if se.mode != "edit"]
        elsewhere = await locate(plane, others, file_id)
        if elsewhere.found:
            se, _ = elsewhere.found[0]
            raise FileNotFinalizable("The file is already permanent", code="FILE_ALREADY_PERMANENT",
                                     details={"file_id": key, "storage_element_id": str(se.id)})
        if located.unreachable or elsewhere.unreachable:
            down = [str(se.id) for se in located.unreachable + elsewhere.unreachable]
            raise StorageUnavailable("Some storage elements did not answer; try again later",
                                     details={"file_id": key, "unreachable": down},
                                     headers={"Retry-After": "30"})
        raise FileNotFound(details={"file_id": key})
    source, attrs = located.found[0]
    if principal is not None and not may_change_file(principal.scopes, principal.subject,
                                                     attrs.uploaded_by.id):
        async with plane.sessionmaker() as own, own.begin():  # kept although the request fails
            await audit.record(own, action="file.change_refused", actor=actor,
                               resource_type="file", resource_id=key, outcome="denied",
                               details={"operation": "finalize", "reason": "not_owner"})
        raise Forbidden("Only the uploading account or an administrator may finalize this file",
                        code="NOT_FILE_OWNER", details={"file_id": key})
    if attrs.legal_holds:  # finalize deletes the temporary source: not while it is held
        raise FileNotFinalizable("The file is under a legal hold", code="FILE_ON_HOLD",
                                 details={"file_id": key,
                                          "legal_holds": [str(h) for h in attrs.legal_holds]})
    reason = None
    if attrs.retention_policy != "temporary":
        reason = "the file is already permanent"
    elif attrs.finalized_at is not None:
        reason = "the file was already finalized"
    elif attrs.status != "active":
        reason = f"the file is {attrs.status}"
    elif attrs.expires_at is not None and attrs.expires_at <= utcnow():
        reason = "the file has expired"
    if reason:
        raise FileNotFinalizable(f"The file cannot be finalized: {reason}",
                                 details={"file_id": key, "reason": reason})
    saga = new_saga("finalize", key, {
        "file_id": key, "source_se_id": str(source.id), "sha256": attrs.sha256,
        "size": attrs.size, "attributes": copy_attributes(attrs).model_dump(mode="json"),
    }, actor)
    session.add(saga)
    await session.flush()
    await audit.record(session, action="file.finalize_requested", actor=actor,
                       resource_type="file", resource_id=key,
                       details={"source_storage_element_id": str(source.id),
                                "saga_id": str(saga.id), "size": attrs.size})
    return saga
