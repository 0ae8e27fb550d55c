"""Finalize saga: a temporary file on an edit SE becomes permanent on an rw SE.

1. ``copy`` — pick the permanent copy set: as many writable rw SEs (online, not draining,
   room for the file, breaker closed) as the copy policy's target, new failure domains first,
   then the lowest priority number; fewer than the write quorum → wait. Stream the original
   bytes to each under the same file_id with the expected SHA-256 (the target refuses and keeps
   nothing on a mismatch) and the copy set in the sidecar; a copy already there with the same
   checksum counts as done;
2. ``verify`` — every target's attributes show the expected SHA-256 and size;
3. ``mark_source_finalized`` — ``finalized_at`` on every edit copy, which can then never
   expire (retention skips it) — from here on the rw copies are the live ones;
4. ``wait_safety_margin`` — ``FINALIZE_SAFETY_MARGIN_SECONDS`` after that mark;
5. ``delete_source`` — remove every edit copy.

A checksum mismatch or refusal before step 3 compensates: nothing was changed on the source, so
it stays intact and keeps its TTL. Steps 3–5 only move forward (retrying while an SE is away):
undoing them could leave the file in two places or nowhere.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from admin_module.audit import service as audit
from admin_module.copies.policy import policies
from admin_module.files.locate import delete_everywhere, locate
from admin_module.models.base import utcnow
from admin_module.models.storage_element import StorageElement
from admin_module.sagas.engine import Done, Fail, Retry, SagaType, Step, StepContext, Wait
from admin_module.storage_elements import repository as se_repo
from admin_module.storage_elements.errors import SERejected
from artstore_common.contracts import UploadAttributes
from artstore_common.se_client import SourceChecksumMismatch


async def _element(ctx: StepContext, key: str) -> StorageElement:
    return await _element_id(ctx, ctx.payload[key])


async def _element_id(ctx: StepContext, se_id: str) -> StorageElement:
    se = await se_repo.get(ctx.session, uuid.UUID(se_id))
    if se is None:
        raise Fail(f"storage element {se_id} is no longer registered")
    return se


async def _choose_targets(ctx: StepContext) -> list[StorageElement]:
    """The permanent copy set: as many writable rw SEs as the policy's target (new failure
    domains first, then priority); at least the write quorum of those online, or wait."""
    size = int(ctx.payload["size"])
    online = await se_repo.online_writable(ctx.session)
    tried = set(ctx.payload.get("full_targets", []))
    fits = [se for se in online
            if str(se.id) not in tried and not ctx.plane.breakers.is_open(str(se.id))
            and se.capacity_bytes - se.used_bytes >= size]
    rule = next(p for p in await policies(ctx.session) if p.retention_policy == "permanent")
    chosen: list[StorageElement] = []
    domains: set[str] = set()
    for fresh_only in (True, False):
        for se in fits:
            domain = se.failure_domain or str(se.id)
            if se not in chosen and len(chosen) < rule.target_copies and (
                    not fresh_only or domain not in domains):
                chosen.append(se)
                domains.add(domain)
    # Like the ingester: the quorum is capped by the rw SEs online; the repairer adds the rest.
    if not chosen or len(chosen) < min(rule.write_quorum, len(online)):
        ctx.payload["full_targets"] = []  # capacity changes; look at all of them next time
        raise Retry(f"{len(chosen)} writable rw storage elements have room, "
                    f"{rule.write_quorum} copies needed")
    return chosen


async def _copy_to(ctx: StepContext, source: StorageElement, target: StorageElement) -> str:
    file_id = uuid.UUID(ctx.payload["file_id"])
    existing = await ctx.plane.client.get_file(target, file_id)
    if existing is None:
        attrs = UploadAttributes.model_validate(ctx.payload["attributes"]).model_copy(
            update={"copies": [uuid.UUID(t) for t in ctx.payload["target_se_ids"]]})
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
                ctx.payload.pop("target_se_ids", None)  # choose the copy set again
                raise Retry(f"target {target.name} refused: {exc.code}") from exc
            if exc.code != "FILE_EXISTS":
                raise
            existing = await ctx.plane.client.get_file(target, file_id)
        else:
            if result.sha256 != ctx.payload["sha256"]:
                raise Fail("checksum mismatch while streaming from the source")
            return f"copied {result.size} bytes to {target.name}"
    if existing is None or existing.sha256 != ctx.payload["sha256"]:
        raise Fail(f"another file with this id and other content is on {target.name}")
    return f"a verified copy is already on {target.name}"


async def copy(ctx: StepContext) -> Done:
    source = await _element(ctx, "source_se_id")
    if ctx.payload.get("target_se_ids"):
        targets = [await _element_id(ctx, t) for t in ctx.payload["target_se_ids"]]
    else:
        targets = await _choose_targets(ctx)
        ctx.payload["target_se_ids"] = [str(se.id) for se in targets]
    notes = [await _copy_to(ctx, source, target) for target in targets]
    return Done("; ".join(notes))


async def verify(ctx: StepContext) -> Done:
    for se_id in ctx.payload["target_se_ids"]:
        target = await _element_id(ctx, se_id)
        attrs = await ctx.plane.client.get_file(target, uuid.UUID(ctx.payload["file_id"]))
        if attrs is None:
            raise Fail(f"the copy is missing on {target.name}")
        if attrs.sha256 != ctx.payload["sha256"] or attrs.size != int(ctx.payload["size"]):
            raise Fail(f"the copy on {target.name} differs from the source")
        if attrs.retention_policy != "permanent":
            raise Fail(f"the copy on {target.name} is not permanent")
    return Done(f"sha256 and size match on {len(ctx.payload['target_se_ids'])} copies")


async def mark_source_finalized(ctx: StepContext) -> Done:
    file_id = uuid.UUID(ctx.payload["file_id"])
    finalized_at = ctx.payload.setdefault("finalized_at", utcnow().isoformat())
    located = await locate(ctx.plane, await se_repo.all_elements(ctx.session, mode="edit"),
                           file_id)
    for se, _ in located.found:  # every edit copy: none of them may expire now
        try:
            await ctx.plane.client.patch_file(se, file_id, {"finalized_at": finalized_at})
        except SERejected as exc:
            if exc.status_code != 404:
                raise
    await audit.record(
        ctx.session, action="file.finalized", actor=ctx.saga.created_by, resource_type="file",
        resource_id=file_id,
        details={"source_storage_element_id": ctx.payload["source_se_id"],
                 "target_storage_element_ids": ctx.payload["target_se_ids"],
                 "sha256": ctx.payload["sha256"], "saga_id": str(ctx.saga.id)},
    )
    return Done(f"{len(located.found)} edit copies marked finalized")


async def wait_safety_margin(ctx: StepContext) -> Wait | Done:
    margin = timedelta(seconds=ctx.settings.FINALIZE_SAFETY_MARGIN_SECONDS)
    due = datetime.fromisoformat(ctx.payload["finalized_at"]) + margin
    remaining = (due - utcnow()).total_seconds()
    if remaining > 0:
        return Wait(remaining, f"source kept until {due.isoformat()}")
    return Done("safety margin passed")


async def delete_source(ctx: StepContext) -> Done:
    """Every edit copy goes (a temporary policy may have kept several). An edit SE that is
    away keeps its copy until retention cleanup removes it once it expires."""
    file_id = uuid.UUID(ctx.payload["file_id"])
    edit = await se_repo.all_elements(ctx.session, mode="edit")
    deleted, unreachable = await delete_everywhere(ctx.plane, edit, file_id)
    await audit.record(
        ctx.session, action="file.source_deleted", actor="system", resource_type="file",
        resource_id=file_id,
        details={"storage_element_id": ctx.payload["source_se_id"],
                 "deleted_on": [str(se.id) for se in deleted],
                 "unreachable": [str(se.id) for se in unreachable],
                 "saga_id": str(ctx.saga.id), "already_gone": not deleted},
    )
    return Done(f"{len(deleted)} edit copies deleted" if deleted else "source already gone")


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
