"""One upload request: read fields, then stream each file part to a storage element."""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import redis.asyncio as aioredis
import structlog
from pydantic import ValidationError

from artstore_common.auth import Principal
from artstore_common.auth.scopes import RECORDS_WRITE
from artstore_common.contracts import ATTR_MAX_BYTES, UploadAttributes, Uploader
from artstore_common.errors import ArtStoreError, Forbidden
from ingester_module import metrics
from ingester_module.config import Settings
from ingester_module.errors import (
    FieldAfterFile,
    IncompleteBody,
    InvalidField,
    MetadataTooLarge,
    NoFilePart,
    TooManyFiles,
)
from ingester_module.storage.body import FileBody
from ingester_module.storage.placement import Placer
from ingester_module.uploads import retention, sniff
from ingester_module.uploads.form import UploadOptions, parse_options
from ingester_module.uploads.multipart import MultipartReader, PartInfo, boundary_from
from ingester_module.uploads.schemas import FileRead

log = structlog.get_logger(__name__)

# Room the SE needs in the sidecar beyond what the client sends (name on disk, hashes, times).
_SIDECAR_RESERVE = 1024


class CountedBody:
    """The request body, counted: ``complete()`` reads it to its end and refuses one shorter
    than its Content-Length, before the SE is given the end of the file."""

    def __init__(self, stream: AsyncIterator[bytes], expected: int | None) -> None:
        self._stream = stream
        self.expected = expected
        self.received = 0

    def __aiter__(self) -> CountedBody:
        return self

    async def __anext__(self) -> bytes:
        chunk = await self._stream.__anext__()
        self.received += len(chunk)
        return chunk

    async def complete(self) -> None:
        async for _ in self:
            pass
        if self.expected is not None and self.received != self.expected:
            raise IncompleteBody(details={"content_length": self.expected,
                                          "received": self.received})


@dataclass(frozen=True)
class UploadRequest:
    content_type: str | None
    content_length: int | None
    body: CountedBody
    principal: Principal
    token: str  # the caller's own: the SE takes the uploader from it


class IngestService:
    def __init__(self, settings: Settings, placer: Placer, http: httpx.AsyncClient,
                 schedules: aioredis.Redis) -> None:
        self.settings = settings
        self.placer = placer
        self.http = http  # to the admin module
        self.schedules = schedules  # Redis, where the admin module publishes retention schedules

    def _declared_size(self, request: UploadRequest) -> tuple[int, bool]:
        if request.content_length is not None:
            return min(request.content_length, self.settings.MAX_FILE_SIZE), True
        return self.settings.MAX_FILE_SIZE, False

    async def _fields(self, reader: MultipartReader) -> tuple[dict[str, str], PartInfo | None]:
        """Fields up to the first file part (returned unread), or to the end."""
        fields: dict[str, str] = {}
        while (part := await reader.next_part()) is not None:
            if part.is_file:
                return fields, part
            if part.name in fields:
                raise InvalidField(f"The field '{part.name}' is given twice",
                                   details={"field": part.name})
            raw = await reader.read_field(self.settings.FIELD_MAX_BYTES)
            try:
                fields[part.name] = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise InvalidField(f"The field '{part.name}' is not UTF-8",
                                   details={"field": part.name}) from exc
        return fields, None

    def _options(self, fields: dict[str, str], principal: Principal) -> UploadOptions:
        options = parse_options(
            fields,
            compression_default=self.settings.COMPRESSION_DEFAULT,
            metadata_max_bytes=self.settings.METADATA_MAX_BYTES,
        )
        records = options.retain_until is not None or options.retention_class is not None
        if records and not principal.has(RECORDS_WRITE):
            raise Forbidden("Setting retain_until or retention_class needs records:write",
                            code="INSUFFICIENT_SCOPE", details={"required": [RECORDS_WRITE]})
        if options.retain_until is not None and options.retention_class is not None:
            raise InvalidField("Give retain_until or retention_class, not both",
                               details={"field": "retention_class"})
        return options

    async def _resolved(self, fields: dict[str, str], request: UploadRequest) -> UploadOptions:
        options = self._options(fields, request.principal)
        return await retention.apply_class(self.http, self.schedules, self.settings.ADMIN_URL,
                                           request.token, options)

    async def upload_one(self, request: UploadRequest) -> FileRead:
        reader = MultipartReader(request.body, boundary_from(request.content_type))
        fields, part = await self._fields(reader)
        options = await self._resolved(fields, request)
        if part is None:
            raise NoFilePart()

        async def only_file() -> None:
            following = await reader.peek_part()
            if following is not None:
                raise TooManyFiles() if following.is_file else FieldAfterFile(
                    details={"field": following.name})
            await request.body.complete()

        return await self._ingest(request, reader, part, options, only_file)

    async def upload_batch(self, request: UploadRequest) -> list[dict[str, Any]]:
        reader = MultipartReader(request.body, boundary_from(request.content_type))
        fields, part = await self._fields(reader)
        options = await self._resolved(fields, request)
        if part is None:
            raise NoFilePart()

        async def files_only() -> None:
            following = await reader.peek_part()
            if following is not None and not following.is_file:
                raise FieldAfterFile(details={"field": following.name})
            if following is None:
                await request.body.complete()

        results: list[dict[str, Any]] = []
        index = 0
        while part is not None:
            if index >= self.settings.BATCH_MAX_FILES:
                error = InvalidField(f"At most {self.settings.BATCH_MAX_FILES} files per batch",
                                     code="TOO_MANY_FILES")
                results.append(_error_result(index, error))
                break
            try:
                stored = await self._ingest(request, reader, part, options, files_only)
                results.append({"index": index, "status": 201,
                                "file": stored.model_dump(mode="json")})
            except ArtStoreError as exc:
                results.append(_error_result(index, exc))
                if isinstance(exc, FieldAfterFile):
                    break  # fields must precede the files: the rest is not read
            index += 1
            part = await reader.next_part()
        await reader.drain()
        return results

    async def _ingest(
        self,
        request: UploadRequest,
        reader: MultipartReader,
        part: PartInfo,
        options: UploadOptions,
        on_end: Callable[[], Awaitable[None]],
    ) -> FileRead:
        started = time.perf_counter()
        try:
            stored = await self._ingest_part(request, reader, part, options, on_end)
        except ArtStoreError as exc:
            metrics.UPLOADS.labels(exc.code.lower()).inc()
            raise
        except Exception:
            metrics.UPLOADS.labels("error").inc()
            raise
        metrics.UPLOADS.labels("stored").inc()
        metrics.BYTES.inc(stored.size)
        metrics.DURATION.labels(metrics.size_bucket(stored.size)).observe(
            time.perf_counter() - started)
        if stored.compressed and stored.size:
            metrics.COMPRESSION_RATIO.observe(stored.stored_size / stored.size)
        return stored

    async def _ingest_part(
        self,
        request: UploadRequest,
        reader: MultipartReader,
        part: PartInfo,
        options: UploadOptions,
        on_end: Callable[[], Awaitable[None]],
    ) -> FileRead:
        settings = self.settings
        filename = sniff.sanitize_filename(part.filename or "")
        head: list[bytes] = []
        head_size, ended = 0, False
        while head_size < settings.SNIFF_BYTES:
            chunk = await reader.read_chunk()
            if chunk is None:
                ended = True
                break
            head.append(chunk)
            head_size += len(chunk)
        body = FileBody(reader, head, part_ended=ended, max_size=settings.MAX_FILE_SIZE,
                        replay_limit=max(settings.REPLAY_BUFFER_BYTES, settings.SNIFF_BYTES),
                        on_end=on_end)
        info = sniff.identify(filename, part.content_type, b"".join(head)[: settings.SNIFF_BYTES])
        sniff.check_allowed(info, settings.ALLOWED_MIME_TYPES)
        compression = sniff.compression_for(options.compression, filename, info)
        attrs = self._attributes(filename, info.content_type, options, compression)
        file_id = uuid.uuid4()
        declared, known = self._declared_size(request)
        caller = request.principal
        uploader = Uploader(id=caller.subject,
                            name=caller.name or caller.client_id or caller.subject)
        placed = await self.placer.store(file_id, attrs, body, token=request.token,
                                         mode=options.required_mode,
                                         declared_size=declared, size_known=known,
                                         uploader=uploader)
        stored = placed.attributes
        log.info("ingest.stored", file_id=str(file_id), se=placed.storage_element.name,
                 copies=len(placed.copies),
                 size=stored.size, compression=compression,
                 compressed=stored.compression is not None, attempts=body.attempts)
        return FileRead(
            file_id=stored.file_id,
            original_filename=stored.original_filename,
            size=stored.size,
            sha256=stored.sha256,
            content_type=stored.content_type,
            retention_policy=stored.retention_policy,
            expires_at=stored.expires_at,
            storage_element_id=placed.storage_element.id,
            copies=[se.id for se in placed.copies] or [placed.storage_element.id],
            compressed=stored.compression is not None,
            stored_size=stored.compression.stored_size if stored.compression else stored.size,
            created_at=stored.created_at,
        )

    def _attributes(
        self,
        filename: str,
        content_type: str,
        options: UploadOptions,
        compression: str | None,
    ) -> UploadAttributes:
        """What the SE is told; it takes the uploader, creation time and expiry (from
        ``ttl_days``) itself, from the caller's token and its own clock."""
        try:
            attrs = UploadAttributes(
                original_filename=filename,
                content_type=content_type,
                description=options.description,
                version=options.version,
                tags=options.tags,
                retention_policy=options.retention_policy,
                ttl_days=options.ttl_days,
                custom=options.custom,
                compression=compression,  # type: ignore[arg-type]
                retain_until=options.retain_until,
                retention_class=options.retention_class,
            )
        except ValidationError as exc:
            errors = [{"loc": list(e["loc"]), "msg": e["msg"]} for e in exc.errors()]
            raise InvalidField("The file's attributes are invalid",
                               details={"errors": errors}) from exc
        if len(attrs.model_dump_json(exclude_none=True)) > ATTR_MAX_BYTES - _SIDECAR_RESERVE:
            raise MetadataTooLarge(
                f"Name, description, tags and metadata together exceed "
                f"{ATTR_MAX_BYTES - _SIDECAR_RESERVE} bytes",
            )
        return attrs


def _error_result(index: int, exc: ArtStoreError) -> dict[str, Any]:
    return {
        "index": index,
        "status": exc.status_code,
        "error": {"code": exc.code, "message": exc.message, "details": exc.details},
    }
