"""Downloads: the original bytes (decompressed when stored compressed), single ranges, ETag.

A full download re-hashes what it sends and holds back the last piece until the hash is
checked: on a mismatch the connection is cut short of Content-Length (the client sees a
broken transfer, never a clean end) and the file is quarantined.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import anyio
import structlog

from storage_element import repository as repo
from storage_element.backends import StorageBackend, chunked
from storage_element.codec import DECODE_ERRORS, decompress, slice_stream
from storage_element.context import SEContext
from storage_element.errors import FileArchived, FileQuarantined, InvalidRange, RangeNotSatisfiable
from storage_element.events import build_event
from storage_element.files.service import load
from storage_element.metrics import FIXITY_RESULTS

log = structlog.get_logger(__name__)

_RANGE_RE = re.compile(r"^bytes=(\d*)-(\d*)$")
_HUGE = 10**18  # beyond any file; longer digit strings would hit Python's int-digit limit


def _position(digits: str) -> int:
    return int(digits) if len(digits) <= 18 else _HUGE


class IntegrityError(Exception):
    """Raised mid-stream so the server aborts the response instead of ending it cleanly."""


def parse_range(header: str | None, size: int) -> tuple[int, int] | None:
    """Inclusive (start, end) or None for the whole body; multiple ranges are refused (416)."""
    if header is None:
        return None
    value = header.strip()
    if "," in value:
        raise RangeNotSatisfiable("Multiple ranges are not supported",
                                  headers={"Content-Range": f"bytes */{size}"})
    match = _RANGE_RE.match(value)
    if not match or match.groups() == ("", ""):
        raise InvalidRange(details={"range": header[:100]})
    first, last = match.groups()
    if first == "":
        length = _position(last)
        if length == 0 or size == 0:
            raise RangeNotSatisfiable(headers={"Content-Range": f"bytes */{size}"})
        return max(size - length, 0), size - 1
    start = _position(first)
    end = _position(last) if last else size - 1
    if last and end < start:
        raise InvalidRange(details={"range": header[:100]})
    if start >= size:
        raise RangeNotSatisfiable(headers={"Content-Range": f"bytes */{size}"})
    return start, min(end, size - 1)


def original_bytes(
    backend: StorageBackend, storage_path: str, attrs: dict[str, Any], offset: int,
    length: int | None, chunk: int,
) -> Iterator[bytes]:
    comp = attrs.get("compression")
    if not comp:
        return chunked(backend.open_reader(storage_path, offset, length), chunk)
    stored = chunked(backend.open_reader(storage_path), 64 * 1024)
    return slice_stream(decompress(stored, comp["algorithm"]), offset, length)


@dataclass
class Download:
    status: int
    headers: dict[str, str]
    body: AsyncIterator[bytes] | None


async def prepare(
    ctx: SEContext, file_id: uuid.UUID, range_header: str | None, if_none_match: str | None,
    head: bool, if_range: str | None = None,
) -> Download:
    if ctx.modes.mode == "ar":
        raise FileArchived(details={"file_id": str(file_id)})
    row = await load(ctx, file_id)
    if row.quarantined_at is not None:
        raise FileQuarantined(details={"file_id": str(file_id)})
    attrs = row.attrs
    etag = f'"{row.sha256}"'
    headers = {"ETag": etag, "Accept-Ranges": "bytes",
               "Content-Type": attrs.get("content_type") or "application/octet-stream"}
    if if_none_match and _etag_matches(if_none_match, etag):
        return Download(304, headers, None)
    size = row.size
    if if_range is not None and if_range.strip() != etag:
        range_header = None  # RFC 9110 §13.1.5: the validator changed (or is a date): all of it
    byte_range = parse_range(range_header, size)
    if byte_range is None:
        headers["Content-Length"] = str(size)
        body = None if head else _verified(ctx, row.file_id, row.storage_path, attrs)
        return Download(200, headers, body)
    start, end = byte_range
    headers["Content-Length"] = str(end - start + 1)
    headers["Content-Range"] = f"bytes {start}-{end}/{size}"
    body = None if head else _pump(original_bytes(
        ctx.backend, row.storage_path, attrs, start, end - start + 1, ctx.settings.SE_CHUNK_BYTES))
    return Download(206, headers, body)


def _etag_matches(header: str, etag: str) -> bool:
    tags = [t.strip().removeprefix("W/") for t in header.split(",")]
    return "*" in tags or etag in tags


async def _pump(it: Iterator[bytes]) -> AsyncIterator[bytes]:
    sentinel = object()
    try:
        while True:
            piece = await anyio.to_thread.run_sync(next, it, sentinel)
            if piece is sentinel:
                return
            yield piece  # type: ignore[misc]
    finally:
        close = getattr(it, "close", None)
        if close:
            await anyio.to_thread.run_sync(close)


def _next_hashed(source: Iterator[bytes], digest: Any) -> bytes | None:
    piece = next(source, None)
    if piece is not None:
        digest.update(piece)
    return piece


async def _verified(
    ctx: SEContext, file_id: uuid.UUID, storage_path: str, attrs: dict[str, Any]
) -> AsyncIterator[bytes]:
    digest = hashlib.sha256()
    held: bytes | None = None
    size = 0
    source = original_bytes(ctx.backend, storage_path, attrs, 0, None, ctx.settings.SE_CHUNK_BYTES)
    try:
        # Read and hash in one trip to a worker thread (both release the GIL); the event loop
        # meanwhile sends the piece before.
        while (piece := await anyio.to_thread.run_sync(_next_hashed, source, digest)) is not None:
            size += len(piece)
            if held is not None:
                yield held
            held = piece
    except DECODE_ERRORS as exc:
        await quarantine(ctx, file_id, "unreadable", "download")
        raise IntegrityError(f"stored data of {file_id} does not decode: {exc}") from exc
    finally:
        close = getattr(source, "close", None)
        if close:
            await anyio.to_thread.run_sync(close)
    if digest.hexdigest() != attrs["sha256"] or size != attrs["size"]:
        await quarantine(ctx, file_id, "mismatch", "download")
        raise IntegrityError(f"stored data of {file_id} fails its checksum")
    FIXITY_RESULTS.labels("download", "ok").inc()
    if held is not None:
        yield held


async def quarantine(ctx: SEContext, file_id: uuid.UUID, outcome: str, source: str) -> None:
    FIXITY_RESULTS.labels(source, outcome).inc()
    log.error("file.fixity_failed", file_id=str(file_id), outcome=outcome, source=source)
    with anyio.CancelScope(shield=True):
        async with ctx.sessionmaker() as session:
            row = await repo.get_file(session, file_id)
            newly = row is not None and row.quarantined_at is None
            attrs = dict(row.attrs) if row is not None else None
            await repo.mark_fixity(session, file_id, outcome, quarantine=True)
            if newly:  # the catalog's copy state follows
                await repo.add_outbox(session, build_event(
                    "file.updated", file_id, ctx.se_id, attrs, quarantined=True))
            await session.commit()
