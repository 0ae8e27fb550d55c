"""The base app: error shape, auth dependency, health, metrics, request id, CORS."""


from typing import Annotated

import httpx
import pytest
from fastapi import Depends
from pydantic import BaseModel

from artstore_common.app import create_base_app
from artstore_common.auth import Principal, require_scopes
from artstore_common.auth.verifier import TokenVerifier
from artstore_common.errors import Conflict, TooManyRequests
from artstore_common.health import CheckResult, HealthCheck
from artstore_common.settings import ArtStoreSettings
from artstore_common.testing import TokenFactory


class Item(BaseModel):
    name: str
    size: int


def build(factory: TokenFactory, tmp_path, checks=None):
    key = tmp_path / "pub.pem"
    key.write_bytes(factory.public_pem)
    settings = ArtStoreSettings(SERVICE_NAME="unit", JWT_PUBLIC_KEY_FILE=str(key))
    app = create_base_app(settings, title="unit", version="0", health_checks=checks or [])
    app.state.token_verifier = TokenVerifier(
        issuer=settings.JWT_ISSUER, audience=settings.JWT_AUDIENCE, public_key_file=str(key)
    )
    Writer = Annotated[Principal, Depends(require_scopes("files:write"))]

    @app.post("/api/v1/items/{item_id}")
    async def create(item_id: int, item: Item, principal: Writer) -> dict:
        if item.name == "dup":
            raise Conflict("exists", code="ITEM_EXISTS", details={"name": item.name})
        if item.name == "slow":
            raise TooManyRequests(7)
        return {"id": item_id, "by": principal.role}

    @app.get("/api/v1/boom")
    async def boom() -> dict:
        raise RuntimeError("secret internals")

    return app


@pytest.fixture()
def factory() -> TokenFactory:
    return TokenFactory()


@pytest.fixture()
async def client(factory, tmp_path):
    app = build(factory, tmp_path)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
        yield c


def assert_error(response: httpx.Response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"}
    assert body["error"]["code"] == code
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    assert isinstance(body["error"]["details"], dict)
    return body


async def test_authorized_call(client, factory):
    r = await client.post("/api/v1/items/1", json={"name": "a", "size": 1},
                          headers=factory.headers("USER"))
    assert r.status_code == 200 and r.json() == {"id": 1, "by": "USER"}


async def test_missing_token_401_with_www_authenticate(client):
    r = await client.post("/api/v1/items/1", json={"name": "a", "size": 1})
    assert_error(r, 401, "UNAUTHORIZED")
    assert r.headers["www-authenticate"] == "Bearer"


async def test_wrong_scheme_401(client):
    r = await client.post("/api/v1/items/1", json={"name": "a", "size": 1},
                          headers={"Authorization": "Basic abc"})
    assert_error(r, 401, "UNAUTHORIZED")


@pytest.mark.parametrize("role", ["READONLY", "AUDITOR", "readonly", "unknown", ""])
async def test_insufficient_scope_403(client, factory, role):
    r = await client.post("/api/v1/items/1", json={"name": "a", "size": 1},
                          headers=factory.headers(role))
    body = assert_error(r, 403, "INSUFFICIENT_SCOPE")
    assert body["error"]["details"]["missing"] == ["files:write"]


async def test_invalid_token_401(client):
    r = await client.post("/api/v1/items/1", json={"name": "a", "size": 1},
                          headers={"Authorization": "Bearer nonsense"})
    assert_error(r, 401, "INVALID_TOKEN")


async def test_validation_error_shape(client, factory):
    r = await client.post("/api/v1/items/x", json={"name": 1}, headers=factory.headers())
    body = assert_error(r, 422, "VALIDATION_ERROR")
    assert body["error"]["details"]["errors"]


async def test_malformed_json_422(client, factory):
    r = await client.post("/api/v1/items/1", content=b"{not json",
                          headers={**factory.headers(), "Content-Type": "application/json"})
    assert_error(r, 422, "VALIDATION_ERROR")


async def test_typed_error_rendered(client, factory):
    r = await client.post("/api/v1/items/1", json={"name": "dup", "size": 1},
                          headers=factory.headers())
    body = assert_error(r, 409, "ITEM_EXISTS")
    assert body["error"]["details"] == {"name": "dup"}


async def test_rate_limit_has_retry_after(client, factory):
    r = await client.post("/api/v1/items/1", json={"name": "slow", "size": 1},
                          headers=factory.headers())
    assert_error(r, 429, "RATE_LIMITED")
    assert r.headers["retry-after"] == "7"


async def test_unknown_path_and_method(client):
    assert_error(await client.get("/api/v1/nothing"), 404, "NOT_FOUND")
    assert_error(await client.get("/api/v1/items/1"), 405, "METHOD_NOT_ALLOWED")


async def test_unhandled_error_is_500_without_internals(factory, tmp_path):
    app = build(factory, tmp_path)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
        r = await c.get("/api/v1/boom")
    body = assert_error(r, 500, "INTERNAL_ERROR")
    assert "secret internals" not in r.text
    assert body["error"]["details"] == {}


async def test_request_id_echoed_or_generated(client):
    r = await client.get("/health/live", headers={"X-Request-ID": "abc-123"})
    assert r.headers["x-request-id"] == "abc-123"
    r = await client.get("/health/live", headers={"X-Request-ID": "bad id with spaces"})
    generated = r.headers["x-request-id"]
    assert generated != "bad id with spaces" and len(generated) == 32


async def test_metrics_labelled_by_route_template(client, factory):
    await client.post("/api/v1/items/123", json={"name": "a", "size": 1}, headers=factory.headers())
    text = (await client.get("/metrics")).text
    assert 'route="/api/v1/items/{item_id}"' in text
    assert 'route="/api/v1/items/123"' not in text


async def test_cors_allow_list(client):
    r = await client.options("/api/v1/items/1", headers={
        "Origin": "http://localhost:4200", "Access-Control-Request-Method": "POST"})
    assert r.headers.get("access-control-allow-origin") == "http://localhost:4200"
    r = await client.options("/api/v1/items/1", headers={
        "Origin": "http://evil.example", "Access-Control-Request-Method": "POST"})
    assert "access-control-allow-origin" not in r.headers


def test_wildcard_cors_refused():
    with pytest.raises(ValueError):
        ArtStoreSettings(CORS_ALLOW_ORIGINS=["*"])


async def _ok() -> str:
    return "fine"


async def _broken() -> None:
    raise ConnectionError("down")


async def _degraded() -> CheckResult:
    return CheckResult("degraded", "lagging")


@pytest.mark.parametrize(
    ("checks", "status", "overall"),
    [
        ([HealthCheck("db", _ok)], 200, "ok"),
        ([HealthCheck("db", _ok), HealthCheck("redis", _broken, critical=False)], 200, "degraded"),
        ([HealthCheck("db", _broken), HealthCheck("redis", _ok)], 503, "fail"),
        ([HealthCheck("lag", _degraded)], 200, "degraded"),
    ],
)
async def test_readiness(factory, tmp_path, checks, status, overall):
    app = build(factory, tmp_path, checks)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        r = await c.get("/health/ready")
        assert (await c.get("/health/live")).json()["status"] == "ok"
    assert r.status_code == status
    body = r.json()
    assert body["status"] == overall
    assert set(body["checks"]) == {c.name for c in checks}
