"""One upload attempt to one storage element: PUT /api/v1/files/{file_id}, streamed, and
what the ingester makes of the answer (through the shared ``artstore_common.se_client``)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Literal
from uuid import UUID

import httpx
import structlog
from opentelemetry.propagate import inject
from pydantic import ValidationError

from artstore_common.contracts import (
    HEADER_ATTRIBUTES,
    HEADER_COPY_SET_VOUCHER,
    HEADER_DECLARED_SIZE,
    HEADER_EXPECTED_SHA256,
    DiscoveredStorageElement,
    FileAttributes,
    UploadAttributes,
)
from artstore_common.errors import ArtStoreError
from artstore_common.resilience import CircuitOpenError, UpstreamServerError
from artstore_common.se_client import (
    Answer,
    SEConnectionError,
    StorageElementClient,
    encode_attributes,
    error_of,
    files_path,
)
from ingester_module.errors import ClientStalled, StorageFailed
from ingester_module.storage.body import FileBody
from ingester_module.storage.tee import Branch, pump

log = structlog.get_logger(__name__)

Reason = Literal["breaker_open", "insufficient_storage", "not_writable", "refused_size",
                 "unreachable", "server_error", "failed_mid_upload", "refused_copy"]


@dataclass(frozen=True)
class Skipped:
    """The SE did not take the file; the next one may (if the body can be re-sent)."""

    reason: Reason
    status_code: int | None = None


@dataclass(frozen=True)
class Timeouts:
    connect: float = 5.0
    write: float = 60.0  # longest pause of the SE taking body bytes
    read: float = 300.0  # waiting for the answer (SE checks, then fsync of a big file)
    overall: float = 6 * 3600.0


class StorageClient:
    def __init__(self, se: StorageElementClient, timeouts: Timeouts | None = None) -> None:
        self.se = se  # uploads over its aiohttp session (100-continue), the rest over httpx
        self.breakers = se.breakers
        self.tokens = se.tokens
        self.timeouts = timeouts or Timeouts()

    async def put(
        self,
        se: DiscoveredStorageElement,
        file_id: UUID,
        attrs: UploadAttributes,
        body: FileBody | Branch,
        declared_size: int,
        token: str,
    ) -> FileAttributes | Skipped:
        """PUT with the caller's own token: the SE takes the uploader from it and applies
        the caller's rights, so the ingester vouches for nothing it could get wrong."""
        headers = {
            HEADER_ATTRIBUTES: encode_attributes(attrs),
            HEADER_DECLARED_SIZE: str(declared_size),
            "Authorization": f"Bearer {token}",
            "Content-Type": "application/octet-stream",
        }
        if attrs.copies:  # internal provenance: the ingester vouches for the set it planned
            headers[HEADER_COPY_SET_VOUCHER] = f"Bearer {await self.tokens.token()}"
        inject(headers)  # W3C traceparent: the SE's spans join this upload's trace
        response = await self._send(se, file_id, headers, body)
        if isinstance(response, Skipped):
            return response
        return self._outcome(se, response, body)

    async def put_pair(
        self,
        ses: list[DiscoveredStorageElement],
        file_id: UUID,
        attrs: UploadAttributes,
        body: FileBody,
        declared_size: int,
        token: str,
    ) -> list[FileAttributes | Skipped | StorageFailed]:
        """The same body to each of ``ses`` at once (each PUT as ``put``). An SE that refuses
        or fails does not stop the others; the client's errors end them all and are raised."""
        wake = asyncio.Event()
        branches = [Branch(wake) for _ in ses]

        async def one(se: DiscoveredStorageElement, branch: Branch):
            try:
                return await self.put(se, file_id, attrs, branch, declared_size, token)
            except StorageFailed as exc:
                return exc
            finally:
                branch.close()

        tasks = [asyncio.create_task(one(se, b)) for se, b in zip(ses, branches, strict=True)]
        feeder = asyncio.create_task(pump(body, branches, tasks, self.timeouts.write))
        try:
            results = await asyncio.gather(*tasks, return_exceptions=True)
            await feeder  # the client's error, if the body broke
        finally:
            for task in (*tasks, feeder):
                task.cancel()
            await asyncio.gather(*tasks, feeder, return_exceptions=True)
        outcomes: list[FileAttributes | Skipped | StorageFailed] = []
        for se, result in zip(ses, results, strict=True):
            if isinstance(result, asyncio.CancelledError):  # stopped taking bytes
                result = StorageFailed("The storage element stalled while receiving the file",
                                       details={"storage_element_id": str(se.id)})
            outcomes.append(result)
        for result in outcomes:
            if isinstance(result, BaseException) and not isinstance(result, StorageFailed):
                await self._remove_stored(ses, outcomes, file_id)
                raise result
        return outcomes

    async def _remove_stored(self, ses: list[DiscoveredStorageElement], outcomes: list,
                             file_id: UUID) -> None:
        for se, outcome in zip(ses, outcomes, strict=True):
            if isinstance(outcome, FileAttributes):
                await self.delete(se, file_id)

    async def _send(
        self, se: DiscoveredStorageElement, file_id: UUID, headers: dict[str, str],
        body: FileBody | Branch,
    ) -> Answer | Skipped:
        target = str(se.id)
        try:
            async with self.breakers.guard(target, time_limit=self.timeouts.overall):
                try:
                    response = await self._exchange(se, file_id, headers, body)
                except SEConnectionError:
                    if body.error is not None:
                        raise body.error from None
                    raise
                if response.status >= 500 and response.status != 507:
                    raise UpstreamServerError(target, response.status, response.text)
                return response
        except CircuitOpenError:
            return Skipped("breaker_open")
        except UpstreamServerError as exc:
            log.warning("storage.upload_server_error", se=se.name, status=exc.status_code,
                        body=exc.body[:200])
            if body.replayable and not body.finished:
                return Skipped("server_error", exc.status_code)
            raise StorageFailed(
                f"Storage element answered {exc.status_code}",
                details={"storage_element_id": target, "status": exc.status_code},
            ) from exc
        except (SEConnectionError, TimeoutError) as exc:
            log.warning("storage.upload_transport_error", se=se.name,
                        error=f"{type(exc).__name__}: {exc}")
            if (isinstance(exc, SEConnectionError) and exc.connecting) or (
                body.replayable and not body.finished
            ):
                return Skipped("unreachable")
            raise StorageFailed(
                "The storage element failed while receiving the file; nothing was stored",
                details={"storage_element_id": target, "reason": type(exc).__name__},
            ) from exc

    async def _exchange(self, se: DiscoveredStorageElement, file_id: UUID,
                        headers: dict[str, str], body: FileBody | Branch) -> Answer:
        """PUT with ``Expect: 100-continue`` (``put_stream``): a refusal costs no file bytes
        and the file can go to the next SE. The deadline moves with progress: a stalled SE
        times out, a long upload does not."""
        loop = asyncio.get_running_loop()
        t = self.timeouts
        async with asyncio.timeout(loop.time() + t.connect + t.read) as deadline:

            def progressed(complete: bool | None) -> None:
                deadline.reschedule(None if complete is None
                                    else loop.time() + (t.read if complete else t.write))

            body.on_progress = progressed
            try:
                return await self.se.put_stream(se, file_id, headers, body.stream())
            except TimeoutError:
                if body.waiting_on_client:
                    raise ClientStalled() from None
                raise
            finally:
                body.on_progress = None

    @staticmethod
    def _outcome(
        se: DiscoveredStorageElement, response: Answer, body: FileBody | Branch | None
    ) -> FileAttributes | Skipped:
        status = response.status
        if status in (200, 201):
            try:
                return FileAttributes.model_validate_json(response.content)
            except ValidationError as exc:
                raise StorageFailed(
                    "The storage element's answer could not be read",
                    details={"storage_element_id": str(se.id)},
                ) from exc
        reason: Reason | None = {507: "insufficient_storage", 409: "not_writable",
                                 413: "refused_size"}.get(status)
        if reason is not None:
            return Skipped(reason, status)
        error = error_of(response.content)
        if status == 422:
            # The SE rejected what the client sent (e.g. the sidecar would be too large).
            raise ArtStoreError(
                error.get("message") or "The storage element rejected the file's attributes",
                status_code=422,
                code=error.get("code") or "VALIDATION_ERROR",
                details=error.get("details") or {},
            )
        log.error("storage.upload_rejected", se=se.name, status=status, error=error)
        raise StorageFailed(
            f"The storage element refused the upload ({status})",
            code="STORAGE_REJECTED",
            details={"storage_element_id": str(se.id), "status": status,
                     "upstream_code": error.get("code")},
        )

    async def replicate(
        self,
        source: DiscoveredStorageElement,
        target: DiscoveredStorageElement,
        file_id: UUID,
        attrs: UploadAttributes,
        stored: FileAttributes,
    ) -> FileAttributes | Skipped:
        """Stream a durable copy from ``source`` to ``target`` under the same id.

        The target checks the SHA-256 itself (nothing kept on a mismatch); ``attrs`` carry the
        provenance (created_at, uploader, copy set), which needs the ``files:replicate`` scope.
        """
        t = self.timeouts
        timeout = httpx.Timeout(t.read, connect=t.connect, write=t.write)
        try:
            async with self.breakers.guard(str(target.id), time_limit=t.overall):
                try:
                    download = await self.se.open(
                        source, "GET", files_path(file_id, "/content"), guarded=False,
                        headers={"Accept-Encoding": "identity"}, timeout=timeout)
                except UpstreamServerError as exc:
                    log.warning("storage.replicate_source_failed", se=source.name,
                                status=exc.status_code)
                    return Skipped("server_error", exc.status_code)
                try:
                    if download.status_code != 200:
                        await download.aread()
                        log.warning("storage.replicate_source_failed", se=source.name,
                                    status=download.status_code)
                        return Skipped("server_error", download.status_code)
                    headers = {HEADER_ATTRIBUTES: encode_attributes(attrs),
                               HEADER_DECLARED_SIZE: str(stored.size),
                               HEADER_EXPECTED_SHA256: stored.sha256,
                               "Content-Type": "application/octet-stream"}
                    inject(headers)
                    response = await self.se.request(
                        target, "PUT", files_path(file_id), guarded=False,
                        content=download.aiter_raw(), headers=headers, timeout=timeout)
                finally:
                    await download.aclose()
        except CircuitOpenError:
            return Skipped("breaker_open")
        except (UpstreamServerError, httpx.HTTPError, TimeoutError) as exc:
            log.warning("storage.replicate_failed", source=source.name, target=target.name,
                        error=f"{type(exc).__name__}: {exc}"[:300])
            return Skipped("failed_mid_upload")
        if response.status_code not in (200, 201):
            log.warning("storage.replicate_refused", target=target.name,
                        status=response.status_code,
                        error=error_of(response.content))
            return Skipped("refused_copy", response.status_code)
        return self._outcome(target, Answer(response.status_code, response.content), None)

    async def delete(self, se: DiscoveredStorageElement, file_id: UUID) -> bool:
        """Withdraws a copy of an upload we refused: never acknowledged, so also from rw."""
        try:
            return await self.se.withdraw(se, file_id)
        except Exception as exc:  # noqa: BLE001 - reported by the caller
            log.error("storage.delete_failed", se=se.name, file_id=str(file_id), error=str(exc))
            return False
