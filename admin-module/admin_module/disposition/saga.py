"""The disposition saga, started by an approval. Past the approval nothing is undone, so both
steps are forward-only (they retry until done; an operator sees a saga that cannot finish).

1. ``destroy`` — per file of the batch: re-read every copy's sidecar (an SE that does not
   answer → retry later); a hold, a retain_until moved later, or a class that is no longer
   review/destroy keeps the file (``skipped`` with the reason, audited); otherwise its record
   (name, SHA-256, size, class, retain_until, copies) is saved first, then every copy is
   destroyed (the SE checks hold and retain_until once more), audited ``file.destroyed``.
2. ``certify`` — the certificate of destruction (JSON and PDF) over the audit range from the
   proposal to ``disposition.batch_executed``, stored as two permanent documents on rw SEs.
"""

from __future__ import annotations

import uuid
from typing import Any

import anyio
import structlog

from admin_module.audit import repository as audit_repo
from admin_module.audit import service as audit
from admin_module.copies.policy import policies
from admin_module.disposition import certificate
from admin_module.disposition import repository as repo
from admin_module.files.locate import locate
from admin_module.models.audit import AuditEvent
from admin_module.models.base import utcnow
from admin_module.sagas import repository as saga_repo
from admin_module.sagas.engine import Done, Retry, SagaType, Step, StepContext
from admin_module.storage_elements import repository as se_repo
from admin_module.storage_elements.context import ControlPlane
from admin_module.storage_elements.errors import SERejected
from admin_module.storage_elements.service import UNREACHABLE
from artstore_common.contracts import FileAttributes, UploadAttributes

log = structlog.get_logger(__name__)

SE_REFUSALS = {"FILE_ON_HOLD": "on_hold", "FILE_UNDER_RETENTION": "retained"}


def _record(attrs: FileAttributes, se_ids: list[str]) -> dict[str, Any]:
    return {"file_id": str(attrs.file_id), "original_filename": attrs.original_filename,
            "sha256": attrs.sha256, "size": attrs.size, "content_type": attrs.content_type,
            "retention_class": attrs.retention_class,
            "retain_until": attrs.retain_until.isoformat() if attrs.retain_until else None,
            "storage_element_ids": se_ids}


async def _why_kept(session, copies: list[FileAttributes]) -> tuple[str, dict] | None:
    now = utcnow()
    holds = sorted({str(h) for a in copies for h in a.legal_holds})
    if holds:
        return "on_hold", {"legal_holds": holds}
    until = max((a.retain_until for a in copies if a.retain_until), default=None)
    if until is None:
        return "no_retain_until", {}
    if until > now:
        return "retained", {"retain_until": until.isoformat()}
    classes = {a.retention_class for a in copies}
    actions = await repo.schedule_actions(session, [c for c in classes if c])
    if None in classes or not actions or not actions <= set(repo.DISPOSABLE_ACTIONS):
        return "no_disposition_class", {"retention_class": sorted(c or "" for c in classes)}
    return None


async def _audit_own(plane: ControlPlane, **entry: Any) -> AuditEvent:
    async with plane.sessionmaker() as own, own.begin():
        return await audit.record(own, **entry)


async def _destroy_one(plane: ControlPlane, batch_id: uuid.UUID, item_record: dict | None,
                       file_id: uuid.UUID) -> str:
    async with plane.sessionmaker() as session:
        await saga_repo.lock_resource(session, f"file:{file_id}")
        ses = [se for se in await se_repo.all_elements(session) if se.lost_at is None]
        located = await locate(plane, ses, file_id)
        if located.unreachable:
            raise Retry(f"storage elements did not answer for {file_id}: "
                        f"{[str(se.id) for se in located.unreachable]}")
        copies = [a for _, a in located.found]
        kept = None
        if not copies and item_record is None:
            kept = ("not_found", {})
        elif copies:
            kept = await _why_kept(session, copies)
            frozen = [str(se.id) for se, _ in located.found if se.mode in ("ro", "ar")]
            if kept is None and frozen:  # a closed SE never deletes: nothing goes, or all
                kept = ("read_only_copy", {"storage_element_ids": frozen})
            if kept is None and item_record is None:
                # Saved before any copy goes, so a crash mid-way still certifies it.
                item_record = _record(copies[0], [str(se.id) for se, _ in located.found])
                await repo.set_item(session, batch_id, file_id, "pending", None, item_record)
        await session.commit()
    if kept is None:
        for se, _ in located.found:
            try:
                await plane.client.dispose(se, file_id, batch_id)
            except SERejected as exc:  # a hold or a later date arrived just now
                if exc.code not in SE_REFUSALS:
                    raise
                kept = (SE_REFUSALS[exc.code], {"storage_element_id": str(se.id)})
                break
            except UNREACHABLE as exc:
                raise Retry(f"{se.id} did not answer: {exc}") from exc
    async with plane.sessionmaker() as session, session.begin():
        if kept is not None:
            reason, details = kept
            await repo.set_item(session, batch_id, file_id, "skipped", reason,
                                details | ({"record": item_record} if item_record else {}))
            await audit.record(session, action="disposition.file_skipped", actor="system",
                               resource_type="file", resource_id=file_id,
                               details={"batch_id": str(batch_id), "reason": reason, **details})
            log.info("disposition.file_skipped", file_id=str(file_id), reason=reason)
            return "skipped"
        await repo.set_item(session, batch_id, file_id, "destroyed", None, item_record)
        await repo.mark_destroyed(session, file_id)
        await audit.record(session, action="file.destroyed", actor="system",
                           resource_type="file", resource_id=file_id,
                           details={"batch_id": str(batch_id), **(item_record or {})})
    return "destroyed"


async def destroy(ctx: StepContext) -> Done:
    plane, batch_id = ctx.plane, uuid.UUID(ctx.payload["batch_id"])
    async with plane.sessionmaker() as session, session.begin():
        batch = await repo.get_batch(session, batch_id, lock=True)
        assert batch is not None
        if batch.status == "approved":
            batch.status = "executing"
            await audit.record(session, action="disposition.batch_executing", actor="system",
                               resource_type="disposition_batch", resource_id=batch_id,
                               details={"saga_id": str(ctx.saga.id)})
        items = await repo.items(session, batch_id)
    for item in items:
        if item.outcome == "pending":
            await _destroy_one(plane, batch_id, item.record, item.file_id)
    async with plane.sessionmaker() as session, session.begin():
        batch = await repo.get_batch(session, batch_id, lock=True)
        assert batch is not None
        counts = (await repo.item_counts(session, [batch_id])).get(batch_id, {})
        if batch.audit_seq_to is None:
            batch.executed_at = utcnow()
            entry = await audit.record(session, action="disposition.batch_executed",
                                       actor="system", resource_type="disposition_batch",
                                       resource_id=batch_id,
                                       details={"counts": counts, "proposed_by": batch.proposed_by,
                                                "approved_by": batch.decided_by})
            batch.audit_seq_to = entry.seq
    return Done(f"{counts.get('destroyed', 0)} destroyed, {counts.get('skipped', 0)} kept")


async def _store(ctx: StepContext, file_id: uuid.UUID, name: str, content_type: str,
                 data: bytes, batch_id: uuid.UUID) -> list[str]:
    """Put the document on as many rw SEs as the permanent copy policy asks (at least one)."""
    wanted = next(p.target_copies for p in await policies(ctx.session)
                  if p.retention_policy == "permanent")
    targets = [se for se in await se_repo.all_elements(ctx.session, mode="rw")
               if se.lost_at is None and not se.draining][:wanted]
    attrs = UploadAttributes(original_filename=name, content_type=content_type,
                             retention_policy="permanent", tags=[certificate.TAG],
                             custom={"disposition_batch_id": str(batch_id),
                                     "document_kind": certificate.KIND},
                             copies=[se.id for se in targets])
    stored = []
    for se in targets:
        try:
            await ctx.plane.client.put_bytes(se, file_id, attrs, data)
        except SERejected as exc:
            if exc.code != "FILE_EXISTS":  # a re-run: the same bytes are there already
                raise
        except UNREACHABLE as exc:
            log.warning("disposition.certificate_copy_failed", storage_element=str(se.id),
                        error=str(exc))
            continue
        stored.append(str(se.id))
    if not stored:
        raise Retry("no rw storage element took the certificate")
    return stored


async def certify(ctx: StepContext) -> Done:
    session, batch_id = ctx.session, uuid.UUID(ctx.payload["batch_id"])
    batch = await repo.get_batch(session, batch_id, lock=True)
    assert batch is not None and batch.audit_seq_from and batch.audit_seq_to
    if batch.status == "executed":
        return Done("certificate already stored")
    first = await audit_repo.event_at(session, batch.audit_seq_from)
    last = await audit_repo.event_at(session, batch.audit_seq_to)
    assert first is not None and last is not None
    cert = certificate.build(batch, await repo.items(session, batch_id),
                             prev_mac=first.prev_mac, last_mac=last.mac)
    pdf = await anyio.to_thread.run_sync(certificate.render_pdf, cert)  # seconds per 1,000
    json_id = uuid.uuid5(batch_id, "certificate.json")
    pdf_id = uuid.uuid5(batch_id, "certificate.pdf")
    body = certificate.encode(cert)
    on = await _store(ctx, json_id, f"certificate-of-destruction-{batch_id}.json",
                      "application/json", body, batch_id)
    await _store(ctx, pdf_id, f"certificate-of-destruction-{batch_id}.pdf", "application/pdf",
                 pdf, batch_id)
    batch.certificate, batch.certificate_pdf = cert, pdf
    batch.certificate_file_id, batch.certificate_pdf_file_id = json_id, pdf_id
    batch.status = "executed"
    await audit.record(session, action="disposition.certificate_stored", actor="system",
                       resource_type="disposition_batch", resource_id=batch_id,
                       details={"json_file_id": str(json_id), "pdf_file_id": str(pdf_id),
                                "storage_element_ids": on,
                                "sha256_json": certificate.sha256(body),
                                "sha256_pdf": certificate.sha256(pdf)})
    return Done(f"certificate {json_id} / {pdf_id}")


DISPOSITION = SagaType("disposition", [
    Step("destroy", destroy, forward_only=True),
    Step("certify", certify, forward_only=True),
])
