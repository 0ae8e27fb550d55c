"""Retention cleanup saga: expired temporary files on edit SEs are deleted, one audit entry
per file. A scheduler starts one run per interval (at most one is active at a time).

1. ``scan`` — each edit SE's listing with ``expires_before=now`` (active files only), up to
   ``RETENTION_BATCH_SIZE`` candidates; finalized and permanent files are left out;
2. ``delete`` — per candidate, in its own transaction holding the file's advisory lock (the
   finalize request takes the same lock): skip it if a finalize saga is active for it, re-read
   its attributes from the SE (gone, finalized, no longer expired → skip), delete it and its
   copies on the other edit SEs (each re-checked the same way), audit once.

A crash re-runs ``delete``; every check is repeated, so nothing is deleted twice or wrongly.
"""

from __future__ import annotations

import uuid
from datetime import datetime

import structlog

from admin_module.audit import service as audit
from admin_module.files.locate import delete_everywhere, locate
from admin_module.models.base import utcnow
from admin_module.models.saga import Saga
from admin_module.sagas import repository as saga_repo
from admin_module.sagas.engine import Done, SagaType, Step, StepContext, new_saga
from admin_module.storage_elements import repository as se_repo
from admin_module.storage_elements.context import ControlPlane
from admin_module.storage_elements.service import UNREACHABLE
from artstore_common.contracts import FileAttributes

log = structlog.get_logger(__name__)

RESOURCE = "retention"
GOVERNED = ("on_hold", "retained")  # records governance outranks the TTL (issue 15)


def _expired(attrs: FileAttributes, cutoff: datetime) -> bool:
    return (attrs.retention_policy == "temporary" and attrs.finalized_at is None
            and attrs.status == "active" and attrs.expires_at is not None
            and attrs.expires_at < cutoff)


async def scan(ctx: StepContext) -> Done:
    cutoff = utcnow()
    ctx.payload["cutoff"] = cutoff.isoformat()
    batch = ctx.settings.RETENTION_BATCH_SIZE
    candidates: list[dict[str, str]] = []
    skipped_ses: list[str] = []
    for se in await se_repo.all_elements(ctx.session, mode="edit"):
        cursor = None
        try:
            while len(candidates) < batch:
                page = await ctx.plane.client.list_files(
                    se, expires_before=cutoff, status="active", cursor=cursor,
                    limit=min(500, batch - len(candidates)))
                candidates += [{"se_id": str(se.id), "file_id": str(a.file_id)}
                               for a in page.items if _expired(a, cutoff)]
                cursor = page.next_cursor
                if not cursor:
                    break
        except UNREACHABLE as exc:
            skipped_ses.append(str(se.id))
            log.warning("retention.se_skipped", storage_element=str(se.id), error=str(exc))
    ctx.payload.update(candidates=candidates, skipped_storage_elements=skipped_ses,
                       deleted=[], kept=[])
    return Done(f"{len(candidates)} expired files found")


async def delete_expired(ctx: StepContext) -> Done:
    cutoff = datetime.fromisoformat(ctx.payload["cutoff"])
    done = set(ctx.payload.get("deleted", [])) | set(ctx.payload.get("kept", []))
    deleted, kept = list(ctx.payload.get("deleted", [])), list(ctx.payload.get("kept", []))
    for candidate in ctx.payload.get("candidates", []):
        if candidate["file_id"] in done:
            continue
        outcome = await _delete_one(ctx.plane, uuid.UUID(candidate["se_id"]),
                                    uuid.UUID(candidate["file_id"]), cutoff)
        if outcome in GOVERNED:
            ctx.payload.setdefault("held", []).append(
                {"file_id": candidate["file_id"], "reason": outcome})
        (deleted if outcome == "deleted" else kept).append(candidate["file_id"])
        done.add(candidate["file_id"])  # its other copies went with it
    ctx.payload.update(deleted=deleted, kept=kept)
    held = len(ctx.payload.get("held", []))
    return Done(f"{len(deleted)} deleted, {len(kept)} kept ({held} under hold or retention)")


async def _delete_one(plane: ControlPlane, se_id: uuid.UUID, file_id: uuid.UUID,
                      cutoff: datetime) -> str:
    async with plane.sessionmaker() as session:
        await saga_repo.lock_resource(session, f"file:{file_id}")
        if await saga_repo.active(session, "finalize", str(file_id)) is not None:
            return "finalizing"
        se = await se_repo.get(session, se_id)
        if se is None:
            return "unregistered"
        try:
            attrs = await plane.client.get_file(se, file_id)
            if attrs is None:
                return "gone"
            if not _expired(attrs, cutoff):
                return "not_expired"
            if attrs.legal_holds:  # the SE would refuse too (409 FILE_ON_HOLD)
                log.info("retention.skipped_hold", file_id=str(file_id),
                         legal_holds=[str(h) for h in attrs.legal_holds])
                return "on_hold"
            if attrs.retain_until is not None and attrs.retain_until > cutoff:
                return "retained"
            # Every copy goes: the same file on the other edit SEs, each re-checked.
            others = [e for e in await se_repo.all_elements(session, mode="edit") if e.id != se_id]
            located = await locate(plane, others, file_id)
            copies = [se] + [e for e, a in located.found if _expired(a, cutoff)]
            deleted, unreachable = await delete_everywhere(plane, copies, file_id)
            if se in unreachable:
                raise RuntimeError("the storage element did not delete the file")
        except Exception as exc:  # one file's trouble never stops the run
            log.warning("retention.delete_failed", file_id=str(file_id), error=str(exc))
            return "error"
        await audit.record(session, action="file.expired_deleted", actor="system",
                           resource_type="file", resource_id=file_id,
                           details={"storage_element_id": str(se_id),
                                    "deleted_on": [str(e.id) for e in deleted],
                                    "unreachable": [str(e.id) for e in located.unreachable
                                                    + unreachable],
                                    "expires_at": attrs.expires_at.isoformat()
                                    if attrs.expires_at else None,
                                    "original_filename": attrs.original_filename})
        await session.commit()
    return "deleted"


RETENTION_CLEANUP = SagaType("retention_cleanup", [
    Step("scan", scan),
    Step("delete", delete_expired),
])


async def schedule(plane: ControlPlane, actor: str = "system") -> Saga | None:
    """Start a cleanup run unless one is active (across instances: advisory lock)."""
    async with plane.sessionmaker() as session:
        await saga_repo.lock_resource(session, "retention-schedule")
        if await saga_repo.active(session, "retention_cleanup", RESOURCE) is not None:
            return None
        saga = new_saga("retention_cleanup", RESOURCE, {}, actor)
        session.add(saga)
        await session.commit()
    plane.wake()
    return saga
