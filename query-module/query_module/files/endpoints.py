"""One file's metadata and its download."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Request
from starlette.responses import Response

from artstore_common.access import client_address
from query_module.catalog.schemas import FileRead
from query_module.deps import Cache, Discovery, FilesRead, Sessions, Trail
from query_module.files.deps import Download, Lookup
from query_module.files.service import load_file, with_mode

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
    if request.method == "GET":
        details = {"range": request.headers["range"][:100]} if "range" in request.headers else {}
        trail.note("file.downloaded", file_id, principal, client_address(request), details)
    return response
