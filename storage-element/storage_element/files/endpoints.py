"""``/api/v1/files``: upload, attributes, content, patch, delete, listing."""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Header, Query, Request, Response
from fastapi.responses import JSONResponse, StreamingResponse

from artstore_common.errors import ValidationFailed
from storage_element import repository as repo
from storage_element.deps import (
    Ctx,
    FilesDelete,
    FilesRead,
    FilesReplicate,
    FilesWrite,
    RecordsDispose,
    RecordsWrite,
)
from storage_element.files import content, records, service, upload
from storage_element.files.schemas import Disposition, FilePage, FileRead

router = APIRouter(prefix="/api/v1/files", tags=["files"])


# The documents go out as stored (JSONResponse); response_model documents them
# (storage_element/schemas.py says why).
@router.put("/{file_id}", status_code=201, response_model=FileRead)
async def put_file(file_id: uuid.UUID, request: Request, ctx: Ctx,
                   principal: FilesWrite) -> JSONResponse:
    voucher = await upload.copy_set_voucher(request)
    meta = await upload.upload(ctx, file_id, principal, request.headers, request.stream(),
                               voucher)
    return JSONResponse(dict(meta, storage_element_id=str(ctx.se_id), last_verified_at=None),
                        status_code=201)


@router.get("/{file_id}", response_model=FileRead)
async def get_file(file_id: uuid.UUID, ctx: Ctx, principal: FilesRead) -> JSONResponse:
    return JSONResponse(service.present(await service.load(ctx, file_id), ctx.se_id))


@router.head("/{file_id}/content", operation_id="head_content")
@router.get("/{file_id}/content", operation_id="get_content")
async def get_content(
    file_id: uuid.UUID, request: Request, ctx: Ctx, principal: FilesRead,
    range_header: Annotated[str | None, Header(alias="Range")] = None,
    if_none_match: Annotated[str | None, Header(alias="If-None-Match")] = None,
    if_range: Annotated[str | None, Header(alias="If-Range")] = None,
) -> Response:
    download = await content.prepare(ctx, file_id, range_header, if_none_match,
                                     head=request.method == "HEAD", if_range=if_range)
    if download.body is None:
        return Response(status_code=download.status, headers=download.headers)
    return StreamingResponse(download.body, status_code=download.status, headers=download.headers)


@router.patch("/{file_id}", response_model=FileRead)
async def patch_file(
    file_id: uuid.UUID, changes: service.FilePatch, ctx: Ctx, principal: FilesWrite
) -> JSONResponse:
    row = await service.patch(ctx, file_id, changes, principal)
    return JSONResponse(service.present(row, ctx.se_id))


@router.delete("/{file_id}", status_code=204)
async def delete_file(file_id: uuid.UUID, ctx: Ctx, principal: FilesDelete) -> Response:
    await service.delete(ctx, file_id, principal)
    return Response(status_code=204)


@router.post("/{file_id}/dispose", status_code=204)
async def dispose_file(file_id: uuid.UUID, body: Disposition, ctx: Ctx,
                       principal: RecordsDispose) -> Response:
    """Destroy this copy under an approved disposition batch (issue 15). Only the admin
    module's own token (records:write and internal) may: four eyes are checked there."""
    await service.delete(ctx, file_id, principal, disposition=body.batch_id)
    return Response(status_code=204)


@router.post("/{file_id}/withdraw", status_code=204)
async def withdraw_file(file_id: uuid.UUID, ctx: Ctx, principal: FilesReplicate) -> Response:
    """The ingester takes back a copy of an upload it refused (also on rw, while young)."""
    await service.delete(ctx, file_id, principal, withdraw=True)
    return Response(status_code=204)


@router.put("/{file_id}/holds/{hold_id}", response_model=FileRead)
async def place_hold(file_id: uuid.UUID, hold_id: uuid.UUID, ctx: Ctx, principal: RecordsWrite
                     ) -> JSONResponse:
    """Record a legal hold in the sidecar: no path deletes the file while it is there."""
    return JSONResponse(await records.place_hold(ctx, file_id, hold_id))


@router.delete("/{file_id}/holds/{hold_id}", response_model=FileRead)
async def release_hold(file_id: uuid.UUID, hold_id: uuid.UUID, ctx: Ctx,
                       principal: RecordsWrite) -> JSONResponse:
    return JSONResponse(await records.release_hold(ctx, file_id, hold_id))


@router.put("/{file_id}/retain-until", response_model=FileRead)
async def set_retain_until(file_id: uuid.UUID, body: records.RetainUntil, ctx: Ctx,
                           principal: RecordsWrite) -> JSONResponse:
    """Keep the file at least until then; only ever later (``409 RETAIN_UNTIL_EARLIER``)."""
    return JSONResponse(await records.set_retain_until(ctx, file_id, body.retain_until,
                                                       body.retention_class))


def _utc(value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


def encode_cursor(updated_at: datetime, file_id: uuid.UUID) -> str:
    raw = json.dumps({"u": updated_at.isoformat(), "f": str(file_id)}).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    try:
        raw = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        return _utc(datetime.fromisoformat(raw["u"])), uuid.UUID(raw["f"])  # type: ignore[return-value]
    except (ValueError, KeyError, TypeError, binascii.Error) as exc:
        raise ValidationFailed("The cursor is not valid", code="INVALID_CURSOR") from exc


@router.get("", response_model=FilePage)
async def list_files(
    ctx: Ctx, principal: FilesRead,
    changed_since: datetime | None = None,
    expires_before: datetime | None = None,
    status: Annotated[str | None, Query(pattern="^(active|deleted|expired)$")] = None,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> JSONResponse:
    after = decode_cursor(cursor) if cursor else None
    async with ctx.sessionmaker() as session:
        rows, total = await repo.list_files(
            session, changed_since=_utc(changed_since), after=after,
            expires_before=_utc(expires_before), status=status, limit=limit)
    items = [service.present(row, ctx.se_id) for row in rows]
    next_cursor = (encode_cursor(rows[-1].updated_at, rows[-1].file_id)
                   if len(rows) == limit else None)
    return JSONResponse({"items": items, "total": total, "limit": limit, "offset": 0,
                         "next_cursor": next_cursor})
