"""Upload, attributes, content, patch, delete and listing on both backends."""

from __future__ import annotations

import os
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from se_test_helpers import assert_error, attrs_header, put, sha

pytestmark = pytest.mark.integration


class TestUpload:
    async def test_upload_returns_attributes_and_stores_file_and_sidecar(self, make_se, auth):
        se = await make_se()
        body = os.urandom(5000)
        file_id = uuid.uuid4()
        r = await put(se.client, auth(), body, file_id, original_filename="Отчёт за 2024.pdf",
                      description="квартальный", tags=["a", "b"], custom={"dept": "42"})
        assert r.status_code == 201, r.text
        meta = r.json()
        assert meta["file_id"] == str(file_id)
        assert meta["size"] == 5000 and meta["sha256"] == sha(body)
        assert meta["original_filename"] == "Отчёт за 2024.pdf"
        assert meta["storage_filename"].startswith("Отчёт_за_2024_test-admin_")
        assert meta["storage_filename"].endswith(f"_{file_id}.pdf")
        assert meta["storage_element_id"] == str(se.ctx.se_id)
        assert meta["retention_policy"] == "temporary" and meta["ttl_days"] == 30
        assert meta["expires_at"] is not None and meta["status"] == "active"
        objects = se.storage_objects()
        assert len(objects) == 2
        assert objects[1] == objects[0] + ".attr.json"
        assert objects[0].endswith(meta["storage_filename"])

    async def test_expected_sha256_match_is_accepted(self, make_se, auth):
        se = await make_se()
        body = os.urandom(3000)
        r = await put(se.client, auth(), body, extra={"X-ArtStore-Expected-SHA256": sha(body)})
        assert r.status_code == 201, r.text

    async def test_expected_sha256_mismatch_422_leaves_nothing(self, make_se, auth):
        se = await make_se()
        r = await put(se.client, auth(), b"abc" * 1000,
                      extra={"X-ArtStore-Expected-SHA256": "0" * 64})
        assert_error(r, 422, "CHECKSUM_MISMATCH")
        assert se.storage_objects() == []
        info = (await se.client.get("/api/v1/info", headers=auth())).json()
        assert info["file_count"] == 0 and info["used_bytes"] == 0

    async def test_existing_file_id_409(self, make_se, auth):
        se = await make_se()
        file_id = uuid.uuid4()
        assert (await put(se.client, auth(), b"one", file_id)).status_code == 201
        before = se.storage_objects()
        assert_error(await put(se.client, auth(), b"two", file_id), 409, "FILE_EXISTS")
        assert se.storage_objects() == before

    @pytest.mark.parametrize("algorithm", ["gzip", "br", "zstd"])
    async def test_compressed_roundtrip_returns_original_bytes(self, make_se, auth, algorithm):
        se = await make_se()
        body = b"".join(f"line {i} of a very compressible text\n".encode() for i in range(20000))
        r = await put(se.client, auth(), body, compression=algorithm)
        assert r.status_code == 201, r.text
        meta = r.json()
        assert meta["compression"]["algorithm"] == algorithm
        assert meta["compression"]["stored_size"] < len(body) // 2
        assert meta["size"] == len(body) and meta["sha256"] == sha(body)
        url = f"/api/v1/files/{meta['file_id']}/content"
        full = await se.client.get(url, headers=auth())
        assert full.status_code == 200 and full.content == body
        part = await se.client.get(url, headers={**auth(), "Range": "bytes=100000-100099"})
        assert part.status_code == 206 and part.content == body[100000:100100]

    async def test_incompressible_data_is_stored_plain(self, make_se, auth):
        se = await make_se()
        r = await put(se.client, auth(), os.urandom(300_000), compression="gzip")
        assert r.status_code == 201 and r.json()["compression"] is None

    async def test_empty_file(self, make_se, auth):
        se = await make_se()
        r = await put(se.client, auth(), b"")
        assert r.status_code == 201 and r.json()["size"] == 0
        got = await se.client.get(f"/api/v1/files/{r.json()['file_id']}/content", headers=auth())
        assert got.status_code == 200 and got.content == b""

    async def test_streamed_chunked_upload_with_declared_size(self, make_se, auth):
        se = await make_se()
        chunks = [os.urandom(70_000) for _ in range(20)]

        async def gen():
            for c in chunks:
                yield c

        file_id = uuid.uuid4()
        r = await se.client.put(f"/api/v1/files/{file_id}", content=gen(), headers={
            **auth(), "X-ArtStore-Attributes": attrs_header(),
            "X-ArtStore-Declared-Size": str(sum(map(len, chunks)))})
        assert r.status_code == 201, r.text
        assert r.json()["sha256"] == sha(b"".join(chunks))

    async def test_retention_policy_must_match_mode(self, make_se, auth):
        se = await make_se()
        assert_error(await put(se.client, auth(), retention_policy="permanent"), 409,
                     "RETENTION_MODE_MISMATCH")
        assert se.storage_objects() == []


class TestContent:
    async def _one(self, se, auth, body):
        r = await put(se.client, auth(), body, content_type="application/pdf")
        assert r.status_code == 201
        return f"/api/v1/files/{r.json()['file_id']}/content", r.json()

    async def test_full_download_headers(self, make_se, auth):
        se = await make_se()
        body = os.urandom(10_000)
        url, meta = await self._one(se, auth, body)
        r = await se.client.get(url, headers=auth())
        assert r.status_code == 200 and r.content == body
        assert r.headers["etag"] == f'"{sha(body)}"'
        assert r.headers["accept-ranges"] == "bytes"
        assert r.headers["content-length"] == "10000"
        assert r.headers["content-type"] == "application/pdf"

    async def test_head_has_headers_and_no_body(self, make_se, auth):
        se = await make_se()
        url, _ = await self._one(se, auth, os.urandom(1234))
        r = await se.client.head(url, headers=auth())
        assert r.status_code == 200 and r.content == b""
        assert r.headers["content-length"] == "1234"

    async def test_if_none_match_304(self, make_se, auth):
        se = await make_se()
        body = os.urandom(100)
        url, _ = await self._one(se, auth, body)
        r = await se.client.get(url, headers={**auth(), "If-None-Match": f'"{sha(body)}"'})
        assert r.status_code == 304 and r.content == b""
        r = await se.client.get(url, headers={**auth(), "If-None-Match": '"other"'})
        assert r.status_code == 200

    @pytest.mark.parametrize(("header", "start", "end"), [
        ("bytes=0-9", 0, 9), ("bytes=990-", 990, 999), ("bytes=-5", 995, 999),
        ("bytes=500-5000", 500, 999)])
    async def test_ranges(self, make_se, auth, header, start, end):
        se = await make_se(SE_BACKEND="local")
        body = os.urandom(1000)
        url, _ = await self._one(se, auth, body)
        r = await se.client.get(url, headers={**auth(), "Range": header})
        assert r.status_code == 206
        assert r.content == body[start:end + 1]
        assert r.headers["content-range"] == f"bytes {start}-{end}/1000"

    @pytest.mark.parametrize(("header", "status", "code"), [
        ("bytes=1000-", 416, "RANGE_NOT_SATISFIABLE"),
        ("bytes=0-1,5-9", 416, "RANGE_NOT_SATISFIABLE"),
        ("bytes=-0", 416, "RANGE_NOT_SATISFIABLE"),
        ("bytes=abc", 400, "INVALID_RANGE"),
        ("items=0-5", 400, "INVALID_RANGE"),
        ("bytes=9-3", 400, "INVALID_RANGE"),
        ("bytes=-", 400, "INVALID_RANGE")])
    async def test_bad_ranges(self, make_se, auth, header, status, code):
        se = await make_se()
        url, _ = await self._one(se, auth, os.urandom(1000))
        r = await se.client.get(url, headers={**auth(), "Range": header})
        err = assert_error(r, status, code)
        assert err
        if status == 416:
            assert r.headers["content-range"] == "bytes */1000"

    async def test_unknown_file_404(self, make_se, auth):
        se = await make_se()
        r = await se.client.get(f"/api/v1/files/{uuid.uuid4()}/content", headers=auth())
        assert_error(r, 404, "FILE_NOT_FOUND")


class TestPatchDelete:
    async def test_patch_updates_sidecar_then_index(self, make_se, auth):
        se = await make_se()
        meta = (await put(se.client, auth(), b"x" * 10)).json()
        r = await se.client.patch(f"/api/v1/files/{meta['file_id']}", headers=auth(),
                                  json={"description": "новое", "tags": ["t"], "version": "2"})
        assert r.status_code == 200, r.text
        new = r.json()
        assert new["description"] == "новое" and new["tags"] == ["t"] and new["version"] == "2"
        assert new["updated_at"] > meta["updated_at"]
        stored = se.ctx.backend.get_bytes(se.storage_objects()[1])
        assert "новое".encode() in stored
        report = (await se.client.get("/api/v1/maintenance/consistency", headers=auth())).json()
        assert report["ok"], report

    async def test_patch_finalized_at_needs_storage_admin(self, make_se, auth):
        se = await make_se()
        meta = (await put(se.client, auth(), b"x")).json()
        url = f"/api/v1/files/{meta['file_id']}"
        when = datetime.now(UTC).isoformat()
        assert_error(await se.client.patch(url, headers=auth("USER"), json={"finalized_at": when}),
                     403, "INSUFFICIENT_SCOPE")
        r = await se.client.patch(url, headers=auth(), json={"finalized_at": when})
        assert r.status_code == 200 and r.json()["finalized_at"] is not None

    @pytest.mark.parametrize("body", [{"unknown": 1}, {"tags": "notalist"},
                                      {"description": "x" * 3000}])
    async def test_patch_bad_body_422_no_change(self, make_se, auth, body):
        se = await make_se()
        meta = (await put(se.client, auth(), b"x")).json()
        before = [se.ctx.backend.get_bytes(p) for p in se.storage_objects()]
        r = await se.client.patch(f"/api/v1/files/{meta['file_id']}", headers=auth(), json=body)
        assert_error(r, 422)
        assert [se.ctx.backend.get_bytes(p) for p in se.storage_objects()] == before

    async def test_patch_making_sidecar_too_large_422(self, make_se, auth):
        se = await make_se()
        meta = (await put(se.client, auth(), b"x")).json()
        before = [se.ctx.backend.get_bytes(p) for p in se.storage_objects()]
        r = await se.client.patch(f"/api/v1/files/{meta['file_id']}", headers=auth(),
                                  json={"custom": {"blob": "y" * 4000}})
        assert_error(r, 422, "SIDECAR_TOO_LARGE")
        assert [se.ctx.backend.get_bytes(p) for p in se.storage_objects()] == before

    async def test_delete_removes_data_sidecar_and_index(self, make_se, auth):
        se = await make_se()
        meta = (await put(se.client, auth(), b"x" * 100)).json()
        r = await se.client.delete(f"/api/v1/files/{meta['file_id']}", headers=auth())
        assert r.status_code == 204
        assert se.storage_objects() == []
        assert_error(await se.client.get(f"/api/v1/files/{meta['file_id']}", headers=auth()),
                     404, "FILE_NOT_FOUND")
        info = (await se.client.get("/api/v1/info", headers=auth())).json()
        assert info["file_count"] == 0 and info["used_bytes"] == 0


class TestListing:
    async def test_cursor_pages_through_everything_in_order(self, make_se, auth):
        se = await make_se(SE_BACKEND="local")
        ids = {(await put(se.client, auth(), b"x")).json()["file_id"] for _ in range(7)}
        seen, cursor = [], None
        while True:
            params = {"limit": 3, **({"cursor": cursor} if cursor else {})}
            page = (await se.client.get("/api/v1/files", headers=auth(), params=params)).json()
            assert page["total"] == 7 and page["limit"] == 3 and page["offset"] == 0
            seen += [item["file_id"] for item in page["items"]]
            cursor = page["next_cursor"]
            if not cursor:
                break
        assert len(seen) == 7 and set(seen) == ids

    async def test_changed_since_and_expires_before(self, make_se, auth):
        se = await make_se(SE_BACKEND="local")
        first = (await put(se.client, auth(), b"x", ttl_days=1)).json()
        mark = datetime.now(UTC)
        second = (await put(se.client, auth(), b"y", ttl_days=100)).json()
        page = (await se.client.get("/api/v1/files", headers=auth(),
                                    params={"changed_since": mark.isoformat()})).json()
        assert [i["file_id"] for i in page["items"]] == [second["file_id"]]
        soon = (datetime.now(UTC) + timedelta(days=2)).isoformat()
        page = (await se.client.get("/api/v1/files", headers=auth(),
                                    params={"expires_before": soon})).json()
        assert [i["file_id"] for i in page["items"]] == [first["file_id"]]

    @pytest.mark.parametrize("params", [{"cursor": "!!notacursor"}, {"limit": 0},
                                        {"limit": 5000}, {"changed_since": "yesterday"},
                                        {"status": "gone"}])
    async def test_bad_listing_params_422(self, make_se, auth, params):
        se = await make_se(SE_BACKEND="local")
        assert_error(await se.client.get("/api/v1/files", headers=auth(), params=params), 422)
