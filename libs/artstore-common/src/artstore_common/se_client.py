"""The one client for storage elements (admin, ingester and query module).

Every call names its SE (anything with ``id`` and ``api_url``) and runs under that SE's circuit
breaker with a time limit (``guarded=False`` for the few callers that try an SE regardless of
its breaker); a 5xx answer (507 aside: a full SE is healthy) is raised as
``UpstreamServerError`` and counts against the breaker. Requests carry the service's own
token (``tokens``; a 401 is retried once with a fresh one when the body can be sent again)
unless the caller passes ``token=`` (the ingester forwards its caller's). Answers are typed
with the SE's response models from ``artstore_common.contracts``; a refusal is ``SERejected``
with the SE's error code.

Bodies stream both ways: an upload from an async iterator (httpx, or aiohttp with
``Expect: 100-continue`` for ``put_stream``: httpx has no 100-continue), a download as an
httpx response read chunk by chunk (``open``/``stream``, Range passed through ``headers``).
Needs the ``resilience`` extra; ``put_stream`` also the ``aiohttp`` one.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
import sys
from collections.abc import AsyncIterable, AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager, nullcontext
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol, TypeVar
from uuid import UUID

import anyio
import httpx
from pydantic import BaseModel

from artstore_common.contracts import (
    HEADER_ATTRIBUTES,
    HEADER_DECLARED_SIZE,
    HEADER_EXPECTED_SHA256,
    HEADER_REPAIR,
    CopyVerified,
    FilePage,
    FileRead,
    FixitySummary,
    InfoRead,
    ModeChanged,
    UploadAttributes,
)
from artstore_common.resilience import NOT_FAILURES, BreakerRegistry, UpstreamServerError

if TYPE_CHECKING:
    import aiohttp

M = TypeVar("M", bound=BaseModel)


class SETarget(Protocol):
    @property
    def id(self) -> Any: ...

    @property
    def api_url(self) -> str: ...


class TokenSource(Protocol):
    """The service's own bearer token (``ServiceTokenProvider``, the admin's self-minted one)."""

    async def token(self) -> str: ...

    def invalidate(self) -> None: ...


@dataclass(frozen=True)
class Target:
    id: Any
    api_url: str


class SERejected(Exception):
    """A storage element refused the request (an error answer that is not a 5xx failure)."""

    def __init__(self, status_code: int, code: str, message: str,
                 details: dict[str, Any] | None = None) -> None:
        super().__init__(f"{status_code} {code}: {message}")
        self.status_code = status_code
        self.code = code
        self.message = message
        self.details = details or {}

    @classmethod
    def of(cls, status_code: int, content: bytes, reason: str = "") -> SERejected:
        error = error_of(content)
        return cls(status_code, str(error.get("code") or f"HTTP_{status_code}"),
                   str(error.get("message") or reason), error.get("details") or {})


class SourceChecksumMismatch(Exception):
    """The bytes the source served do not hash to the checksum it recorded."""


class SEConnectionError(ConnectionError):
    """The connection to the SE failed during a streamed upload (counts against its breaker);
    ``connecting``: it never got as far as a connection, so nothing was sent."""

    def __init__(self, message: str, *, connecting: bool) -> None:
        super().__init__(message)
        self.connecting = connecting


@dataclass(frozen=True)
class Answer:
    status: int
    content: bytes

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", "replace")


@dataclass
class CopyResult:
    attributes: FileRead
    sha256: str
    size: int


def error_of(content: bytes) -> dict[str, Any]:
    """The SPEC §2 ``error`` object of an SE's answer, or ``{}``."""
    try:
        body = json.loads(content)
    except ValueError:
        return {}
    error = body.get("error") if isinstance(body, dict) else None
    return error if isinstance(error, dict) else {}


def encode_attributes(attrs: UploadAttributes) -> str:
    """``X-ArtStore-Attributes``: base64url of the attributes' JSON, unpadded."""
    raw = attrs.model_dump_json(exclude_none=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def files_path(file_id: UUID, suffix: str = "") -> str:
    return f"/api/v1/files/{file_id}{suffix}"


def _send_chunks_unjoined() -> None:
    """Lets aiohttp hand each chunk and its framing to ``transport.writelines``.

    Without it aiohttp joins them into a new bytes object first: a copy of every byte sent,
    per SE (two copies of 1 GiB: 6.2 → 5.4–5.8 CPU s/GiB, 55 % → 59–70 % of one copy's rate;
    README-PROJECT "Throughput of two copies"). aiohttp turns writelines off before Python
    3.12.9 because 3.12's asyncio writelines could buffer without bound (CVE-2024-12254)
    and earlier versions only joined anyway. On 3.11 that code does not exist, and uvloop's
    writelines is one ``writev``; so on 3.11 it is safe to turn it on."""
    from aiohttp import http_writer

    if sys.version_info < (3, 12):
        http_writer.SKIP_WRITELINES = False


def upload_session(*, verify: Any, connect_timeout: float, limit: int = 200
                   ) -> aiohttp.ClientSession:
    """The aiohttp session ``put_stream`` sends with (no total timeout: the caller bounds
    each upload by its progress)."""
    import aiohttp

    _send_chunks_unjoined()
    return aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=limit, ssl=verify),
        timeout=aiohttp.ClientTimeout(total=None, sock_connect=connect_timeout),
        auto_decompress=False,
    )


class StorageElementClient:
    def __init__(
        self,
        http: httpx.AsyncClient,
        breakers: BreakerRegistry,
        tokens: TokenSource,
        *,
        transfer_timeout: float = 3600.0,
        uploads: aiohttp.ClientSession | None = None,
    ) -> None:
        self.http = http
        self.breakers = breakers
        self.tokens = tokens
        self.transfer_timeout = transfer_timeout  # one whole-file read (verify, copy)
        self.uploads = uploads

    # --- transport ----------------------------------------------------------------------

    def guard(self, se: SETarget, time_limit: float | None = None,
              guarded: bool = True) -> AbstractAsyncContextManager[None]:
        if not guarded:
            return nullcontext()
        return self.breakers.guard(str(se.id), time_limit=time_limit)

    async def _send(self, se: SETarget, method: str, path: str, *, token: str | None,
                    headers: dict[str, str] | None, stream: bool, **kwargs: Any
                    ) -> httpx.Response:
        url = se.api_url.rstrip("/") + path
        replayable = token is None and not isinstance(kwargs.get("content"), AsyncIterable)
        for attempt in (1, 2):
            bearer = token if token is not None else await self.tokens.token()
            request = self.http.build_request(
                method, url, headers={**(headers or {}), "Authorization": f"Bearer {bearer}"},
                **kwargs)
            response = await self.http.send(request, stream=stream)
            if response.status_code == 401 and attempt == 1 and replayable:
                await response.aclose()
                self.tokens.invalidate()
                continue
            return response
        raise AssertionError("unreachable")

    @staticmethod
    async def _check(se: SETarget, response: httpx.Response) -> None:
        if response.status_code >= 500 and response.status_code not in NOT_FAILURES:
            try:
                body = (await response.aread()).decode("utf-8", "replace")
            except httpx.HTTPError:
                body = ""
            await response.aclose()
            raise UpstreamServerError(str(se.id), response.status_code, body)

    async def request(
        self, se: SETarget, method: str, path: str, *, token: str | None = None,
        headers: dict[str, str] | None = None, time_limit: float | None = None,
        guarded: bool = True, **kwargs: Any,
    ) -> httpx.Response:
        """One call, its answer read whole (``kwargs`` go to httpx: json, params, content,
        timeout)."""
        async with self.guard(se, time_limit, guarded):
            response = await self._send(se, method, path, token=token, headers=headers,
                                        stream=False, **kwargs)
            await self._check(se, response)
            return response

    async def open(
        self, se: SETarget, method: str, path: str, *, token: str | None = None,
        headers: dict[str, str] | None = None, time_limit: float | None = None,
        guarded: bool = True, **kwargs: Any,
    ) -> httpx.Response:
        """The answer's head; the caller reads the body (``aiter_raw``) and closes it. The
        breaker covers getting the head; httpx's read timeout then bounds every chunk."""
        async with self.guard(se, time_limit, guarded):
            response = await self._send(se, method, path, token=token, headers=headers,
                                        stream=True, **kwargs)
            await self._check(se, response)
            return response

    @asynccontextmanager
    async def stream(self, se: SETarget, method: str, path: str,
                     **kwargs: Any) -> AsyncIterator[httpx.Response]:
        response = await self.open(se, method, path, **kwargs)
        try:
            yield response
        finally:
            await response.aclose()

    async def put_stream(self, se: SETarget, file_id: UUID, headers: dict[str, str],
                         body: AsyncIterable[bytes]) -> Answer:
        """PUT a body from an async iterator over aiohttp with ``Expect: 100-continue``: the
        SE checks the headers (auth, mode, room) before asking for the body, so a refusal
        costs no file bytes. ``headers`` carry the token; the caller guards and bounds it."""
        import aiohttp

        assert self.uploads is not None, "put_stream needs the client built with uploads="
        url = se.api_url.rstrip("/") + files_path(file_id)
        try:
            async with self.uploads.put(url, data=body, headers=headers, expect100=True,
                                        chunked=True) as response:
                return Answer(response.status, await response.read())
        except aiohttp.ClientError as exc:
            raise SEConnectionError(
                f"{type(exc).__name__}: {exc}",
                connecting=isinstance(exc, aiohttp.ClientConnectorError)) from exc

    # --- typed calls ----------------------------------------------------------------------

    @staticmethod
    async def _model(response: httpx.Response, model: type[M], ok: tuple[int, ...] = (200,)
                     ) -> M:
        if response.status_code not in ok:
            raise SERejected.of(response.status_code, response.content, response.reason_phrase)
        return model.model_validate_json(response.content)

    async def info(self, se: SETarget) -> InfoRead:
        return await self._model(await self.request(se, "GET", "/api/v1/info"), InfoRead)

    async def probe_info(self, api_url: str, time_limit: float, token: str) -> InfoRead:
        """/info of an SE not registered yet: no breaker (its state, and the gauge labelled by
        target, would keep every URL ever tried), the same bounded wait for every target."""
        with anyio.fail_after(time_limit):
            response = await self.request(Target(api_url, api_url), "GET", "/api/v1/info",
                                          token=token, guarded=False)
        return await self._model(response, InfoRead)

    async def get_file(self, se: SETarget, file_id: UUID, *, time_limit: float | None = None,
                       guarded: bool = True, **kwargs: Any) -> FileRead | None:
        """The SE's sidecar of the file, or None when it does not hold it."""
        response = await self.request(se, "GET", files_path(file_id), time_limit=time_limit,
                                      guarded=guarded, **kwargs)
        if response.status_code == 404:
            return None
        return await self._model(response, FileRead)

    async def list_files(
        self, se: SETarget, *, expires_before: datetime | None = None, status: str | None = None,
        cursor: str | None = None, limit: int = 500, guarded: bool = True, **kwargs: Any,
    ) -> FilePage:
        params: dict[str, Any] = {"limit": limit}
        if expires_before is not None:
            params["expires_before"] = expires_before.isoformat()
        if status:
            params["status"] = status
        if cursor:
            params["cursor"] = cursor
        response = await self.request(se, "GET", "/api/v1/files", params=params,
                                      guarded=guarded, **kwargs)
        return await self._model(response, FilePage)

    async def patch_file(self, se: SETarget, file_id: UUID, changes: dict[str, Any]
                         ) -> FileRead:
        response = await self.request(se, "PATCH", files_path(file_id), json=changes)
        return await self._model(response, FileRead)

    async def records_call(self, se: SETarget, method: str, path: str,
                           **kwargs: Any) -> FileRead:
        """Legal holds and retain_until on one copy (``records:write``, issue 15);
        ``path`` follows ``/api/v1/files/``."""
        response = await self.request(se, method, f"/api/v1/files/{path}", **kwargs)
        return await self._model(response, FileRead)

    async def verify_file(self, se: SETarget, file_id: UUID) -> CopyVerified | None:
        """Re-hash one copy now (the SE records it as its scrubber does); None when absent.
        It reads the whole file, so it gets the transfer timeout and the breaker's limit."""
        response = await self.request(
            se, "POST", files_path(file_id, "/verify"), time_limit=self.transfer_timeout,
            timeout=httpx.Timeout(self.transfer_timeout, connect=5.0))
        if response.status_code == 404:
            return None
        return await self._model(response, CopyVerified)

    async def fixity_summary(self, se: SETarget) -> FixitySummary:
        response = await self.request(se, "GET", "/api/v1/maintenance/fixity")
        return await self._model(response, FixitySummary)

    async def set_mode(self, se: SETarget, target_mode: str, reason: str | None) -> ModeChanged:
        response = await self.request(se, "POST", "/api/v1/mode",
                                      json={"target_mode": target_mode, "reason": reason})
        return await self._model(response, ModeChanged)

    async def _gone_or_done(self, response: httpx.Response, ok: tuple[int, ...]) -> bool:
        if response.status_code == 404:
            return False
        if response.status_code not in ok:
            raise SERejected.of(response.status_code, response.content, response.reason_phrase)
        return True

    async def delete_file(self, se: SETarget, file_id: UUID) -> bool:
        """False when the file was already gone (deleting is idempotent)."""
        response = await self.request(se, "DELETE", files_path(file_id))
        return await self._gone_or_done(response, (200, 204))

    async def dispose(self, se: SETarget, file_id: UUID, batch_id: UUID) -> bool:
        """Destroy one copy under an approved disposition batch (edit and rw SEs; the SE still
        refuses held or retained files). False when the copy was already gone."""
        response = await self.request(se, "POST", files_path(file_id, "/dispose"),
                                      json={"batch_id": str(batch_id)})
        return await self._gone_or_done(response, (200, 204))

    async def withdraw(self, se: SETarget, file_id: UUID) -> bool:
        """Take back a copy of an upload that was never acknowledged (also from rw)."""
        response = await self.request(se, "POST", files_path(file_id, "/withdraw"))
        return response.status_code in (200, 202, 204)

    async def put_bytes(self, se: SETarget, file_id: UUID, attrs: UploadAttributes,
                        data: bytes) -> FileRead:
        """Store a small document whole (the admin's certificates)."""
        response = await self.request(se, "PUT", files_path(file_id), content=data, headers={
            HEADER_ATTRIBUTES: encode_attributes(attrs),
            HEADER_EXPECTED_SHA256: hashlib.sha256(data).hexdigest(),
            "Content-Type": "application/octet-stream"})
        return await self._model(response, FileRead, (200, 201))

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
        timeout = httpx.Timeout(self.transfer_timeout, connect=5.0)
        async with self.stream(source, "GET", files_path(file_id, "/content"),
                               timeout=timeout) as download:
            if download.status_code != 200:
                await download.aread()
                raise SERejected.of(download.status_code, download.content,
                                    download.reason_phrase)

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

            response = await self.request(
                target, "PUT", files_path(file_id), content=body(), timeout=timeout,
                time_limit=math.inf,  # a big file takes long; httpx bounds every chunk
                headers={
                    HEADER_ATTRIBUTES: encode_attributes(attrs),
                    HEADER_DECLARED_SIZE: str(size),
                    HEADER_EXPECTED_SHA256: sha256,
                    "Content-Type": "application/octet-stream",
                    **({HEADER_REPAIR: "true"} if repair else {}),
                })
        result = await self._model(response, FileRead, (200, 201))
        return CopyResult(result, digest.hexdigest(), received)
