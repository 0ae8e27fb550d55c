"""Strict input rules (issue 14): JSON that cannot be stored, loose coercions, NUL in URLs,
405 with every allowed method, database refusals as 422, JSON protocol 400s, OpenAPI."""


import json
from typing import Annotated

import httpx
import pytest
from fastapi import Depends
from pydantic import BaseModel, TypeAdapter, ValidationError

from artstore_common.app import create_base_app
from artstore_common.auth import Principal, require_scopes
from artstore_common.errors import _is_unstorable_value
from artstore_common.http_protocol import json_400
from artstore_common.pagination import Paging
from artstore_common.settings import ArtStoreSettings
from artstore_common.validation import (
    INT64_MAX,
    MAX_JSON_DEPTH,
    IsoDateTime,
    JsonObject,
    StrictInt,
    UnsafeJson,
    loads_json,
    text_problem,
)


def nested(levels: int) -> str:
    return '{"a":' * levels + "1" + "}" * levels


@pytest.mark.parametrize("raw", ['{"a": NaN}', '{"a": Infinity}', '{"a": -Infinity}',
                                 '{"a": 1e999}', '{"a": "\\ud800"}', '{"a\\u0000": 1}',
                                 '["\\u0000"]', nested(MAX_JSON_DEPTH + 1), nested(5000)])
def test_loads_json_refuses_what_cannot_be_stored(raw):
    with pytest.raises(UnsafeJson):
        loads_json(raw)


def test_loads_json_keeps_ordinary_json():
    raw = '{"n": 1.5, "big": 12345678901234567890, "t": "Счёт \\ud83d\\ude00", "l": [null]}'
    assert loads_json(raw) == json.loads(raw)
    assert loads_json(nested(MAX_JSON_DEPTH)) == json.loads(nested(MAX_JSON_DEPTH))


def test_json_object_type_checks_parsed_values():
    adapter = TypeAdapter(JsonObject)
    assert adapter.validate_python({"a": [1, "x"]}) == {"a": [1, "x"]}
    for bad in ({"a": float("nan")}, {"a": "\ud800"}, {"a": "\x00"}, json.loads(nested(40))):
        with pytest.raises(ValidationError):
            adapter.validate_python(bad)


def test_text_problem():
    assert text_problem("Счёт 😀") is None
    assert "NUL" in text_problem("a\x00")
    assert "surrogate" in text_problem("a\udfff")


@pytest.mark.parametrize("value", [False, True, 2.0, 0.5, "2.0", "1e3", "false", ""])
def test_strict_int_refuses_loose_values(value):
    with pytest.raises(ValidationError):
        TypeAdapter(StrictInt).validate_python(value)


def test_strict_int_accepts_integers():
    assert TypeAdapter(StrictInt).validate_python("42") == 42
    assert TypeAdapter(StrictInt).validate_python(-3) == -3


@pytest.mark.parametrize("value", [0.5, 1700000000, "1700000000", "0.5", True])
def test_iso_datetime_refuses_numbers(value):
    with pytest.raises(ValidationError):
        TypeAdapter(IsoDateTime).validate_python(value)


def test_iso_datetime_accepts_iso():
    assert TypeAdapter(IsoDateTime).validate_python("2026-01-02T03:04:05Z").year == 2026


def test_database_value_refusals_are_recognised():
    import asyncpg

    server = asyncpg.exceptions.CharacterNotInRepertoireError("invalid byte sequence")
    wrapped = RuntimeError("driver")
    wrapped.__cause__ = server
    assert _is_unstorable_value(wrapped)
    client = asyncpg.exceptions._base.DataError("invalid input for query argument $1")
    assert _is_unstorable_value(client)
    assert not _is_unstorable_value(RuntimeError("a bug"))
    assert not _is_unstorable_value(asyncpg.exceptions.UniqueViolationError("dup"))


def test_protocol_400_is_json():
    raw = json_400("Invalid HTTP request received.")
    head, _, body = raw.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400")
    assert b"content-type: application/json" in head
    assert json.loads(body)["error"]["code"] == "BAD_REQUEST"
    assert str(len(body)).encode() in head


class Item(BaseModel):
    name: str


@pytest.fixture()
def app(token_factory, tmp_path):
    from artstore_common.auth.verifier import TokenVerifier

    key = tmp_path / "pub.pem"
    key.write_bytes(token_factory.public_pem)
    settings = ArtStoreSettings(SERVICE_NAME="unit", JWT_PUBLIC_KEY_FILE=str(key))
    app = create_base_app(settings, title="unit", version="0")
    app.state.token_verifier = TokenVerifier(
        issuer=settings.JWT_ISSUER, audience=settings.JWT_AUDIENCE, public_key_file=str(key))
    Reader = Annotated[Principal, Depends(require_scopes("files:read"))]

    @app.get("/api/v1/items")
    async def items(principal: Reader, paging: Paging) -> dict:
        return {"offset": paging.offset}

    @app.post("/api/v1/items")
    async def create(principal: Reader, item: Item) -> dict:
        return {"name": item.name}

    @app.get("/api/v1/value")
    async def value() -> dict:
        import asyncpg

        raise asyncpg.exceptions._base.DataError("value out of int64 range")

    return app


@pytest.fixture()
async def client(app):
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
        yield c


async def test_405_lists_every_method_of_the_path(client, token_factory):
    response = await client.delete("/api/v1/items", headers=token_factory.headers("ADMIN"))
    assert response.status_code == 405
    assert response.json()["error"]["code"] == "METHOD_NOT_ALLOWED"
    assert response.headers["allow"] == "GET, POST"


@pytest.mark.parametrize("url", ["/api/v1/items?q=a%00b", "/api/v1/it%00ems"])
async def test_nul_in_the_url_is_400(client, token_factory, url):
    response = await client.get(url, headers=token_factory.headers("ADMIN"))
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "BAD_REQUEST"


@pytest.mark.parametrize("offset", [str(INT64_MAX + 1), "false", "1.0", "-1"])
async def test_paging_offset_is_a_bounded_integer(client, token_factory, offset):
    response = await client.get("/api/v1/items", params={"offset": offset},
                                headers=token_factory.headers("ADMIN"))
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "VALIDATION_ERROR"


async def test_unstorable_value_from_the_driver_is_422(client):
    response = await client.get("/api/v1/value")
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "VALIDATION_ERROR"


def test_openapi_documents_bearer_scopes_and_error_shape(app):
    schema = app.openapi()
    assert schema["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
    assert schema["components"]["schemas"]["Error"]["required"] == ["error"]
    operation = schema["paths"]["/api/v1/items"]["post"]
    assert operation["security"] == [{"bearerAuth": []}]
    assert operation["x-required-scopes"] == ["files:read"]
    for status in ("401", "403", "404", "409", "422", "4XX"):
        content = operation["responses"][status]["content"]["application/json"]
        assert content["schema"] == {"$ref": "#/components/schemas/Error"}
    health = schema["paths"]["/health/live"]["get"]
    assert "security" not in health and "401" not in health["responses"]
    assert "HTTPValidationError" not in json.dumps(schema)
