"""Stream a file from one of its copies without ever exposing the SE.

The SE answers with the original bytes (it decompresses itself) and handles Range and
If-None-Match; this relays the status and the representation headers, and adds its own
Content-Disposition. No DB session is held while streaming.

Copies are tried in order (the catalog row's SE first, then the other live copies): an SE that
is unknown, offline, archived, behind an open breaker, unreachable, or that answers 404, 409
(quarantined) or 5xx before the body starts is skipped, so the client sees neither an error
nor a partial body while any healthy copy is left.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from pathlib import Path
from uuid import UUID

import anyio
import httpx
import structlog
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from artstore_common.contracts import DiscoveredStorageElement
from artstore_common.discovery import DiscoveryClient
from artstore_common.errors import ArtStoreError
from artstore_common.resilience import CircuitOpenError, UpstreamServerError
from artstore_common.se_client import StorageElementClient, files_path
from query_module import metrics
from query_module.catalog.schemas import FileRead
from query_module.errors import (
    FileArchived,
    FileNotFound,
    RangeNotSatisfiable,
    StorageElementError,
    StorageElementUnavailable,
)
from query_module.files.disposition import content_disposition

log = structlog.get_logger(__name__)


FORWARDED_REQUEST_HEADERS = ("range", "if-none-match", "if-range")
RELAYED_RESPONSE_HEADERS = ("content-length", "content-range", "etag", "accept-ranges",
                            "last-modified")


class Downloader:
    def __init__(self, se: StorageElementClient, discovery: DiscoveryClient,
                 chunk_size: int) -> None:
        self.se = se
        self.breakers = se.breakers
        self.discovery = discovery
        self.chunk_size = chunk_size
        self.drift_detected = 0  # catalog rows whose SE no longer has the file (since start)

    def _sources(
        self, file: FileRead,
    ) -> tuple[list[DiscoveredStorageElement], set[UUID], Exception]:
        """The SEs to try, best first; those held back (marked offline, or behind an open
        breaker) come last, as a last resort: a copy there beats an error. Also the error to
        give when none of them works."""
        others = sorted(file.copies, key=lambda c: c.state != "active")
        primary = file.storage_element_id
        order = [primary] + [c.storage_element_id for c in others
                             if c.state in ("active", "expected")
                             and c.storage_element_id != primary]
        details = {"file_id": str(file.file_id)}
        error: Exception = StorageElementUnavailable(details=details)
        usable, held_back = [], []
        for se_id in order:
            se = self.discovery.get(se_id)
            if se is None:
                continue
            if se.mode == "ar":
                error = FileArchived(details=details)  # a copy exists, but not online
                continue
            if se.status == "offline" or self.breakers.is_open(str(se.id)):
                metrics.DOWNLOAD_FAILOVERS.labels(
                    "offline" if se.status == "offline" else "breaker_open").inc()
                held_back.append(se)
                continue
            usable.append(se)
        return usable + held_back, {se.id for se in held_back}, error

    @staticmethod
    def _headers(request: Request) -> dict[str, str]:
        headers = {h: request.headers[h] for h in FORWARDED_REQUEST_HEADERS
                   if h in request.headers}
        headers["Accept-Encoding"] = "identity"
        request_id = request.scope.get("state", {}).get("request_id")
        if request_id:
            headers["X-Request-ID"] = request_id
        return headers

    async def _open(self, method: str, file: FileRead, request: Request) -> httpx.Response:
        sources, held_back, error = self._sources(file)
        headers = self._headers(request)
        for index, se in enumerate(sources):
            try:
                upstream = await self.se.open(se, method, files_path(file.file_id, "/content"),
                                              headers=headers, guarded=se.id not in held_back)
            except (httpx.HTTPError, UpstreamServerError, CircuitOpenError, TimeoutError) as exc:
                log.warning("download.se_unavailable", storage_element_id=str(se.id),
                            error=f"{type(exc).__name__}: {exc}"[:200])
                error = StorageElementUnavailable(details={"file_id": str(file.file_id)})
                metrics.DOWNLOAD_FAILOVERS.labels("unavailable").inc()
                continue
            if upstream.status_code in (200, 206, 304):
                if index:
                    log.info("download.failover", file_id=str(file.file_id), copy=index)
                return upstream
            await _discard(upstream)
            error = self._error_for(file, upstream, se.id)
            if upstream.status_code in (404, 409) and index + 1 < len(sources):
                metrics.DOWNLOAD_FAILOVERS.labels(f"se_{upstream.status_code}").inc()
                continue  # this copy is missing, quarantined or archived: try the next
            raise error
        raise error

    async def fetch_to(self, file: FileRead, dest: Path, max_bytes: int) -> None:
        """Copy the file's original bytes into ``dest`` (for text extraction), from any copy."""
        sources, _, error = self._sources(file)
        for se in sources:
            try:
                async with self.se.stream(se, "GET", files_path(file.file_id, "/content"),
                                          headers={"Accept-Encoding": "identity"},
                                          guarded=False) as upstream:
                    if upstream.status_code != 200:
                        await upstream.aread()
                        error = self._error_for(file, upstream, se.id)
                        continue
                    written = 0
                    async with await anyio.open_file(dest, "wb") as out:
                        async for chunk in upstream.aiter_raw(self.chunk_size):
                            written += len(chunk)
                            if written > max_bytes:
                                raise ValueError(f"larger than {max_bytes} bytes")
                            await out.write(chunk)
                    return
            except (httpx.HTTPError, UpstreamServerError):
                error = StorageElementUnavailable(details={"file_id": str(file.file_id)})
        raise error

    async def respond(self, file: FileRead, request: Request) -> Response:
        method = "HEAD" if request.method == "HEAD" else "GET"
        upstream = await self._open(method, file, request)
        status = upstream.status_code
        headers = {
            h: upstream.headers[h] for h in RELAYED_RESPONSE_HEADERS if h in upstream.headers
        }
        headers["content-disposition"] = content_disposition(file.original_filename)
        headers["x-content-type-options"] = "nosniff"
        media_type = file.content_type or "application/octet-stream"
        if method == "HEAD" or status == 304:
            await upstream.aclose()
            metrics.DOWNLOADS.labels("not_modified" if status == 304 else "head").inc()
            return Response(status_code=status, headers=headers, media_type=media_type)
        return StreamingResponse(
            self._relay(upstream, file),
            status_code=status,
            headers=headers,
            media_type=media_type,
            background=BackgroundTask(upstream.aclose),
        )

    async def _relay(self, upstream: httpx.Response, file: FileRead) -> AsyncIterator[bytes]:
        result = "aborted"
        started = time.perf_counter()
        try:
            # As the socket delivers it: re-chunking would only add a copy.
            async for chunk in upstream.aiter_raw():
                metrics.DOWNLOAD_BYTES.inc(len(chunk))
                yield chunk
            result = "ok" if upstream.status_code == 200 else "partial"
        except httpx.HTTPError as exc:
            # Mid-stream failure (e.g. the SE aborts on a fixity mismatch): abort the
            # client connection too, so a short body is never taken for a whole file.
            log.error("download.stream_aborted", file_id=str(file.file_id), error=str(exc)[:200])
            raise
        finally:
            metrics.DOWNLOADS.labels(result).inc()
            if result == "ok":
                metrics.DOWNLOAD_DURATION.labels(metrics.size_bucket(file.size)).observe(
                    time.perf_counter() - started)
            await upstream.aclose()

    def _error_for(self, file: FileRead, upstream: httpx.Response, se_id: object) -> Exception:
        status = upstream.status_code
        details = {"file_id": str(file.file_id)}
        metrics.DOWNLOADS.labels(f"se_{status}").inc()
        if status == 416:
            headers = {}
            if "content-range" in upstream.headers:
                headers["Content-Range"] = upstream.headers["content-range"]
            return RangeNotSatisfiable(details=details, headers=headers)
        if status == 404:
            metrics.DRIFT.labels("missing_on_se").inc()
            self.drift_detected += 1
            log.warning("download.catalog_drift", file_id=str(file.file_id),
                        storage_element_id=str(se_id))
            return FileNotFound(details=details)
        if status == 503:
            return StorageElementUnavailable(details=details)
        code, message = _se_error(upstream)
        if code == "FILE_ARCHIVED":
            return FileArchived(details=details)
        if 400 <= status < 500 and status not in (401, 403) and code:
            # The caller's mistake or the file's state (INVALID_RANGE, FILE_QUARANTINED, …):
            # relay the SE's code; its error bodies never carry its address.
            return ArtStoreError(message, code=code, status_code=status, details=details)
        log.error("download.se_error", file_id=str(file.file_id), status=status)
        return StorageElementError(details={**details, "upstream_status": status})


async def _discard(upstream: httpx.Response) -> None:
    try:
        await upstream.aread()
    except httpx.HTTPError:
        pass
    finally:
        await upstream.aclose()


def _se_error(upstream: httpx.Response) -> tuple[str | None, str]:
    try:
        error = upstream.json().get("error") or {}
        return str(error.get("code") or "") or None, str(error.get("message") or "")
    except (ValueError, AttributeError):
        return None, ""
