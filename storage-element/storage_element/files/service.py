"""Reads, metadata updates and deletes. Each change: WAL intent → storage → index + outbox +
WAL commit in one transaction."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

import anyio
import structlog
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from artstore_common.auth import Principal
from artstore_common.contracts import TTL_DAYS_MAX
from artstore_common.errors import Conflict, Forbidden, ValidationFailed
from artstore_common.validation import JsonObject
from storage_element import naming, sidecar
from storage_element import repository as repo
from storage_element.context import SEContext
from storage_element.errors import (
    FileNotFound,
    FileOnHold,
    FileUnderRetention,
    OperationNotAllowedInMode,
    StorageElementReadOnly,
    WithdrawWindowPassed,
)
from storage_element.events import build_event
from storage_element.files.upload import reject_nul
from storage_element.models import FileRow
from storage_element.modes import WRITABLE
from storage_element.security import check_owner

log = structlog.get_logger(__name__)


class FilePatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    description: str | None = Field(default=None, max_length=2000)
    version: str | None = Field(default=None, max_length=64)
    tags: list[str] | None = Field(default=None, max_length=50)
    custom: JsonObject | None = None
    finalized_at: datetime | None = None
    expires_at: AwareDatetime | None = None


def check_expiry_extension(attrs: dict[str, Any], value: datetime | None) -> None:
    """A temporary file's expiry moves only later, and at most ``TTL_DAYS_MAX`` days after its
    ``created_at`` — the bound every copy of it (finalize, replication, repair) is held to."""
    current = attrs.get("expires_at")
    if attrs.get("retention_policy") != "temporary" or current is None:
        raise Conflict("Only a temporary file has an expiry to extend", code="FILE_NOT_TEMPORARY",
                       details={"file_id": attrs.get("file_id")})
    if value is None or value < datetime.fromisoformat(current):
        raise Conflict("expires_at can only be moved later", code="EXPIRES_AT_EARLIER",
                       details={"file_id": attrs.get("file_id"), "expires_at": current})
    latest = datetime.fromisoformat(attrs["created_at"]) + timedelta(days=TTL_DAYS_MAX)
    if value > latest:
        raise ValidationFailed(f"expires_at must fall within {TTL_DAYS_MAX} days after "
                               "created_at", code="EXPIRES_AT_TOO_LATE",
                               details={"file_id": attrs.get("file_id"),
                                        "latest": latest.isoformat()})


def present(row: FileRow, se_id: uuid.UUID) -> dict[str, Any]:
    out = dict(row.attrs)
    out["last_verified_at"] = row.last_verified_at.isoformat() if row.last_verified_at else None
    out["storage_element_id"] = str(se_id)
    if row.quarantined_at:
        out["quarantined"] = True
    return out


async def load(ctx: SEContext, file_id: uuid.UUID) -> FileRow:
    async with ctx.sessionmaker() as session:
        row = await repo.get_file(session, file_id)
    if row is None:
        raise FileNotFound(details={"file_id": str(file_id)})
    return row


async def patch(
    ctx: SEContext, file_id: uuid.UUID, changes: FilePatch, principal: Principal
) -> FileRow:
    mode = ctx.modes.mode
    if mode not in WRITABLE:
        raise StorageElementReadOnly(details={"mode": mode})
    given = changes.model_fields_set
    reject_nul(changes.model_dump(mode="json", exclude_unset=True))
    if "finalized_at" in given and not principal.has("storage:admin"):
        raise Forbidden("Setting finalized_at needs storage:admin", code="INSUFFICIENT_SCOPE",
                        details={"required": ["storage:admin"]})
    with ctx.claim(file_id):
        row = await load(ctx, file_id)
        check_owner(principal, row.attrs, "update")
        if "expires_at" in given:
            check_expiry_extension(row.attrs, changes.expires_at)
        attrs = dict(row.attrs)
        for name in given:
            value = getattr(changes, name)
            if name == "tags" and value is None:
                value = []
            if name == "custom" and value is None:
                value = {}
            attrs[name] = value.isoformat() if isinstance(value, datetime) else value
        await write_attributes(ctx, row, attrs)
    ctx.relay.notify()
    log.info("file.updated", file_id=str(file_id), fields=sorted(given))
    return await load(ctx, file_id)


async def write_attributes(ctx: SEContext, row: FileRow, attrs: dict[str, Any]) -> None:
    """Replace a file's sidecar (caller holds ``ctx.claim``): WAL intent → sidecar → index,
    outbox event and WAL commit in one transaction; undone on any failure."""
    attrs["updated_at"] = naming.now_utc().isoformat().replace("+00:00", "Z")
    sidecar.to_attributes(attrs)
    encoded = sidecar.encode(attrs)
    async with ctx.sessionmaker() as session:
        wal_id = await repo.wal_begin(session, "update", row.file_id, row.storage_path,
                                      {"sidecar": attrs})
        await session.commit()
    try:
        await anyio.to_thread.run_sync(
            ctx.backend.put_bytes, naming.sidecar_path(row.storage_path), encoded)
        async with ctx.sessionmaker() as session:
            await repo.upsert_file(session, attrs, row.storage_path)
            await repo.add_outbox(session, build_event(
                "file.updated", row.file_id, ctx.se_id, attrs,
                quarantined=row.quarantined_at is not None))
            await repo.wal_finish(session, wal_id, "committed")
            await session.commit()
    except BaseException:
        with anyio.CancelScope(shield=True):
            await _undo_patch(ctx, wal_id, row)
        raise


def check_deletable(attrs: dict[str, Any], now: datetime, principal: Principal) -> None:
    """Records governance: a held file, or one kept until a later date, is never deleted —
    except, for the finalize saga (an internal principal), a finalized temporary source past
    its copy: the record lives on in the permanent copy, which carries the same date."""
    if attrs.get("legal_holds"):
        raise FileOnHold(details={"file_id": attrs.get("file_id"),
                                  "legal_holds": attrs["legal_holds"]})
    retain_until = attrs.get("retain_until")
    if retain_until and datetime.fromisoformat(retain_until) > now and not (
            attrs.get("finalized_at") and principal.internal):
        raise FileUnderRetention(details={"file_id": attrs.get("file_id"),
                                          "retain_until": retain_until})


async def _undo_patch(ctx: SEContext, wal_id: int, row: FileRow) -> None:
    try:
        await anyio.to_thread.run_sync(
            ctx.backend.put_bytes, naming.sidecar_path(row.storage_path), sidecar.encode(row.attrs))
        async with ctx.sessionmaker() as session:
            await repo.wal_finish(session, wal_id, "rolled_back")
            await session.commit()
    except Exception as exc:  # recovery reconciles the index with the sidecar at next start
        log.error("file.patch_undo_failed", file_id=str(row.file_id), error=str(exc))


# The copies of an upload the ingester refused (write quorum not met, checksum mismatch, the
# client's error) were never acknowledged, so they are no record yet: the ingester withdraws
# them, also from rw. Only that young: past this, rw keeps every file.
WITHDRAW_WINDOW = timedelta(hours=1)


async def delete(ctx: SEContext, file_id: uuid.UUID, principal: Principal, *,
                 disposition: uuid.UUID | None = None, withdraw: bool = False) -> None:
    """``disposition``: the admin module destroying a copy under an approved batch — the only
    way a record leaves an rw SE; ``withdraw``: the internal caller (``files:replicate``) takes
    back a copy it just made. Holds and retain_until refuse both."""
    mode = ctx.modes.mode
    if mode in ("ro", "ar"):
        raise StorageElementReadOnly(details={"mode": mode})
    if mode != "edit" and disposition is None and not withdraw:
        raise OperationNotAllowedInMode(
            "Files on an rw storage element are removed only by retention disposition",
            details={"mode": mode})
    with ctx.claim(file_id):
        row = await load(ctx, file_id)
        if withdraw:
            if naming.now_utc() - row.created_at > WITHDRAW_WINDOW:
                raise WithdrawWindowPassed(details={"file_id": str(file_id)})
            log.warning("file.withdrawn", file_id=str(file_id), subject=principal.subject)
        if disposition is None:
            check_owner(principal, row.attrs, "delete")
        check_deletable(row.attrs, naming.now_utc(), principal)
        async with ctx.sessionmaker() as session:
            wal_id = await repo.wal_begin(session, "delete", file_id, row.storage_path,
                                          {"sidecar": row.attrs})
            await session.commit()
        # once the intent is logged the delete only moves forward (recovery completes it)
        with anyio.CancelScope(shield=True):
            await complete_delete(ctx, wal_id, file_id, row.storage_path, row.attrs)
    ctx.relay.notify()
    log.info("file.deleted", file_id=str(file_id),
             disposition=str(disposition) if disposition else None)


async def complete_delete(
    ctx: SEContext, wal_id: int, file_id: uuid.UUID, storage_path: str, attrs: dict[str, Any]
) -> None:
    await anyio.to_thread.run_sync(ctx.backend.delete, storage_path)
    await anyio.to_thread.run_sync(ctx.backend.delete, naming.sidecar_path(storage_path))
    await anyio.to_thread.run_sync(ctx.backend.remove_temps, storage_path)
    async with ctx.sessionmaker() as session:
        await repo.delete_file(session, file_id)
        deleted = dict(attrs, status="deleted")
        await repo.add_outbox(session, build_event("file.deleted", file_id, ctx.se_id, deleted))
        await repo.wal_finish(session, wal_id, "committed")
        await session.commit()
    ctx.capacity.freed()
