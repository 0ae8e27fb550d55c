"""Small helpers shared by the SE tests."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import uuid
from typing import Any

import httpx


def attrs_header(**fields: Any) -> str:
    fields.setdefault("original_filename", "report.pdf")
    raw = json.dumps(fields, default=str, ensure_ascii=False).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


async def put(
    client: httpx.AsyncClient, headers: dict[str, str], body: bytes | None = None,
    file_id: uuid.UUID | str | None = None, extra: dict[str, str] | None = None, **attrs: Any,
) -> httpx.Response:
    file_id = file_id or uuid.uuid4()
    body = os.urandom(2048) if body is None else body
    hdrs = {**headers, "X-ArtStore-Attributes": attrs_header(**attrs), **(extra or {})}
    return await client.put(f"/api/v1/files/{file_id}", content=body, headers=hdrs)


def assert_error(response: httpx.Response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"}, body
    assert {"code", "message", "details"} <= set(body["error"])
    if code:
        assert body["error"]["code"] == code, body
    return body["error"]
