"""``POST /api/v1/files/archive``: several files as one ZIP, streamed.

The archive is never built in memory or on disk: each member is relayed from one of the file's
copies (the download path's failover) through ``stream-zip`` (ZIP64 with data descriptors, in
a worker thread). Members are deflated at level 0 (stored blocks): most documents are compressed
already, and level 1 cut the archive's rate about fivefold (README-PROJECT.md, issue 16).
Every member's bytes are hashed on the way and compared with the catalogue's SHA-256 and size;
on a mismatch the stream is aborted, so the client never gets a well-formed archive holding
bad bytes. Count and total size are bounded
(``ARCHIVE_MAX_FILES``, ``ARCHIVE_MAX_BYTES``) and checked before the first byte is sent.
"""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import PurePosixPath
from uuid import UUID

import anyio
import structlog
from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import StreamingResponse
from stream_zip import ZIP_64, async_stream_zip

from artstore_common.access import client_address
from artstore_common.errors import ArtStoreError, ValidationFailed
from query_module.catalog.schemas import FileRead
from query_module.deps import AppSettings, Cache, Discovery, FilesRead, Sessions, Trail
from query_module.errors import FileArchived
from query_module.files.deps import Download
from query_module.files.disposition import content_disposition
from query_module.files.download import Downloader
from query_module.files.service import load_file, with_mode

log = structlog.get_logger(__name__)

router = APIRouter(prefix="/api/v1/files", tags=["files"])
MAX_IDS = 10_000  # the schema's own bound; the setting is the real limit


class ArchiveRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    file_ids: list[UUID] = Field(min_length=1, max_length=MAX_IDS)


class ArchiveTooLarge(ArtStoreError):
    status_code, code = 413, "ARCHIVE_TOO_LARGE"
    message = "The selection is too large for one archive"


class MemberMismatch(Exception):
    """A member's bytes do not match the catalogue: the archive must not complete."""


def member_names(files: list[FileRead]) -> list[str]:
    """Each file's own name, made unique within the archive ("a.txt", "a (2).txt")."""
    seen: set[str] = set()
    names = []
    for f in files:
        base = PurePosixPath(f.original_filename.replace("\\", "/")).name or str(f.file_id)
        stem, suffix = PurePosixPath(base).stem, PurePosixPath(base).suffix
        name, n = base, 1
        while name.lower() in seen:
            n += 1
            name = f"{stem} ({n}){suffix}"
        seen.add(name.lower())
        names.append(name)
    return names


async def _member(downloader: Downloader, request: Request, file: FileRead,
                  chunk: int) -> AsyncIterator[bytes]:
    upstream = await downloader._open("GET", file, request)
    digest, size = hashlib.sha256(), 0
    try:
        async for data in upstream.aiter_raw(chunk):
            size += len(data)
            await anyio.to_thread.run_sync(digest.update, data)
            yield data
    finally:
        await upstream.aclose()
    if size != file.size or digest.hexdigest() != file.sha256:
        log.error("archive.member_mismatch", file_id=str(file.file_id), size=size)
        raise MemberMismatch(str(file.file_id))


@router.post("/archive", response_class=StreamingResponse,
             responses={200: {"content": {"application/zip": {}}}})
async def archive(
    body: ArchiveRequest, principal: FilesRead, request: Request, settings: AppSettings,
    cache: Cache, sessions: Sessions, discovery: Discovery, downloader: Download, trail: Trail,
) -> StreamingResponse:
    ids = list(dict.fromkeys(body.file_ids))
    if len(ids) > settings.ARCHIVE_MAX_FILES:
        raise ValidationFailed(f"At most {settings.ARCHIVE_MAX_FILES} files per archive",
                               code="ARCHIVE_TOO_MANY_FILES",
                               details={"limit": settings.ARCHIVE_MAX_FILES, "given": len(ids)})
    files = [with_mode(await load_file(i, cache, sessions), discovery) for i in ids]
    archived = [str(f.file_id) for f in files if f.storage_element_mode == "ar"]
    if archived:
        raise FileArchived(details={"file_ids": archived})
    total = sum(f.size for f in files)
    if total > settings.ARCHIVE_MAX_BYTES:
        raise ArchiveTooLarge(details={"limit_bytes": settings.ARCHIVE_MAX_BYTES,
                                       "total_bytes": total})
    chunk = settings.DOWNLOAD_CHUNK_BYTES
    for f in files:
        trail.note("file.downloaded", f.file_id, principal, client_address(request),
                   {"archive": True})

    async def members():
        for f, name in zip(files, member_names(files), strict=True):
            yield name, f.created_at, 0o600, ZIP_64, _member(downloader, request, f, chunk)

    async def stream() -> AsyncIterator[bytes]:
        sent = 0
        try:
            async for data in async_stream_zip(
                    members(), chunk_size=chunk,
                    get_compressobj=lambda: zlib.compressobj(wbits=-zlib.MAX_WBITS, level=0)):
                sent += len(data)
                yield data
        except Exception as exc:
            log.error("archive.aborted", files=len(files), sent=sent,
                      error=f"{type(exc).__name__}: {exc}"[:200])
            raise
        log.info("archive.sent", files=len(files), bytes=total, sent=sent,
                 principal=principal.subject)

    name = f"artstore-{datetime.now(UTC):%Y%m%d-%H%M%S}.zip"
    return StreamingResponse(stream(), media_type="application/zip",
                             headers={"content-disposition": content_disposition(name),
                                      "x-content-type-options": "nosniff"})
