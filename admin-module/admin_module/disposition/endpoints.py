"""``/api/v1/disposition``: candidates and batches are read with ``records:read`` (RECORDS_MANAGER,
AUDITOR, admins); proposing, approving and rejecting need ``records:write``, and the approver
or rejecter must not be the proposer (``403 FOUR_EYES_REQUIRED``)."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, BackgroundTasks, Query
from fastapi.responses import Response

from admin_module.db import DbSession
from admin_module.disposition import repository as repo
from admin_module.disposition import service
from admin_module.disposition.certificate import encode
from admin_module.disposition.schemas import (
    BatchCreate,
    BatchDecision,
    BatchRead,
    CandidateCount,
    CandidateRead,
    ItemRead,
    RangeVerification,
)
from admin_module.models.base import utcnow
from admin_module.storage_elements.context import Plane
from artstore_common.auth import RecordsRead, RecordsWrite
from artstore_common.pagination import Page, Paging

router = APIRouter(prefix="/disposition", tags=["records"])


async def _read(session, batch, *, with_items: bool = False) -> BatchRead:
    counts = (await repo.item_counts(session, [batch.id])).get(batch.id, {})
    items = ([ItemRead.model_validate(i) for i in await repo.items(session, batch.id)]
             if with_items else None)
    return BatchRead.model_validate(batch).model_copy(update={"counts": counts, "items": items})


@router.get("/candidates", response_model=Page[CandidateRead])
async def candidates(principal: RecordsRead, session: DbSession, paging: Paging
                     ) -> Page[CandidateRead]:
    """Files whose retain_until has passed, of a review/destroy class, on no active hold and
    in no open batch — oldest retain_until first."""
    rows, total = await repo.candidates(session, utcnow(), paging.limit, paging.offset)
    return Page(items=[CandidateRead(file_id=r.file_id, original_filename=r.original_filename,
                                     size=r.size, retention_class=r.retention_class,
                                     action=action, retain_until=r.retain_until)
                       for r, action in rows],
                total=total, limit=paging.limit, offset=paging.offset)


@router.get("/candidates/count", response_model=CandidateCount)
async def candidate_count(principal: RecordsRead, session: DbSession) -> CandidateCount:
    return CandidateCount(count=await repo.count_candidates(session, utcnow()))


@router.post("/batches", response_model=BatchRead, status_code=201)
async def propose(body: BatchCreate, principal: RecordsWrite, session: DbSession) -> BatchRead:
    """Propose these candidates for destruction; another principal must approve."""
    return await _read(session, await service.propose(session, body, principal), with_items=True)


@router.get("/batches", response_model=Page[BatchRead])
async def list_batches(
    principal: RecordsRead, session: DbSession, paging: Paging,
    status: Literal["proposed", "approved", "executing", "executed", "rejected"] | None = None,
) -> Page[BatchRead]:
    rows, total = await repo.list_batches(session, status, paging.limit, paging.offset)
    counts = await repo.item_counts(session, [b.id for b in rows])
    return Page(items=[BatchRead.model_validate(b).model_copy(update={"counts": counts.get(
        b.id, {})}) for b in rows], total=total, limit=paging.limit, offset=paging.offset)


@router.get("/batches/{batch_id}", response_model=BatchRead)
async def get_batch(batch_id: uuid.UUID, principal: RecordsRead, session: DbSession
                    ) -> BatchRead:
    return await _read(session, await service.get(session, batch_id), with_items=True)


@router.post("/batches/{batch_id}/approve", response_model=BatchRead)
async def approve(batch_id: uuid.UUID, principal: RecordsWrite, session: DbSession,
                  plane: Plane, background: BackgroundTasks,
                  body: BatchDecision | None = None) -> BatchRead:
    """Approve: a saga destroys every copy of each file (re-checking holds and dates first)
    and stores the certificate of destruction."""
    batch = await service.approve(session, plane, batch_id, principal,
                                  body.reason if body else None)
    background.add_task(plane.wake)
    return await _read(session, batch)


@router.post("/batches/{batch_id}/reject", response_model=BatchRead)
async def reject(batch_id: uuid.UUID, principal: RecordsWrite, session: DbSession,
                 plane: Plane, body: BatchDecision | None = None) -> BatchRead:
    return await _read(session, await service.reject(session, plane, batch_id, principal,
                                                     body.reason if body else None))


@router.get("/batches/{batch_id}/certificate",
            responses={200: {"content": {"application/json": {}, "application/pdf": {}}}})
async def certificate(batch_id: uuid.UUID, principal: RecordsRead, session: DbSession,
                      format: Annotated[Literal["json", "pdf"], Query()] = "json") -> Response:
    """The certificate of destruction of an executed batch (``404 CERTIFICATE_NOT_READY``
    before). The same documents are stored in ArtStore (``certificate_file_id``,
    ``certificate_pdf_file_id``)."""
    batch = await service.get(session, batch_id)
    if batch.certificate is None or batch.certificate_pdf is None:
        raise service.NoCertificate(details={"batch_id": str(batch_id)})
    if format == "pdf":
        return Response(batch.certificate_pdf, media_type="application/pdf", headers={
            "Content-Disposition": f'attachment; filename="certificate-{batch_id}.pdf"'})
    return Response(encode(batch.certificate), media_type="application/json")


@router.get("/batches/{batch_id}/certificate/verify", response_model=RangeVerification)
async def verify_certificate(batch_id: uuid.UUID, principal: RecordsRead, session: DbSession
                             ) -> RangeVerification:
    """Re-check the audit-chain range the certificate names (MACs, links, its end MAC)."""
    return await service.verify_range(session, await service.get(session, batch_id))
