"""Calls from the admin module to storage elements: every one under the SE's circuit breaker
(target = the SE id, or the URL for an SE not yet registered) with a timeout, authenticated by
a short-lived ADMIN service token the module mints for itself."""

from __future__ import annotations

import base64
import hashlib
import math
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol
from uuid import UUID

import anyio
import httpx

from admin_module.storage_elements.errors import SERejected
from artstore_common.contracts import (
    HEADER_ATTRIBUTES,
    HEADER_DECLARED_SIZE,
    HEADER_EXPECTED_SHA256,
    HEADER_REPAIR,
    FileAttributes,
    StorageElementInfo,
    UploadAttributes,
)
from artstore_common.resilience import ResilientHttp

TokenSource = Callable[[], Awaitable[str]]


class SETarget(Protocol):
    id: Any
    api_url: str


@dataclass(frozen=True)
class Target:
    id: Any
    api_url: str


class SourceChecksumMismatch(Exception):
    """The bytes the source served do not hash to the checksum it recorded."""


class SEInfo(StorageElementInfo):
    in_flight_uploads: int = 0
    reserved_bytes: int = 0


@dataclass
class CopyResult:
    attributes: FileAttributes
    sha256: str
    size: int


def _url(se: SETarget, path: str) -> str:
    return se.api_url.rstrip("/") + path


def _rejected(response: httpx.Response) -> SERejected:
    code, message = "HTTP_" + str(response.status_code), response.reason_phrase
    try:
        error = response.json().get("error", {})
        code, message = error.get("code", code), error.get("message", message)
    except ValueError:
        pass
    return SERejected(response.status_code, code, message)


class SEClient:
    def __init__(self, http: ResilientHttp, token: TokenSource, transfer_timeout: float) -> None:
        self.http = http
        self.token = token
        self.transfer_timeout = transfer_timeout

    async def _headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {await self.token()}", **(extra or {})}

    async def _call(self, se: SETarget, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = await self._headers(kwargs.pop("headers", None))
        return await self.http.request(
            str(se.id), method, _url(se, path), headers=headers, **kwargs
        )

    async def info(self, se: SETarget) -> SEInfo:
        response = await self._call(se, "GET", "/api/v1/info")
        if response.status_code != 200:
            raise _rejected(response)
        return SEInfo.model_validate(response.json())

    async def probe_info(self, api_url: str, time_limit: float, token: str) -> SEInfo:
        """/info of an SE not registered yet: no breaker (its state, and the gauge labelled by
        target, would keep every URL ever tried), the same bounded wait for every target."""
        with anyio.fail_after(time_limit):
            response = await self.http.client.get(_url(Target(api_url, api_url), "/api/v1/info"),
                                                  headers={"Authorization": f"Bearer {token}"})
        if response.status_code != 200:
            raise _rejected(response)
        return SEInfo.model_validate(response.json())

    async def get_file(self, se: SETarget, file_id: UUID) -> FileAttributes | None:
        response = await self._call(se, "GET", f"/api/v1/files/{file_id}")
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise _rejected(response)
        return FileAttributes.model_validate(response.json())

    async def patch_file(self, se: SETarget, file_id: UUID, changes: dict[str, Any]) -> None:
        response = await self._call(se, "PATCH", f"/api/v1/files/{file_id}", json=changes)
        if response.status_code != 200:
            raise _rejected(response)

    async def verify_file(self, se: SETarget, file_id: UUID) -> dict[str, Any] | None:
        """Re-hash one copy now (the SE records it as its scrubber does); None when absent.
        It reads the whole file, so it gets the transfer timeout and the breaker's limit."""
        response = await self._call(
            se, "POST", f"/api/v1/files/{file_id}/verify", time_limit=self.transfer_timeout,
            timeout=httpx.Timeout(self.transfer_timeout, connect=5.0))
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise _rejected(response)
        return response.json()

    async def fixity_summary(self, se: SETarget) -> dict[str, Any]:
        response = await self._call(se, "GET", "/api/v1/maintenance/fixity")
        if response.status_code != 200:
            raise _rejected(response)
        return response.json()

    async def records_call(self, se: SETarget, method: str, path: str,
                           **kwargs: Any) -> FileAttributes:
        """Legal holds and retain_until on one copy (``records:write``, issue 15)."""
        response = await self._call(se, method, f"/api/v1/files/{path}", **kwargs)
        if response.status_code != 200:
            raise _rejected(response)
        return FileAttributes.model_validate(response.json())

    async def delete_file(self, se: SETarget, file_id: UUID) -> bool:
        """False when the file was already gone (deleting is idempotent)."""
        response = await self._call(se, "DELETE", f"/api/v1/files/{file_id}")
        if response.status_code == 404:
            return False
        if response.status_code not in (200, 204):
            raise _rejected(response)
        return True

    async def dispose(self, se: SETarget, file_id: UUID, batch_id: UUID) -> bool:
        """Destroy one copy under an approved disposition batch (edit and rw SEs; the SE still
        refuses held or retained files). False when the copy was already gone."""
        response = await self._call(se, "POST", f"/api/v1/files/{file_id}/dispose",
                                    json={"batch_id": str(batch_id)})
        if response.status_code == 404:
            return False
        if response.status_code not in (200, 204):
            raise _rejected(response)
        return True

    async def put_bytes(self, se: SETarget, file_id: UUID, attrs: UploadAttributes,
                        data: bytes) -> FileAttributes:
        """Store a small document the admin module writes itself (a certificate)."""
        encoded = base64.urlsafe_b64encode(attrs.model_dump_json().encode()).decode()
        response = await self._call(se, "PUT", f"/api/v1/files/{file_id}", content=data,
                                    headers={
                                        HEADER_ATTRIBUTES: encoded.rstrip("="),
                                        HEADER_EXPECTED_SHA256: hashlib.sha256(data).hexdigest(),
                                        "Content-Type": "application/octet-stream"})
        if response.status_code not in (200, 201):
            raise _rejected(response)
        return FileAttributes.model_validate(response.json())

    async def set_mode(self, se: SETarget, target_mode: str, reason: str | None) -> None:
        response = await self._call(
            se, "POST", "/api/v1/mode", json={"target_mode": target_mode, "reason": reason}
        )
        if response.status_code != 200:
            raise _rejected(response)

    async def list_files(
        self, se: SETarget, *, expires_before: datetime | None = None, status: str | None = None,
        cursor: str | None = None, limit: int = 500,
    ) -> tuple[list[FileAttributes], str | None]:
        params: dict[str, Any] = {"limit": limit}
        if expires_before is not None:
            params["expires_before"] = expires_before.isoformat()
        if status:
            params["status"] = status
        if cursor:
            params["cursor"] = cursor
        response = await self._call(se, "GET", "/api/v1/files", params=params)
        if response.status_code != 200:
            raise _rejected(response)
        body = response.json()
        items = [FileAttributes.model_validate(item) for item in body.get("items", [])]
        return items, body.get("next_cursor")

    async def list_holdings(
        self, se: SETarget, *, cursor: str | None = None, limit: int = 500,
    ) -> tuple[list[tuple[FileAttributes, bool]], str | None]:
        """One page of the SE's files, each with whether the SE has it quarantined."""
        params: dict[str, Any] = {"limit": limit}
        if cursor:
            params["cursor"] = cursor
        response = await self._call(se, "GET", "/api/v1/files", params=params)
        if response.status_code != 200:
            raise _rejected(response)
        body = response.json()
        items = [(FileAttributes.model_validate(item), bool(item.get("quarantined")))
                 for item in body.get("items", [])]
        return items, body.get("next_cursor")

    async def copy_file(
        self, source: SETarget, target: SETarget, file_id: UUID, attrs: UploadAttributes,
        size: int, sha256: str, *, repair: bool = False,
    ) -> CopyResult:
        """Stream the original bytes from ``source`` into ``target`` under the same id.

        The target verifies ``sha256`` itself (422, nothing kept, on mismatch); the bytes are
        also hashed here so a source that serves other bytes than it recorded is caught.
        """
        digest = hashlib.sha256()
        received = 0
        get_headers = await self._headers()
        async with self.http.stream(
            str(source.id), "GET", _url(source, f"/api/v1/files/{file_id}/content"),
            headers=get_headers, timeout=httpx.Timeout(self.transfer_timeout, connect=5.0),
        ) as download:
            if download.status_code != 200:
                await download.aread()
                raise _rejected(download)

            async def body() -> AsyncIterator[bytes]:
                nonlocal received
                try:
                    async for chunk in download.aiter_raw():
                        digest.update(chunk)
                        received += len(chunk)
                        yield chunk
                except httpx.HTTPError:
                    # An SE aborts a download whose bytes fail their checksum after sending
                    # them; all bytes here with the wrong digest is that case, not a network.
                    if received >= size and digest.hexdigest() != sha256:
                        raise SourceChecksumMismatch(str(source.id)) from None
                    raise
                if digest.hexdigest() != sha256:
                    raise SourceChecksumMismatch(str(source.id))

            encoded = base64.urlsafe_b64encode(attrs.model_dump_json().encode()).decode()
            put_headers = await self._headers({
                HEADER_ATTRIBUTES: encoded.rstrip("="),
                HEADER_DECLARED_SIZE: str(size),
                HEADER_EXPECTED_SHA256: sha256,
                "Content-Type": "application/octet-stream",
                **({HEADER_REPAIR: "true"} if repair else {}),
            })
            response = await self.http.request(
                str(target.id), "PUT", _url(target, f"/api/v1/files/{file_id}"),
                headers=put_headers, content=body(),
                timeout=httpx.Timeout(self.transfer_timeout, connect=5.0),
                time_limit=math.inf,  # a big file takes long; httpx bounds every chunk
            )
        if response.status_code not in (200, 201):
            raise _rejected(response)
        return CopyResult(FileAttributes.model_validate(response.json()), digest.hexdigest(),
                          received)
