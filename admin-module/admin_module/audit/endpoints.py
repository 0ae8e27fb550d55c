from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import StreamingResponse

from admin_module.audit import export, service
from admin_module.audit.repository import AuditFilter
from admin_module.audit.schemas import AuditEventRead, AuditVerifyRead
from admin_module.deps import AppSettings, DbSession, Sessions
from admin_module.errors import ValidationFailed
from admin_module.models.base import utcnow
from artstore_common.auth import AuditRead as AuditReader
from artstore_common.pagination import Page, PageParams, Paging

router = APIRouter(prefix="/audit", tags=["audit"])


def _filters(
    action: Annotated[str | None, Query(max_length=64)] = None,
    actor: Annotated[str | None, Query(max_length=256)] = None,
    resource_type: Annotated[str | None, Query(max_length=64)] = None,
    resource_id: Annotated[str | None, Query(max_length=256)] = None,
    outcome: Literal["success", "failure", "denied"] | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    action_contains: Annotated[str | None, Query(max_length=64)] = None,
) -> AuditFilter:
    return AuditFilter(action, actor, resource_type, resource_id, outcome, since, until,
                       action_contains)


Filters = Annotated[AuditFilter, Depends(_filters)]


@router.get("", response_model=Page[AuditEventRead])
async def list_audit(
    principal: AuditReader, session: DbSession, paging: Paging, f: Filters
) -> Page[AuditEventRead]:
    """Newest first. ``actor=`` an account's name as the entries give it (its subject when it
    has none); ``resource_type=file&resource_id=<id>`` one file's entries."""
    rows, total = await service.list_events(session, f, paging.limit, paging.offset)
    return page_of(rows, total, paging)


def page_of(rows: list, total: int, paging: PageParams) -> Page[AuditEventRead]:
    return Page(items=[AuditEventRead.model_validate(r) for r in rows],
                total=total, limit=paging.limit, offset=paging.offset)


@router.get("/verify", response_model=AuditVerifyRead)
async def verify_audit(
    principal: AuditReader, session: DbSession, settings: AppSettings,
    mode: Literal["full", "checkpoint"] = "full",
    from_seq: Annotated[int | None, Query(ge=1)] = None,
    to_seq: Annotated[int | None, Query(ge=1)] = None,
) -> AuditVerifyRead:
    """``full`` walks the whole chain; ``checkpoint`` starts at the newest signed checkpoint
    (fast on a long chain); ``from_seq``/``to_seq`` verify a range from the checkpoint before
    it. Each walk leaves checkpoints where it found the chain intact."""
    if from_seq is not None and to_seq is not None and from_seq > to_seq:
        raise ValidationFailed("from_seq is after to_seq",
                               details={"from_seq": from_seq, "to_seq": to_seq})
    result = await service.verify_chain(
        session, mode=mode, from_seq=from_seq, to_seq=to_seq,
        checkpoint_every=settings.AUDIT_CHECKPOINT_EVERY)
    return AuditVerifyRead(**result.as_dict())


@router.get("/export", response_class=StreamingResponse,
            responses={200: {"content": {"application/x-ndjson": {}, "text/csv": {}}}})
async def export_audit(
    principal: AuditReader, sessionmaker: Sessions, f: Filters,
    format: Literal["jsonl", "csv"] = "jsonl",
    max_rows: Annotated[int, Query(ge=1, le=1_000_000)] = 100_000,
) -> StreamingResponse:
    """The filtered log in ``seq`` order, streamed (oldest first), with each row's MACs."""
    stamp = utcnow().strftime("%Y%m%dT%H%M%SZ")
    if format == "csv":
        body, media = export.csv_lines(sessionmaker, f, max_rows), "text/csv; charset=utf-8"
    else:
        body, media = export.jsonl(sessionmaker, f, max_rows), "application/x-ndjson"
    return StreamingResponse(body, media_type=media, headers={
        "Content-Disposition": f'attachment; filename="audit-{stamp}.{format}"'})
