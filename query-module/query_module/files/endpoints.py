"""One file's metadata and its download."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from artstore_common.access import client_address
from query_module.catalog.schemas import FileRead, FileText
from query_module.deps import Cache, Discovery, FilesRead, Sessions, Trail
from query_module.files.deps import Download, Lookup, Thumbs
from query_module.files.service import load_file, load_text, with_mode

router = APIRouter(prefix="/api/v1/files", tags=["files"])


@router.get("/{file_id}", response_model=FileRead)
async def get_file(file_id: UUID, principal: FilesRead, request: Request, cache: Cache,
                   sessions: Sessions, lookup: Lookup, discovery: Discovery,
                   trail: Trail) -> FileRead:
    value = await load_file(file_id, cache, sessions, lookup)
    trail.note("file.metadata_read", file_id, principal, client_address(request))
    return with_mode(value, discovery)


@router.get("/{file_id}/download", response_class=Response, operation_id="download_file")
@router.head("/{file_id}/download", response_class=Response, operation_id="head_file_download")
async def download_file(file_id: UUID, principal: FilesRead, request: Request, cache: Cache,
                        sessions: Sessions, lookup: Lookup, downloader: Download,
                        trail: Trail) -> Response:
    value = await load_file(file_id, cache, sessions, lookup)
    response = await downloader.respond(value, request)
    if request.method == "GET" and "range" in request.headers:  # a viewer's reads: one entry
        trail.note_range(file_id, principal, client_address(request), request.headers["range"])
    elif request.method == "GET":
        trail.note("file.downloaded", file_id, principal, client_address(request))
    return response


@router.get("/{file_id}/text", response_model=FileText)
async def get_file_text(
    file_id: UUID, principal: FilesRead, request: Request, cache: Cache, sessions: Sessions,
    lookup: Lookup, trail: Trail, max_chars: int = Query(200_000, ge=1, le=5_000_000),
) -> FileText:
    """The text extracted from the file (Office, RTF, HTML, scans…), for a preview."""
    await load_file(file_id, cache, sessions, lookup)
    text = await load_text(file_id, sessions, max_chars)
    trail.note("file.downloaded", file_id, principal, client_address(request), {"as": "text"})
    return text


@router.get("/{file_id}/thumbnail", response_class=Response,
            responses={200: {"content": {"image/jpeg": {}}}})
async def get_thumbnail(
    file_id: UUID, principal: FilesRead, request: Request, cache: Cache, sessions: Sessions,
    lookup: Lookup, thumbnails: Thumbs, trail: Trail,
    size: int = Query(160, ge=32, le=512, description="longest side in pixels"),
) -> Response:
    """A small JPEG of an image file (made once per SHA-256 and size, kept in Redis)."""
    value = await load_file(file_id, cache, sessions, lookup)
    etag = f'"{value.sha256[:32]}-{size}"'
    headers = {"etag": etag, "cache-control": "private, max-age=86400",
               "x-content-type-options": "nosniff"}
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    data = await thumbnails.get(value, size)
    trail.note("file.downloaded", file_id, principal, client_address(request),
               {"as": "thumbnail"})
    return Response(data, media_type="image/jpeg", headers=headers)
