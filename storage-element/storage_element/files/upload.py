"""Streaming upload: WAL intent → data (temp, fsync, rename) → sidecar → index + outbox + WAL
commit in one transaction. Any failure before that commit removes what was written."""

from __future__ import annotations

import asyncio
import base64
import binascii
import re
import uuid
from collections.abc import AsyncIterator
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import wait as wait_all
from datetime import timedelta
from typing import Any

import anyio
import structlog
from pydantic import ValidationError
from starlette.requests import ClientDisconnect, Request

from artstore_common.auth import Principal
from artstore_common.auth.scopes import FILES_REPLICATE
from artstore_common.contracts import (
    HEADER_ATTRIBUTES,
    HEADER_COPY_SET_VOUCHER,
    HEADER_DECLARED_SIZE,
    HEADER_EXPECTED_SHA256,
    HEADER_REPAIR,
    FileAttributes,
    UploadAttributes,
    Uploader,
)
from artstore_common.errors import Forbidden, Unauthorized
from artstore_common.validation import UnsafeJson, check_json, loads_json
from storage_element import naming, sidecar
from storage_element import repository as repo
from storage_element.codec import WritePipeline
from storage_element.context import SEContext
from storage_element.errors import (
    ChecksumMismatch,
    FileExists,
    IncompleteBody,
    InvalidAttributes,
    LengthRequired,
    PayloadTooLarge,
    RetentionModeMismatch,
    StorageElementReadOnly,
)
from storage_element.events import build_event
from storage_element.metrics import UPLOAD_BYTES, UPLOADS
from storage_element.modes import WRITABLE
from storage_element.security import check_provenance

log = structlog.get_logger(__name__)

_SHA_RE = re.compile(r"^[0-9a-fA-F]{64}$")


def reject_nul(value: Any) -> None:
    """PostgreSQL cannot store U+0000 or unpaired surrogates, and NaN, Infinity or very deep
    nesting cannot be serialised faithfully; refuse such JSON up front."""
    try:
        check_json(value)
    except UnsafeJson as exc:
        raise InvalidAttributes(str(exc)) from exc


def parse_attributes(header: str | None) -> UploadAttributes:
    if not header:
        raise InvalidAttributes(f"{HEADER_ATTRIBUTES} is required")
    try:
        padded = header + "=" * (-len(header) % 4)
        raw = loads_json(base64.urlsafe_b64decode(padded.encode("ascii")).decode("utf-8"))
        return UploadAttributes.model_validate(raw)
    except ValidationError as exc:
        errors = [{"loc": list(e["loc"]), "msg": e["msg"]} for e in exc.errors()]
        raise InvalidAttributes(details={"errors": errors}) from exc
    except UnsafeJson as exc:
        raise InvalidAttributes(f"{HEADER_ATTRIBUTES}: {exc}") from exc
    except (ValueError, UnicodeError, binascii.Error) as exc:
        raise InvalidAttributes(f"{HEADER_ATTRIBUTES} is not base64url JSON") from exc


async def copy_set_voucher(request: Request) -> Principal | None:
    """The replicating service that vouches for the copy set of someone else's upload."""
    header = request.headers.get(HEADER_COPY_SET_VOUCHER)
    if header is None:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized(f"{HEADER_COPY_SET_VOUCHER} must be 'Bearer <token>'")
    return await request.app.state.token_verifier.verify(token.strip())


def check_copy_provenance(attrs: UploadAttributes, principal: Principal,
                          voucher: Principal | None = None) -> None:
    """A copy set is internal provenance: only a replicating service may state one, for its own
    upload or, as the voucher, for the upload it forwards with the uploader's token."""
    if attrs.copies is not None and not any(
            p is not None and p.has(FILES_REPLICATE) for p in (principal, voucher)):
        raise Forbidden("Only an internal service may state a file's copy set",
                        code="REPLICATION_NOT_ALLOWED", details={"required": FILES_REPLICATE})


def _int_header(headers: Any, name: str) -> int | None:
    value = headers.get(name)
    if value is None:
        return None
    if not value.strip().isdigit():
        raise InvalidAttributes(f"{name} must be a non-negative integer")
    return int(value)


def build_sidecar(
    ctx: SEContext, file_id: uuid.UUID, attrs: UploadAttributes, principal: Principal,
    voucher: Principal | None = None,
) -> dict[str, Any]:
    now = naming.now_utc()
    check_provenance(attrs, principal, now, voucher)
    created = attrs.created_at or now
    uploader = attrs.uploaded_by or Uploader(
        id=principal.subject, name=principal.name or principal.client_id or principal.subject)
    temporary = attrs.retention_policy == "temporary"
    ttl = (attrs.ttl_days or ctx.settings.SE_DEFAULT_TTL_DAYS) if temporary else None
    expires = (attrs.expires_at or created + timedelta(days=ttl or 0)) if temporary else None
    model = FileAttributes(
        file_id=file_id,
        original_filename=attrs.original_filename,
        storage_filename=naming.storage_filename(
            attrs.original_filename, uploader.name, created, file_id),
        size=0, content_type=attrs.content_type, sha256="0" * 64,
        created_at=created, updated_at=now, uploaded_by=uploader,
        description=attrs.description, version=attrs.version, tags=attrs.tags,
        retention_policy=attrs.retention_policy, ttl_days=ttl, expires_at=expires,
        custom=attrs.custom, copies=attrs.copies or [],
        legal_holds=attrs.legal_holds or [], retain_until=attrs.retain_until,
        retention_class=attrs.retention_class,
    )
    return model.model_dump(mode="json", exclude={"last_verified_at"})


async def upload(
    ctx: SEContext, file_id: uuid.UUID, principal: Principal, headers: Any,
    body: AsyncIterator[bytes], voucher: Principal | None = None,
) -> dict[str, Any]:
    mode = ctx.modes.mode
    if mode not in WRITABLE:
        raise StorageElementReadOnly(details={"mode": mode})
    attrs = parse_attributes(headers.get(HEADER_ATTRIBUTES))
    check_copy_provenance(attrs, principal, voucher)
    wanted = "edit" if attrs.retention_policy == "temporary" else "rw"
    if wanted != mode:
        raise RetentionModeMismatch(details={"retention_policy": attrs.retention_policy,
                                             "mode": mode})
    content_length = _int_header(headers, "content-length")
    declared = _int_header(headers, HEADER_DECLARED_SIZE)
    if content_length is None and declared is None:
        raise LengthRequired()
    limit = min(x for x in (content_length, declared) if x is not None)
    if limit > ctx.settings.SE_MAX_FILE_SIZE:
        raise PayloadTooLarge(details={"declared": limit, "limit": ctx.settings.SE_MAX_FILE_SIZE})
    expected = headers.get(HEADER_EXPECTED_SHA256)
    if expected is not None and not _SHA_RE.match(expected):
        raise InvalidAttributes(f"{HEADER_EXPECTED_SHA256} must be 64 hex characters")

    meta = build_sidecar(ctx, file_id, attrs, principal, voucher)
    probe = dict(meta, size=limit, compression=(
        {"algorithm": attrs.compression, "stored_size": limit, "stored_sha256": "0" * 64}
        if attrs.compression else None))
    sidecar.encode(probe)  # 422 SIDECAR_TOO_LARGE before a byte of the body is read
    directory = naming.directory_for(repo.parse_dt(meta["created_at"]))
    storage_path = f"{directory}/{meta['storage_filename']}"

    with ctx.claim(file_id):
        async with ctx.autocommit.connect() as conn:
            wal_id = await repo.wal_begin_create(conn, file_id, storage_path, {"sidecar": meta})
        existing = None
        compression = attrs.compression
        if wal_id is None:  # the id is indexed: only a repair of a quarantined copy may go on
            async with ctx.sessionmaker() as session:
                existing = await repo.get_file(session, file_id)
            repair = headers.get(HEADER_REPAIR) == "true"
            if existing is None or not (repair and _repairable(existing, principal, expected)):
                raise FileExists(details={"file_id": str(file_id)})
            # Same sidecar, fresh bytes: the copy leaves quarantine once they hash right.
            meta = dict(existing.attrs, updated_at=naming.now_utc().isoformat())
            meta.pop("compression", None)
            storage_path = existing.storage_path
            compression = (existing.attrs.get("compression") or {}).get("algorithm")
            async with ctx.sessionmaker() as session:
                wal_id = await repo.wal_begin(session, "create", file_id, storage_path,
                                              {"sidecar": meta})
                await session.commit()
        try:
            token = await ctx.capacity.reserve(limit)
        except BaseException:
            with anyio.CancelScope(shield=True):
                await _finish_wal(ctx, wal_id, "rolled_back")
            raise
        try:
            stored = await _store(ctx, file_id, wal_id, meta, storage_path, compression,
                                  body, limit, content_length, expected)
        finally:
            ctx.capacity.release(token)
        if existing is not None:
            async with ctx.sessionmaker() as session:
                await repo.clear_quarantine(session, file_id)
                await session.commit()
            log.warning("file.repaired", file_id=str(file_id), sha256=stored["sha256"])
        return stored


async def _finish_wal(ctx: SEContext, wal_id: int, state: str) -> None:
    async with ctx.sessionmaker() as session:
        await repo.wal_finish(session, wal_id, state)
        await session.commit()


def _repairable(row: Any, principal: Principal, expected: str | None) -> bool:
    return (row.quarantined_at is not None and principal.has(FILES_REPLICATE)
            and expected is not None and expected.lower() == row.sha256)


_WRITERS = ThreadPoolExecutor(thread_name_prefix="se-write")


class _Overlapped:
    """Hashes and writes one piece in a worker thread while the next piece is received:
    otherwise the socket is not read while the disk is written (one piece in flight)."""

    def __init__(self, pipeline: WritePipeline) -> None:
        self._pipeline = pipeline
        self._pending: Future | None = None

    async def feed(self, pieces: list[bytes]) -> None:
        await self.wait()
        self._pending = _WRITERS.submit(self._pipeline.feed_pieces, pieces)

    async def wait(self) -> None:
        """Until the piece in flight is written (its error, if any, is raised here)."""
        if self._pending is not None:
            await asyncio.wrap_future(self._pending)
            self._pending = None

    def settle(self) -> None:
        """Blocking: no write runs any more (before the writer is aborted)."""
        if self._pending is not None:
            wait_all([self._pending])


async def _store(
    ctx: SEContext, file_id: uuid.UUID, wal_id: int, meta: dict[str, Any], storage_path: str,
    compression: str | None, body: AsyncIterator[bytes], limit: int,
    content_length: int | None, expected: str | None,
) -> dict[str, Any]:
    backend = ctx.backend
    pipeline: WritePipeline | None = None
    overlapped: _Overlapped | None = None
    data_written = sidecar_written = False
    try:
        writer = await anyio.to_thread.run_sync(backend.open_writer, storage_path)
        pipeline = WritePipeline(writer, compression)
        overlapped = _Overlapped(pipeline)
        buf: list[bytes] = []
        buffered = received = 0
        async for chunk in body:
            if not chunk:
                continue
            received += len(chunk)
            if received > limit:
                raise PayloadTooLarge("The body is longer than declared",
                                      details={"declared": limit})
            buf.append(chunk)
            buffered += len(chunk)
            if buffered >= ctx.settings.SE_CHUNK_BYTES:
                await overlapped.feed(buf)
                buf, buffered = [], 0
        if buf:
            await overlapped.feed(buf)
        await overlapped.wait()
        if content_length is not None and received != content_length:
            raise IncompleteBody(details={"expected": content_length, "received": received})
        await anyio.to_thread.run_sync(pipeline.finish)
        digest = pipeline.sha.hexdigest()
        if expected is not None and digest != expected.lower():
            raise ChecksumMismatch(details={"expected": expected.lower(), "actual": digest})
        meta = dict(meta, size=pipeline.size, sha256=digest)
        if pipeline.algorithm:
            meta["compression"] = {"algorithm": pipeline.algorithm,
                                   "stored_size": pipeline.stored_size,
                                   "stored_sha256": pipeline.stored_sha256}
        encoded = sidecar.encode(meta)
        await anyio.to_thread.run_sync(pipeline.commit)
        data_written = True
        await anyio.to_thread.run_sync(
            backend.put_bytes, naming.sidecar_path(storage_path), encoded)
        sidecar_written = True
        event = build_event("file.created", file_id, ctx.se_id, meta)
        async with ctx.autocommit.connect() as conn:
            await repo.commit_create(conn, meta, storage_path, event, wal_id)
        ctx.capacity.stored(sidecar.stored_size(meta))
    except BaseException as exc:
        with anyio.CancelScope(shield=True):
            if overlapped is not None:
                await anyio.to_thread.run_sync(overlapped.settle)
            await _rollback(ctx, wal_id, storage_path, pipeline, data_written, sidecar_written)
        UPLOADS.labels(type(exc).__name__).inc()
        if isinstance(exc, ClientDisconnect):
            raise IncompleteBody("The client went away before the body was complete") from exc
        raise
    ctx.relay.notify()
    UPLOADS.labels("stored").inc()
    UPLOAD_BYTES.inc(meta["size"])
    log.info("file.stored", file_id=str(file_id), size=meta["size"],
             compressed=bool(meta.get("compression")))
    return meta


async def _rollback(
    ctx: SEContext, wal_id: int, storage_path: str, pipeline: WritePipeline | None,
    data_written: bool, sidecar_written: bool,
) -> None:
    backend = ctx.backend
    try:
        if pipeline is not None and not data_written:
            await anyio.to_thread.run_sync(pipeline.abort)
        if sidecar_written:
            await anyio.to_thread.run_sync(backend.delete, naming.sidecar_path(storage_path))
        if data_written:
            await anyio.to_thread.run_sync(backend.delete, storage_path)
        await anyio.to_thread.run_sync(backend.remove_temps, storage_path)
        await _finish_wal(ctx, wal_id, "rolled_back")
    except Exception as exc:  # recovery at the next start finishes the job
        log.error("file.rollback_failed", storage_path=storage_path, error=str(exc))
