"""Downloads streamed from a real storage-element process, events from its real outbox."""

from __future__ import annotations

import hashlib
import os
import uuid
from datetime import UTC, datetime

import httpx
import pytest

from artstore_common.contracts import ACCESS_EVENTS_STREAM, AccessEvent
from query_module.config import Settings

pytestmark = pytest.mark.e2e


@pytest.fixture()
def query_settings(se_query_settings) -> Settings:
    return se_query_settings


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


async def download(harness, file_id, headers=None, method="GET") -> httpx.Response:
    return await harness.client.request(method, f"/api/v1/files/{file_id}/download",
                                        headers={**harness.headers(), **(headers or {})})


class TestDownload:
    async def test_full_download_matches_sha256(self, with_ses, edit_se):
        body = os.urandom(300_000)
        record = edit_se.upload(body, original_filename="Договор №5.bin")
        await with_ses.wait_for_file(record["file_id"])
        response = await download(with_ses, record["file_id"])
        assert response.status_code == 200
        assert sha(response.content) == record["sha256"] == sha(body)
        assert response.headers["etag"] == f'"{record["sha256"]}"'
        assert response.headers["content-length"] == str(len(body))
        assert response.headers["accept-ranges"] == "bytes"
        disposition = response.headers["content-disposition"]
        assert disposition.startswith('attachment; filename="')
        assert "filename*=UTF-8''%D0%94%D0%BE%D0%B3%D0%BE%D0%B2%D0%BE%D1%80" in disposition
        assert edit_se.url not in str(response.headers)
        assert "127.0.0.1" not in str(response.headers)

    async def test_ranged_download_206(self, with_ses, edit_se):
        body = os.urandom(100_000)
        record = edit_se.upload(body)
        await with_ses.wait_for_file(record["file_id"])
        response = await download(with_ses, record["file_id"], {"Range": "bytes=1000-50999"})
        assert response.status_code == 206
        assert response.content == body[1000:51000]
        assert response.headers["content-range"] == f"bytes 1000-50999/{len(body)}"

    async def test_a_viewers_range_reads_are_one_access_trail_entry(self, with_ses, edit_se):
        """pdf.js reads a PDF in ranges: one ``file.downloaded`` entry, for the first of them; a
        whole download and another account's read are entries of their own."""
        body = os.urandom(200_000)
        record = edit_se.upload(body)
        await with_ses.wait_for_file(record["file_id"])
        url, viewer = f"/api/v1/files/{record['file_id']}/download", with_ses.headers()
        for start in range(0, 200_000, 40_000):
            response = await with_ses.client.get(
                url, headers={**viewer, "Range": f"bytes={start}-{start + 39_999}"})
            assert response.status_code == 206
        other = await with_ses.client.get(url, headers={**with_ses.headers(), "Range": "bytes=0-9"})
        assert other.status_code == 206  # another account: its own entry
        assert (await with_ses.client.get(url, headers=viewer)).status_code == 200
        trail = with_ses.app.state.access_trail
        await trail.flush()
        events = [AccessEvent.model_validate_json(fields[b"data"])
                  for _, fields in await with_ses.redis.xrange(ACCESS_EVENTS_STREAM)]
        downloads = [e.details for e in events if e.action == "file.downloaded"
                     and str(e.file_id) == record["file_id"]]
        assert sorted(d.get("range", "") for d in downloads) == [
            "", "bytes=0-39999", "bytes=0-9"], downloads

    async def test_unsatisfiable_range_416_with_error_shape(self, with_ses, edit_se):
        record = edit_se.upload(b"x" * 100)
        await with_ses.wait_for_file(record["file_id"])
        response = await download(with_ses, record["file_id"], {"Range": "bytes=500-"})
        assert response.status_code == 416
        assert response.json()["error"]["code"] == "RANGE_NOT_SATISFIABLE"

    async def test_malformed_range_is_the_callers_mistake(self, with_ses, edit_se):
        record = edit_se.upload(b"z" * 100)
        await with_ses.wait_for_file(record["file_id"])
        response = await download(with_ses, record["file_id"], {"Range": "bytes=zz"})
        assert 400 <= response.status_code < 500 and response.status_code != 404
        assert set(response.json()) == {"error"}

    async def test_if_none_match_304(self, with_ses, edit_se):
        record = edit_se.upload(b"cached body")
        await with_ses.wait_for_file(record["file_id"])
        response = await download(with_ses, record["file_id"],
                                  {"If-None-Match": f'"{record["sha256"]}"'})
        assert response.status_code == 304
        assert response.content == b""

    async def test_head_has_headers_and_no_body(self, with_ses, edit_se):
        record = edit_se.upload(b"y" * 4096)
        await with_ses.wait_for_file(record["file_id"])
        response = await download(with_ses, record["file_id"], method="HEAD")
        assert response.status_code == 200
        assert response.headers["content-length"] == "4096"
        assert response.content == b""

    async def test_compressed_file_returns_original_bytes(self, with_ses, edit_se):
        body = ("повторяющийся текст " * 5000).encode()
        record = edit_se.upload(body, original_filename="text.txt", content_type="text/plain",
                                compression="gzip")
        meta = await with_ses.wait_for_file(record["file_id"])
        assert meta["compressed"] is True
        response = await download(with_ses, record["file_id"])
        assert response.content == body

    async def test_corrupted_bytes_are_never_served_silently(self, with_ses, edit_se):
        body = os.urandom(200_000)
        record = edit_se.upload(body, original_filename="fragile.bin")
        await with_ses.wait_for_file(record["file_id"])
        (stored,) = [p for p in edit_se.data_dir.rglob(f"*{record['file_id']}*")
                     if not p.name.endswith(".attr.json")]
        data = bytearray(stored.read_bytes())
        data[100_000] ^= 0xFF
        stored.write_bytes(bytes(data))
        # The SE aborts when the bytes do not match their SHA-256; the query module aborts
        # its own response too, so the client sees a broken transfer, never a whole file.
        with pytest.raises(httpx.HTTPError):
            await download(with_ses, record["file_id"])

    async def test_unknown_file_404(self, with_ses):
        response = await download(with_ses, uuid.uuid4())
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "FILE_NOT_FOUND"

    async def test_non_uuid_422(self, with_ses):
        response = await download(with_ses, "not-a-uuid")
        assert response.status_code == 422

    async def test_needs_files_read(self, with_ses, edit_se):
        response = await with_ses.client.get(f"/api/v1/files/{uuid.uuid4()}/download",
                                             headers=with_ses.headers("NOBODY"))
        assert response.status_code == 403


class TestLifecycle:
    async def test_finalize_moves_file_and_it_still_downloads(self, with_ses, edit_se, rw_se):
        body = os.urandom(50_000)
        source = edit_se.upload(body, original_filename="draft.bin",
                                retention_policy="temporary", ttl_days=10)
        file_id = source["file_id"]
        await with_ses.wait_for_file(file_id)
        # What the finalize saga does: copy under the same id, mark the source, delete it.
        rw_se.upload(body, file_id=uuid.UUID(file_id), original_filename="draft.bin",
                     retention_policy="permanent", created_at=source["created_at"],
                     internal=True)
        await with_ses.wait_for_file(
            file_id, lambda m: m["storage_element_id"] == str(rw_se.id))
        patched = httpx.patch(f"{edit_se.url}/api/v1/files/{file_id}",
                              json={"finalized_at": datetime.now(UTC).isoformat()},
                              headers=edit_se.tokens.headers("ADMIN"))
        assert patched.status_code == 200, patched.text
        deleted = httpx.delete(f"{edit_se.url}/api/v1/files/{file_id}",
                               headers=edit_se.tokens.headers("ADMIN"))
        assert deleted.status_code == 204, deleted.text
        marker = edit_se.upload(b"after")  # its event follows the delete in the stream
        await with_ses.wait_for_file(marker["file_id"])
        meta = await with_ses.wait_for_file(file_id)
        assert (meta["storage_element_id"], meta["status"]) == (str(rw_se.id), "active")
        assert meta["retention_policy"] == "permanent"
        response = await download(with_ses, file_id)
        assert response.status_code == 200 and sha(response.content) == sha(body)

    async def test_archived_se_409_without_contact_and_still_searchable(
        self, with_ses, builders, edit_se, rw_se
    ):
        record = rw_se.upload(b"archived bytes", original_filename="архив_договоров.txt",
                             retention_policy="permanent")
        await with_ses.wait_for_file(record["file_id"])
        await with_ses.set_discovery(
            builders.se("edit", api_url=edit_se.url, id=edit_se.id),
            builders.se("ar", api_url="http://127.0.0.1:9", id=rw_se.id),
        )
        response = await download(with_ses, record["file_id"])
        assert response.status_code == 409
        assert response.json()["error"]["code"] == "FILE_ARCHIVED"
        hits = (await with_ses.search(q="договор")).json()["items"]
        assert record["file_id"] in [h["file_id"] for h in hits]
        meta = (await with_ses.client.get(f"/api/v1/files/{record['file_id']}",
                                          headers=with_ses.headers())).json()
        assert meta["storage_element_mode"] == "ar"

    async def test_se_unreachable_503(self, with_ses, builders, edit_se):
        record = edit_se.upload(b"unreachable")
        await with_ses.wait_for_file(record["file_id"])
        await with_ses.set_discovery(builders.se("edit", api_url="http://127.0.0.1:9",
                                                 id=edit_se.id))
        response = await download(with_ses, record["file_id"])
        assert response.status_code == 503
        assert response.json()["error"]["code"] == "STORAGE_ELEMENT_UNAVAILABLE"
        assert "127.0.0.1:9" not in response.text

    async def test_catalog_drift_answers_404_and_shows_in_readiness(
        self, with_ses, builders, edit_se
    ):
        ghost = builders.attrs(original_filename="ghost.bin")
        await with_ses.ingest(builders.event(ghost, edit_se.id))  # the SE never had it
        response = await download(with_ses, ghost.file_id)
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "FILE_NOT_FOUND"
        ready = (await with_ses.client.get("/health/ready")).json()
        assert ready["checks"]["catalog"]["detail"]["drift_detected"] == 1

    async def test_deleted_file_404(self, with_ses, edit_se):
        record = edit_se.upload(b"to delete")
        await with_ses.wait_for_file(record["file_id"])
        deleted = httpx.delete(f"{edit_se.url}/api/v1/files/{record['file_id']}",
                               headers=edit_se.tokens.headers("ADMIN"))
        assert deleted.status_code == 204
        for _ in range(300):
            await with_ses.drain()
            response = await with_ses.client.get(f"/api/v1/files/{record['file_id']}",
                                                 headers=with_ses.headers())
            if response.status_code == 404:
                break
            import asyncio

            await asyncio.sleep(0.1)
        assert response.json()["error"]["code"] == "FILE_NOT_FOUND"
