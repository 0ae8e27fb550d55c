"""The shared storage-element client: breaker accounting, token renewal, typed refusals and
streaming, against a stand-in that answers as an SE does (the services' integration tests
run it against real storage elements)."""

import uuid

import httpx
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, StreamingResponse

from artstore_common.resilience import BreakerRegistry, CircuitOpenError, UpstreamServerError
from artstore_common.se_client import SERejected, StorageElementClient, Target

SE = Target(uuid.uuid4(), "http://se")


class Tokens:
    def __init__(self) -> None:
        self.issued = 0

    async def token(self) -> str:
        self.issued += 1
        return f"t{self.issued}"

    def invalidate(self) -> None:
        self.issued += 100  # the next token differs from every one given before


def se_app() -> FastAPI:
    app = FastAPI()
    seen: list[str] = []
    app.state.seen = seen

    @app.get("/status/{code}")
    async def status(code: int) -> JSONResponse:
        return JSONResponse({"error": {"code": f"C{code}", "message": "m"}}, status_code=code)

    @app.get("/api/v1/files/{file_id}")
    async def get_file(file_id: str, request: Request) -> JSONResponse:
        seen.append(request.headers["authorization"])
        if request.headers["authorization"] == "Bearer t1":
            return JSONResponse({"error": {"code": "UNAUTHORIZED"}}, status_code=401)
        return JSONResponse({"error": {"code": "FILE_QUARANTINED", "message": "held back",
                                       "details": {"file_id": file_id}}}, status_code=409)

    @app.get("/api/v1/files/{file_id}/content")
    async def content(request: Request) -> StreamingResponse:
        async def body():
            for i in range(3):
                yield bytes([i]) * 1000

        return StreamingResponse(body(), headers={"x-range": request.headers.get("range", "")})

    return app


def client(name: str) -> StorageElementClient:
    http = httpx.AsyncClient(transport=httpx.ASGITransport(app=se_app()))
    return StorageElementClient(http, BreakerRegistry(name, fail_max=2, reset_timeout=60),
                                Tokens())


async def test_5xx_counts_against_the_breaker_and_4xx_does_not():
    se = client("unit-se-a")
    for _ in range(4):
        assert (await se.request(SE, "GET", "/status/404")).status_code == 404
    assert (await se.request(SE, "GET", "/status/507")).status_code == 507  # full, healthy
    assert se.breakers.state(str(SE.id)) == "closed"
    for _ in range(2):
        with pytest.raises(UpstreamServerError) as info:
            await se.request(SE, "GET", "/status/503")
        assert info.value.status_code == 503
    assert se.breakers.is_open(str(SE.id))
    with pytest.raises(CircuitOpenError):
        await se.request(SE, "GET", "/status/200")
    # A caller that must try this SE anyway (a last-resort copy) goes around the breaker.
    with pytest.raises(UpstreamServerError):
        await se.request(SE, "GET", "/status/503", guarded=False)
    assert (await se.request(SE, "GET", "/status/404", guarded=False)).status_code == 404


async def test_a_refused_token_is_renewed_once_and_the_refusal_is_typed():
    se = client("unit-se-b")
    file_id = uuid.uuid4()
    with pytest.raises(SERejected) as info:
        await se.get_file(SE, file_id)
    assert (info.value.status_code, info.value.code, info.value.message) == (
        409, "FILE_QUARANTINED", "held back")
    assert info.value.details == {"file_id": str(file_id)}
    seen = se.http._transport.app.state.seen
    assert seen == ["Bearer t1", "Bearer t102"]
    # A token the caller passes is its own: never swapped for the service's.
    with pytest.raises(SERejected) as info:
        await se.get_file(SE, file_id, token="t1")
    assert info.value.code == "UNAUTHORIZED" and seen[-1] == "Bearer t1"


async def test_stream_passes_range_and_yields_the_body_in_chunks():
    se = client("unit-se-c")
    async with se.stream(SE, "GET", f"/api/v1/files/{uuid.uuid4()}/content",
                         headers={"Range": "bytes=0-9"}) as response:
        chunks = [chunk async for chunk in response.aiter_raw()]
    assert response.headers["x-range"] == "bytes=0-9"
    assert b"".join(chunks) == b"\0" * 1000 + b"\1" * 1000 + b"\2" * 1000
    with pytest.raises(UpstreamServerError):
        async with se.stream(SE, "GET", "/status/500"):
            pass
