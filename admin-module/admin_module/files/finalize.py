"""Finalize saga: a temporary file on an edit SE becomes permanent on an rw SE.

1. ``copy`` — pick a writable rw SE (online, not draining, room for the file, breaker closed,
   lowest priority number first) and stream the original bytes to it under the same file_id
   with the expected SHA-256 (the target refuses and keeps nothing on a mismatch); a copy
   already there with the same checksum counts as done;
2. ``verify`` — the target's attributes show the expected SHA-256 and size;
3. ``mark_source_finalized`` — ``finalized_at`` on the source, which can then never expire
   (retention skips it) — from here on the rw copy is the live one;
4. ``wait_safety_margin`` — ``FINALIZE_SAFETY_MARGIN_SECONDS`` after that mark;
5. ``delete_source`` — remove the edit copy.

A checksum mismatch or refusal before step 3 compensates: nothing was changed on the source, so
it stays intact and keeps its TTL. Steps 3–5 only move forward (retrying while an SE is away):
undoing them could leave the file in two places or nowhere.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import select

from admin_module.audit import service as audit
from admin_module.models.base import utcnow
from admin_module.models.storage_element import StorageElement
from admin_module.sagas.engine import Done, Fail, Retry, SagaType, Step, StepContext, Wait
from admin_module.storage_elements import repository as se_repo
from admin_module.storage_elements.client import SourceChecksumMismatch
from admin_module.storage_elements.errors import SERejected
from artstore_common.contracts import UploadAttributes


async def _element(ctx: StepContext, key: str) -> StorageElement:
    se = await se_repo.get(ctx.session, uuid.UUID(ctx.payload[key]))
    if se is None:
        raise Fail(f"storage element {ctx.payload[key]} is no longer registered")
    return se


async def _choose_target(ctx: StepContext) -> StorageElement:
    size = int(ctx.payload["size"])
    rows = await ctx.session.execute(
        select(StorageElement)
        .where(StorageElement.mode == "rw", StorageElement.status == "online",
               StorageElement.draining.is_(False))
        .order_by(StorageElement.priority, StorageElement.name)
    )
    tried = set(ctx.payload.get("full_targets", []))
    for se in rows.scalars():
        if str(se.id) in tried or ctx.plane.breakers.is_open(str(se.id)):
            continue
        if se.capacity_bytes - se.used_bytes >= size:
            return se
    ctx.payload["full_targets"] = []  # capacity changes; look at all of them next time
    raise Retry("no writable rw storage element has room")


async def copy(ctx: StepContext) -> Done:
    file_id = uuid.UUID(ctx.payload["file_id"])
    source = await _element(ctx, "source_se_id")
    if ctx.payload.get("target_se_id"):
        target = await _element(ctx, "target_se_id")
    else:
        target = await _choose_target(ctx)
        ctx.payload["target_se_id"] = str(target.id)
    existing = await ctx.plane.client.get_file(target, file_id)
    if existing is None:
        attrs = UploadAttributes.model_validate(ctx.payload["attributes"])
        try:
            result = await ctx.plane.client.copy_file(
                source, target, file_id, attrs, int(ctx.payload["size"]), ctx.payload["sha256"]
            )
        except SourceChecksumMismatch as exc:
            raise Fail("checksum mismatch: the source's bytes differ from its SHA-256") from exc
        except SERejected as exc:
            if exc.code in ("CHECKSUM_MISMATCH", "FILE_QUARANTINED"):
                raise Fail("checksum mismatch: the source does not match its SHA-256") from exc
            if exc.status_code == 507 or exc.code in ("STORAGE_ELEMENT_READ_ONLY",
                                                      "RETENTION_MODE_MISMATCH"):
                ctx.payload["full_targets"] = [*ctx.payload.get("full_targets", []),
                                               str(target.id)]
                ctx.payload.pop("target_se_id", None)
                raise Retry(f"target {target.name} refused: {exc.code}") from exc
            if exc.code != "FILE_EXISTS":
                raise
            existing = await ctx.plane.client.get_file(target, file_id)
        else:
            if result.sha256 != ctx.payload["sha256"]:
                raise Fail("checksum mismatch while streaming from the source")
            return Done(f"copied {result.size} bytes to {target.name}")
    if existing is None or existing.sha256 != ctx.payload["sha256"]:
        raise Fail(f"another file with this id and other content is on {target.name}")
    return Done(f"a verified copy is already on {target.name}")


async def verify(ctx: StepContext) -> Done:
    target = await _element(ctx, "target_se_id")
    attrs = await ctx.plane.client.get_file(target, uuid.UUID(ctx.payload["file_id"]))
    if attrs is None:
        raise Fail("the copy is missing on the target")
    if attrs.sha256 != ctx.payload["sha256"] or attrs.size != int(ctx.payload["size"]):
        raise Fail("the copy's checksum or size differs from the source")
    if attrs.retention_policy != "permanent":
        raise Fail("the copy is not permanent")
    return Done("sha256 and size match")


async def mark_source_finalized(ctx: StepContext) -> Done:
    source = await _element(ctx, "source_se_id")
    file_id = uuid.UUID(ctx.payload["file_id"])
    finalized_at = ctx.payload.setdefault("finalized_at", utcnow().isoformat())
    try:
        await ctx.plane.client.patch_file(source, file_id, {"finalized_at": finalized_at})
        note = "source marked finalized"
    except SERejected as exc:
        if exc.status_code != 404:
            raise
        note = "source already gone"
    await audit.record(
        ctx.session, action="file.finalized", actor=ctx.saga.created_by, resource_type="file",
        resource_id=file_id,
        details={"source_storage_element_id": ctx.payload["source_se_id"],
                 "target_storage_element_id": ctx.payload["target_se_id"],
                 "sha256": ctx.payload["sha256"], "saga_id": str(ctx.saga.id)},
    )
    return Done(note)


async def wait_safety_margin(ctx: StepContext) -> Wait | Done:
    margin = timedelta(seconds=ctx.settings.FINALIZE_SAFETY_MARGIN_SECONDS)
    due = datetime.fromisoformat(ctx.payload["finalized_at"]) + margin
    remaining = (due - utcnow()).total_seconds()
    if remaining > 0:
        return Wait(remaining, f"source kept until {due.isoformat()}")
    return Done("safety margin passed")


async def delete_source(ctx: StepContext) -> Done:
    source = await _element(ctx, "source_se_id")
    file_id = uuid.UUID(ctx.payload["file_id"])
    deleted = await ctx.plane.client.delete_file(source, file_id)
    await audit.record(
        ctx.session, action="file.source_deleted", actor="system", resource_type="file",
        resource_id=file_id,
        details={"storage_element_id": str(source.id), "saga_id": str(ctx.saga.id),
                 "already_gone": not deleted},
    )
    return Done("source deleted" if deleted else "source already gone")


async def report_compensated(ctx: StepContext) -> None:
    await audit.record(
        ctx.session, action="file.finalize_failed", actor="system", resource_type="file",
        resource_id=ctx.payload["file_id"], outcome="failure",
        details={"saga_id": str(ctx.saga.id), "error": ctx.saga.error,
                 "source_storage_element_id": ctx.payload["source_se_id"]},
    )


FINALIZE = SagaType("finalize", [
    Step("copy", copy, compensate=report_compensated),
    Step("verify", verify),
    # The verified copy is the pivot: from here the saga only moves forward.
    Step("mark_source_finalized", mark_source_finalized, forward_only=True),
    Step("wait_safety_margin", wait_safety_margin, forward_only=True),
    Step("delete_source", delete_source, forward_only=True),
])
