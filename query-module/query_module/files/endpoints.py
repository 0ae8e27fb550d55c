"""One file's metadata and its download."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Query, Request
from sqlalchemy import func, select
from starlette.responses import Response

from artstore_common.access import client_address
from artstore_common.auth import FilesRead
from query_module.catalog.schemas import FileRead, FileText, TextExtraction
from query_module.db import session_scope
from query_module.errors import NoText, TextPending
from query_module.files.service import load_file, with_mode
from query_module.models import CatalogFile, CatalogText

router = APIRouter(prefix="/api/v1/files", tags=["files"])


@router.get("/{file_id}", response_model=FileRead)
async def get_file(file_id: UUID, principal: FilesRead, request: Request) -> FileRead:
    state = request.app.state
    value = await load_file(file_id, state.metadata_cache, state.sessionmaker,
                            state.catalog_lookup)
    state.access_trail.note("file.metadata_read", file_id, principal, client_address(request))
    return with_mode(value, state.discovery)


@router.get("/{file_id}/download", response_class=Response, operation_id="download_file")
@router.head("/{file_id}/download", response_class=Response, operation_id="head_file_download")
async def download_file(file_id: UUID, principal: FilesRead, request: Request) -> Response:
    state = request.app.state
    value = await load_file(file_id, state.metadata_cache, state.sessionmaker,
                            state.catalog_lookup)
    response = await state.downloader.respond(value, request)
    if request.method == "GET":
        details = {"range": request.headers["range"][:100]} if "range" in request.headers else {}
        state.access_trail.note("file.downloaded", file_id, principal, client_address(request),
                                details)
    return response


@router.get("/{file_id}/text", response_model=FileText)
async def get_file_text(
    file_id: UUID, principal: FilesRead, request: Request,
    max_chars: int = Query(200_000, ge=1, le=5_000_000),
) -> FileText:
    """The text extracted from the file (Office, RTF, HTML, scans…), for a preview."""
    state = request.app.state
    await load_file(file_id, state.metadata_cache, state.sessionmaker, state.catalog_lookup)
    async with session_scope(state.sessionmaker) as session:
        row = (await session.execute(
            select(CatalogFile.text_state, CatalogFile.text_reason, CatalogText.method,
                   CatalogText.pages, CatalogText.extracted_at,
                   func.length(CatalogText.content), func.left(CatalogText.content, max_chars))
            .outerjoin(CatalogText, CatalogText.file_id == CatalogFile.file_id)
            .where(CatalogFile.file_id == file_id))).one_or_none()
    details = {"file_id": str(file_id), "state": row.text_state if row else "pending",
               "reason": row.text_reason if row else None}
    if row is None or row.text_state == "pending":
        raise TextPending(details=details)  # only on the SEs so far, or waiting for extraction
    if row.text_state != "done" or row.extracted_at is None:
        raise NoText(details=details)
    length, content = row[5], row[6]
    state.access_trail.note("file.downloaded", file_id, principal, client_address(request),
                            {"as": "text"})
    return FileText(file_id=file_id,
                    text_extraction=TextExtraction(state="done", reason=row.text_reason),
                    method=row.method, pages=row.pages, extracted_at=row.extracted_at,
                    length=length, truncated=length > max_chars, content=content)


@router.get("/{file_id}/thumbnail", response_class=Response,
            responses={200: {"content": {"image/jpeg": {}}}})
async def get_thumbnail(
    file_id: UUID, principal: FilesRead, request: Request,
    size: int = Query(160, ge=32, le=512, description="longest side in pixels"),
) -> Response:
    """A small JPEG of an image file (made once per SHA-256 and size, kept in Redis)."""
    state = request.app.state
    value = await load_file(file_id, state.metadata_cache, state.sessionmaker,
                            state.catalog_lookup)
    etag = f'"{value.sha256[:32]}-{size}"'
    headers = {"etag": etag, "cache-control": "private, max-age=86400",
               "x-content-type-options": "nosniff"}
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    data = await state.thumbnails.get(value, size)
    state.access_trail.note("file.downloaded", file_id, principal, client_address(request),
                            {"as": "thumbnail"})
    return Response(data, media_type="image/jpeg", headers=headers)
