"""``POST /api/v1/files`` and ``/api/v1/files/batch``: streamed multipart uploads.

The body is parsed by hand (never ``request.form()``, which spools files to disk), so these
endpoints declare no form parameters; the OpenAPI schema describes the body instead.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from starlette.requests import ClientDisconnect

from artstore_common.access import AccessTrail, client_address
from artstore_common.auth import Principal, bearer_token
from artstore_common.errors import BadRequest
from ingester_module.config import Settings
from ingester_module.deps import AppSettings, FilesWrite, Trail
from ingester_module.errors import FileTooLarge
from ingester_module.uploads.deps import Ingest
from ingester_module.uploads.schemas import BatchRead, FileRead
from ingester_module.uploads.service import CountedBody, UploadRequest

router = APIRouter(prefix="/api/v1/files", tags=["files"])


# Read-after-write: metadata and download by id answer at once through the query module; search
# lists the file once the catalog has consumed its event. This header says how long that takes
# at most in normal operation (the query module's index lag; measured in README-PROJECT.md).
SEARCH_LAG_HEADER = "X-ArtStore-Search-Visible-Within"

# Form fields and part headers around the file: how far Content-Length may exceed the limit.
_ENVELOPE_BYTES = 256 * 1024

_BODY_DOC = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {
                        "retention_policy": {"type": "string",
                                             "enum": ["temporary", "permanent"]},
                        "ttl_days": {"type": "integer", "minimum": 1, "maximum": 365},
                        "description": {"type": "string"},
                        "tags": {"type": "string", "description": "comma list or JSON array"},
                        "version": {"type": "string"},
                        "metadata": {"type": "string", "description": "JSON object"},
                        "compress": {"type": "string",
                                     "description": "true|false|gzip|br|zstd"},
                        "retain_until": {"type": "string", "format": "date-time",
                                         "description": "keep at least until (records:write)"},
                        "retention_class": {"type": "string", "description":
                                            "a retention schedule's name (records:write)"},
                        "file": {"type": "string", "format": "binary",
                                 "description": "must come after the fields"},
                    },
                }
            }
        },
    }
}


def _upload_request(request: Request, principal: Principal) -> UploadRequest:
    raw_length = request.headers.get("content-length")
    length: int | None = None
    if raw_length is not None:
        if not raw_length.isdigit():
            raise BadRequest("Content-Length is not a number")
        length = int(raw_length)
    return UploadRequest(
        content_type=request.headers.get("content-type"),
        content_length=length,
        body=CountedBody(request.stream().__aiter__(), length),
        principal=principal,
        token=bearer_token(request),
    )


@router.post("", status_code=201, response_model=FileRead, openapi_extra=_BODY_DOC)
async def upload_file(request: Request, response: Response, principal: FilesWrite,
                      settings: AppSettings, service: Ingest, trail: Trail) -> FileRead:
    upload = _upload_request(request, principal)
    response.headers[SEARCH_LAG_HEADER] = _search_lag(settings)
    limit = settings.MAX_FILE_SIZE
    if upload.content_length is not None and upload.content_length > limit + _ENVELOPE_BYTES:
        raise FileTooLarge(limit)
    try:
        stored = await service.upload_one(upload)
    except ClientDisconnect as exc:
        raise BadRequest("The client went away before the upload ended",
                         code="CLIENT_DISCONNECTED") from exc
    _note_uploaded(trail, request, principal, stored)
    return stored


@router.post("/batch", status_code=207, response_model=BatchRead, openapi_extra=_BODY_DOC)
async def upload_batch(request: Request, principal: FilesWrite, settings: AppSettings,
                       service: Ingest, trail: Trail) -> JSONResponse:
    upload = _upload_request(request, principal)
    try:
        results = await service.upload_batch(upload)
    except ClientDisconnect as exc:
        raise BadRequest("The client went away before the upload ended",
                         code="CLIENT_DISCONNECTED") from exc
    for result in results:
        if result["status"] == 201:
            _note_uploaded(trail, request, principal,
                           FileRead.model_validate(result["file"]))
    return JSONResponse({"results": results}, status_code=207,
                        headers={SEARCH_LAG_HEADER: _search_lag(settings)})


def _note_uploaded(trail: AccessTrail, request: Request, principal: Principal,
                   stored: FileRead) -> None:
    trail.note(
        "file.uploaded", stored.file_id, principal, client_address(request),
        {"size": stored.size, "sha256": stored.sha256,
         "storage_element_ids": [str(i) for i in stored.copies or [stored.storage_element_id]]})


def _search_lag(settings: Settings) -> str:
    return f"{settings.SEARCH_VISIBLE_WITHIN_SECONDS:g}"
