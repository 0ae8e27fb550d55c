"""Disposition rules: a records manager proposes a batch of candidates, a *different* principal
approves (a saga then destroys every copy and certifies it) or rejects it. Each step is audited.

Candidates come from ``file_retention`` (what the admin wrote to the copies); the saga re-reads
every copy's sidecar before destroying, so a hold or a later retain_until placed in between
keeps the file (it is skipped and reported)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from admin_module.audit import service as audit
from admin_module.audit.chain import ChainWalker
from admin_module.disposition import repository as repo
from admin_module.disposition.schemas import BatchCreate, RangeVerification
from admin_module.models.base import utcnow
from admin_module.models.disposition import DispositionBatch, DispositionItem
from admin_module.sagas.engine import new_saga
from admin_module.storage_elements.context import ControlPlane
from artstore_common.auth import Principal
from artstore_common.errors import Conflict, Forbidden, NotFound, ValidationFailed

SAGA_TYPE = "disposition"


class BatchNotFound(NotFound):
    code, message = "DISPOSITION_BATCH_NOT_FOUND", "Disposition batch not found"


class BatchNotProposed(Conflict):
    code, message = "BATCH_NOT_PROPOSED", "Only a proposed batch can be approved or rejected"


class FourEyesRequired(Forbidden):
    code = "FOUR_EYES_REQUIRED"
    message = "A batch must be approved or rejected by someone other than its proposer"


class NotCandidates(ValidationFailed):
    code = "NOT_DISPOSITION_CANDIDATES"
    message = ("Some files are not disposition candidates (retain_until not passed, no "
               "review/destroy class, on hold, already in an open batch, or destroyed)")


class NoCertificate(NotFound):
    code, message = "CERTIFICATE_NOT_READY", "This batch has no certificate (not executed yet)"


def actor_of(principal: Principal) -> str:
    return principal.name or principal.subject


async def propose(session: AsyncSession, body: BatchCreate, principal: Principal
                  ) -> DispositionBatch:
    file_ids = list(dict.fromkeys(body.file_ids))
    eligible = await repo.which_are_candidates(session, utcnow(), file_ids)
    if missing := [f for f in file_ids if f not in eligible]:
        raise NotCandidates(details={"file_ids": [str(f) for f in missing]})
    actor = actor_of(principal)
    batch = DispositionBatch(id=uuid.uuid4(), status="proposed", reason=body.reason,
                             proposed_by=actor, proposed_by_subject=principal.subject,
                             proposed_at=utcnow())
    session.add(batch)
    await session.flush()
    session.add_all(DispositionItem(batch_id=batch.id, file_id=f, outcome="pending")
                    for f in file_ids)
    entry = await audit.record(session, action="disposition.batch_proposed", actor=actor,
                               resource_type="disposition_batch", resource_id=batch.id,
                               details={"reason": body.reason, "subject": principal.subject,
                                        "file_ids": [str(f) for f in file_ids]})
    batch.audit_seq_from = entry.seq
    await session.flush()
    return batch


async def get(session: AsyncSession, batch_id: uuid.UUID, *, lock: bool = False
              ) -> DispositionBatch:
    batch = await repo.get_batch(session, batch_id, lock=lock)
    if batch is None:
        raise BatchNotFound(details={"batch_id": str(batch_id)})
    return batch


async def _decidable(session: AsyncSession, plane: ControlPlane, batch_id: uuid.UUID,
                     principal: Principal, decision: str) -> DispositionBatch:
    batch = await get(session, batch_id, lock=True)
    if batch.status != "proposed":
        raise BatchNotProposed(details={"batch_id": str(batch_id), "status": batch.status})
    if principal.subject == batch.proposed_by_subject:
        async with plane.sessionmaker() as own, own.begin():  # kept although the request fails
            await audit.record(own, action=f"disposition.{decision}_refused",
                               actor=actor_of(principal), resource_type="disposition_batch",
                               resource_id=batch.id, outcome="denied",
                               details={"reason": "FOUR_EYES_REQUIRED",
                                        "subject": principal.subject})
        raise FourEyesRequired(details={"batch_id": str(batch_id),
                                        "proposed_by": batch.proposed_by})
    batch.decided_by, batch.decided_by_subject = actor_of(principal), principal.subject
    batch.decided_at = utcnow()
    return batch


async def approve(session: AsyncSession, plane: ControlPlane, batch_id: uuid.UUID,
                  principal: Principal, reason: str | None) -> DispositionBatch:
    batch = await _decidable(session, plane, batch_id, principal, "approval")
    saga = new_saga(SAGA_TYPE, str(batch.id), {"batch_id": str(batch.id)}, batch.decided_by)
    session.add(saga)
    await session.flush()
    batch.status, batch.decision_reason, batch.saga_id = "approved", reason, saga.id
    await audit.record(session, action="disposition.batch_approved", actor=batch.decided_by,
                       resource_type="disposition_batch", resource_id=batch.id,
                       details={"reason": reason, "subject": principal.subject,
                                "proposed_by": batch.proposed_by, "saga_id": str(saga.id)})
    return batch


async def reject(session: AsyncSession, plane: ControlPlane, batch_id: uuid.UUID,
                 principal: Principal, reason: str | None) -> DispositionBatch:
    batch = await _decidable(session, plane, batch_id, principal, "rejection")
    batch.status, batch.decision_reason = "rejected", reason
    await audit.record(session, action="disposition.batch_rejected", actor=batch.decided_by,
                       resource_type="disposition_batch", resource_id=batch.id,
                       details={"reason": reason, "subject": principal.subject,
                                "proposed_by": batch.proposed_by})
    return batch


async def verify_range(session: AsyncSession, batch: DispositionBatch) -> RangeVerification:
    """Re-check the audit-chain entries the certificate names: consecutive, each MAC right,
    linked to the entry before the range, and ending at the MAC the certificate recorded."""
    cert: dict[str, Any] | None = batch.certificate
    if cert is None:
        raise NoCertificate(details={"batch_id": str(batch.id)})
    span = cert["audit"]
    seq_from, seq_to = span["seq_from"], span["seq_to"]
    walker = ChainWalker(audit.hmac_secret(session), anchor_seq=seq_from - 1,
                         anchor_mac=span["prev_mac"])
    async for row in repo.audit_range(session, seq_from, seq_to):
        if (failure := walker.add(row)) is not None:
            return RangeVerification(valid=False, checked=failure.checked, seq_from=seq_from,
                                     seq_to=seq_to, reason=failure.reason,
                                     position=failure.position)
    end = walker.finish(seq_to, span["last_mac"])
    return RangeVerification(valid=end.valid, checked=end.checked, seq_from=seq_from,
                             seq_to=seq_to, reason=end.reason, position=end.position)
