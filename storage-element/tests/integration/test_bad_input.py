"""Every bad input answers a clear 4xx in the error shape and changes nothing on disk."""

from __future__ import annotations

import base64
import os
import uuid

import pytest
from se_test_helpers import assert_error, attrs_header, put

pytestmark = pytest.mark.integration


async def nothing_stored(se, auth) -> None:
    assert se.storage_objects() == []
    info = (await se.client.get("/api/v1/info", headers=auth())).json()
    assert info["file_count"] == 0 and info["used_bytes"] == 0 and info["reserved_bytes"] == 0


class TestIds:
    @pytest.mark.parametrize("bad", ["abc", "123", "..%2F..%2Fetc%2Fpasswd", "%2e%2e",
                                     "00000000-0000-0000-0000-00000000000g",
                                     "..\\..\\windows"])
    async def test_non_uuid_ids_422(self, make_se, auth, bad):
        se = await make_se()
        for method in ("put", "get", "patch", "delete"):
            kwargs = {"json": {}} if method == "patch" else {}
            if method == "put":
                kwargs = {"content": b"x", "headers": {**auth(),
                                                       "X-ArtStore-Attributes": attrs_header()}}
            else:
                kwargs["headers"] = auth()
            r = await getattr(se.client, method)(f"/api/v1/files/{bad}", **kwargs)
            assert r.status_code in (404, 422), (method, r.status_code)
            assert set(r.json()) == {"error"}
        await nothing_stored(se, auth)

    @pytest.mark.parametrize("name", ["../../../etc/passwd", "..\\..\\boot.ini", "/abs/path.txt",
                                      ".hidden", "con:stream", "....", "x" * 1000,
                                      "Документ с очень длинным названием " * 20 + ".docx"])
    async def test_hostile_filenames_stay_inside_the_layout(self, make_se, auth, name):
        se = await make_se()
        r = await put(se.client, auth(), b"data", original_filename=name)
        assert r.status_code == 201, r.text
        meta = r.json()
        assert meta["original_filename"] == name
        stored = meta["storage_filename"]
        assert len(stored) <= 200 and "/" not in stored and "\\" not in stored
        assert not stored.startswith(".") and "\x00" not in stored
        objects = se.storage_objects()
        assert objects == [f"{objects[0].rsplit('/', 1)[0]}/{stored}",
                           f"{objects[0].rsplit('/', 1)[0]}/{stored}.attr.json"]
        assert len(objects[0].split("/")) == 5


class TestUploadHeaders:
    @pytest.mark.parametrize("header", [None, "not base64!!", base64.b64encode(b"[1,2]").decode(),
                                        attrs_header(unknown_field=1), attrs_header(ttl_days=0),
                                        attrs_header(original_filename=""),
                                        attrs_header(retention_policy="forever")])
    async def test_invalid_attributes_422(self, make_se, auth, header):
        se = await make_se()
        headers = {**auth(), **({"X-ArtStore-Attributes": header} if header else {})}
        r = await se.client.put(f"/api/v1/files/{uuid.uuid4()}", content=b"x", headers=headers)
        assert_error(r, 422, "INVALID_ATTRIBUTES")
        await nothing_stored(se, auth)

    @pytest.mark.parametrize("fields", [{"original_filename": "a\x00b.txt"},
                                        {"custom": {"k": "v\x00"}}, {"tags": ["\x00"]}])
    async def test_nul_characters_422(self, make_se, auth, fields):
        se = await make_se()
        assert_error(await put(se.client, auth(), b"x", **fields), 422, "INVALID_ATTRIBUTES")
        await nothing_stored(se, auth)

    async def test_sidecar_over_4kib_422(self, make_se, auth):
        se = await make_se()
        r = await put(se.client, auth(), b"x", custom={"note": "ж" * 2100})
        assert_error(r, 422, "SIDECAR_TOO_LARGE")
        await nothing_stored(se, auth)

    @pytest.mark.parametrize("value", ["abc", "0" * 63, "g" * 64])
    async def test_malformed_expected_sha_422(self, make_se, auth, value):
        se = await make_se()
        r = await put(se.client, auth(), extra={"X-ArtStore-Expected-SHA256": value})
        assert_error(r, 422)
        await nothing_stored(se, auth)

    async def test_no_length_411(self, make_se, auth):
        se = await make_se()

        async def body():
            yield b"abc"

        r = await se.client.put(f"/api/v1/files/{uuid.uuid4()}", content=body(), headers={
            **auth(), "X-ArtStore-Attributes": attrs_header()})
        assert_error(r, 411, "LENGTH_REQUIRED")
        await nothing_stored(se, auth)

    async def test_body_longer_than_declared_413(self, make_se, auth, backend):
        se = await make_se()

        async def body():
            for _ in range(10):
                yield os.urandom(100_000)

        r = await se.client.put(f"/api/v1/files/{uuid.uuid4()}", content=body(), headers={
            **auth(), "X-ArtStore-Attributes": attrs_header(),
            "X-ArtStore-Declared-Size": "250000"})
        assert_error(r, 413, "PAYLOAD_TOO_LARGE")
        await nothing_stored(se, auth)

    async def test_declared_size_over_max_413_before_body(self, make_se, auth):
        se = await make_se(SE_MAX_FILE_SIZE=1000)
        consumed = []

        async def body():
            consumed.append(True)
            yield b"x" * 2000

        r = await se.client.put(f"/api/v1/files/{uuid.uuid4()}", content=body(), headers={
            **auth(), "X-ArtStore-Attributes": attrs_header(), "X-ArtStore-Declared-Size": "2000"})
        assert_error(r, 413, "PAYLOAD_TOO_LARGE")
        assert not consumed
        await nothing_stored(se, auth)

    async def test_body_shorter_than_content_length_400(self, make_se, auth):
        se = await make_se()
        r = await se.client.put(f"/api/v1/files/{uuid.uuid4()}", content=b"x" * 50, headers={
            **auth(), "X-ArtStore-Attributes": attrs_header(), "Content-Length": "100"})
        assert_error(r, 400, "INCOMPLETE_BODY")
        await nothing_stored(se, auth)

    @pytest.mark.parametrize("value", ["abc", "-5", "1e3"])
    async def test_malformed_declared_size_422(self, make_se, auth, value):
        se = await make_se()
        r = await put(se.client, auth(), extra={"X-ArtStore-Declared-Size": value})
        assert_error(r, 422)
        await nothing_stored(se, auth)


ENDPOINTS = [
    ("put", "/api/v1/files/{id}", "files:write"),
    ("get", "/api/v1/files/{id}", "files:read"),
    ("get", "/api/v1/files/{id}/content", "files:read"),
    ("patch", "/api/v1/files/{id}", "files:write"),
    ("delete", "/api/v1/files/{id}", "files:delete"),
    ("post", "/api/v1/files/{id}/withdraw", "files:replicate"),
    ("get", "/api/v1/files", "files:read"),
    ("get", "/api/v1/info", "storage:read"),
    ("get", "/api/v1/uploads/in-flight", "storage:read"),
    ("post", "/api/v1/mode", "storage:admin"),
    ("post", "/api/v1/maintenance/rebuild", "storage:admin"),
    ("get", "/api/v1/maintenance/consistency", "storage:admin"),
    ("post", "/api/v1/maintenance/fixity", "storage:admin"),
]


@pytest.mark.parametrize("backend", ["local"], indirect=True)
class TestAuth:
    async def _call(self, se, method, path, headers):
        file_id = (await put(se.client, self.admin, b"keep")).json()["file_id"]
        url = path.format(id=file_id if method != "put" else uuid.uuid4())
        kwargs: dict = {"headers": {**headers, "X-ArtStore-Attributes": attrs_header()}}
        if method == "put":
            kwargs["content"] = b"x"
        if method in ("patch", "post"):
            kwargs["json"] = {"description": "x"} if method == "patch" else {"target_mode": "ro"}
        return await getattr(se.client, method)(url, **kwargs), file_id

    @pytest.mark.parametrize(("method", "path", "scope"), ENDPOINTS)
    async def test_missing_token_401(self, make_se, auth, method, path, scope):
        se = await make_se(SE_MODE="edit")
        self.admin = auth()
        before = None
        r, _ = await self._call(se, method, path, {})
        before = se.storage_objects()
        assert_error(r, 401)
        assert r.headers.get("www-authenticate") == "Bearer"
        assert se.storage_objects() == before

    @pytest.mark.parametrize(("method", "path", "scope"), ENDPOINTS)
    async def test_wrong_scope_403(self, make_se, auth, token_factory, method, path, scope):
        se = await make_se(SE_MODE="edit")
        self.admin = auth()
        others = sorted({"files:read", "files:write", "files:delete", "storage:read",
                         "storage:admin"} - {scope})
        r, file_id = await self._call(se, method, path, auth("ADMIN", scopes=others))
        assert_error(r, 403, "INSUFFICIENT_SCOPE")
        assert len(se.storage_objects()) == 2
        assert (await se.client.get(f"/api/v1/files/{file_id}", headers=self.admin)).json()[
            "description"] is None

    async def test_unknown_role_and_bad_tokens(self, make_se, auth, token_factory):
        se = await make_se()
        self.admin = auth()
        cases = [auth("MYSTERY"), {"Authorization": "Bearer not.a.jwt"},
                 {"Authorization": "Basic abc"}, auth("ADMIN", ttl=-120)]
        for headers in cases:
            r = await se.client.get("/api/v1/files", headers=headers)
            assert r.status_code in (401, 403), r.text
            assert set(r.json()) == {"error"}
