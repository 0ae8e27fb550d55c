"""Previews through the query module: a file's extracted text (``/text``) and image thumbnails
(``/thumbnail``), from files stored on a real storage-element process, the catalog fed by its
outbox and the text indexer extracting them in its sandboxed children."""

from __future__ import annotations

import asyncio
import io
import uuid

import pytest
from document_samples import docx
from PIL import Image

from query_module.config import Settings

pytestmark = pytest.mark.e2e

BODY = ["Протокол совещания по закупкам", "Решили: утвердить график поставок на квартал."]


@pytest.fixture()
def query_settings(se_query_settings) -> Settings:
    return se_query_settings.model_copy(update={
        "TEXT_POLL_SECONDS": 0.2, "TEXT_TIMEOUT_SECONDS": 60.0, "TEXT_MEMORY_MB": 768,
        "THUMBNAIL_MAX_SOURCE_BYTES": 4 * 1024 * 1024,
    })


@pytest.fixture()
async def with_se(harness, builders, edit_se):
    await harness.set_discovery(builders.se("edit", api_url=edit_se.url, id=edit_se.id))
    return harness


async def settled(harness, file_id) -> dict:
    await harness.wait_for_file(file_id)
    for _ in range(1200):
        await harness.drain()
        meta = (await harness.client.get(f"/api/v1/files/{file_id}",
                                         headers=harness.headers())).json()
        if meta["text_extraction"]["state"] != "pending":
            return meta
        await asyncio.sleep(0.1)
    raise AssertionError(f"text of {file_id} never extracted")


def png(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(out, "PNG")
    return out.getvalue()


class TestFileText:
    async def test_text_of_a_docx_with_its_state_and_a_cut(self, with_se, edit_se):
        harness = with_se
        stored = edit_se.upload(docx(BODY), original_filename="protocol.docx",
                                content_type="application/vnd.openxmlformats-officedocument."
                                             "wordprocessingml.document")
        await settled(harness, stored["file_id"])
        url = f"/api/v1/files/{stored['file_id']}/text"
        response = await harness.client.get(url, headers=harness.headers())
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["text_extraction"] == {"state": "done", "reason": None}
        assert "график поставок" in body["content"] and body["truncated"] is False
        assert body["length"] == len(body["content"]) and body["method"]

        cut = (await harness.client.get(url, params={"max_chars": 8},
                                        headers=harness.headers())).json()
        assert cut["content"] == body["content"][:8] and cut["truncated"] is True
        assert cut["length"] == body["length"]

        assert (await harness.client.get(url)).status_code == 401
        refused = await harness.client.get(url, headers=harness.headers("UNKNOWN"))
        assert refused.status_code == 403
        bad = await harness.client.get(url, params={"max_chars": 0}, headers=harness.headers())
        assert bad.status_code == 422 and bad.json()["error"]["code"] == "VALIDATION_ERROR"

    async def test_no_text_is_a_404_naming_the_state(self, with_se, edit_se):
        harness = with_se
        stored = edit_se.upload(b"PK\x03\x04 not really", original_filename="bundle.zip",
                                content_type="application/zip")
        meta = await settled(harness, stored["file_id"])
        assert meta["text_extraction"]["state"] == "skipped"
        response = await harness.client.get(f"/api/v1/files/{stored['file_id']}/text",
                                            headers=harness.headers())
        assert response.status_code == 404
        error = response.json()["error"]
        assert error["code"] == "NO_TEXT" and error["details"]["state"] == "skipped"
        assert "application/zip" in error["details"]["reason"]

        missing = await harness.client.get(f"/api/v1/files/{uuid.uuid4()}/text",
                                           headers=harness.headers())
        assert missing.status_code == 404
        assert missing.json()["error"]["code"] == "FILE_NOT_FOUND"


    async def test_pending_text_is_a_409(self, with_se, edit_se):
        harness = with_se
        harness.app.state.text_indexer.stop()
        await asyncio.sleep(1)  # its loop has left its last round (polls every 0.2 s)
        stored = edit_se.upload(b"plain words", original_filename="note.txt",
                                content_type="text/plain")
        await harness.wait_for_file(stored["file_id"])
        response = await harness.client.get(f"/api/v1/files/{stored['file_id']}/text",
                                            headers=harness.headers())
        assert response.status_code == 409
        assert response.json()["error"]["code"] == "TEXT_PENDING"
        assert response.json()["error"]["details"]["state"] == "pending"


class TestThumbnails:
    async def test_a_large_image_becomes_a_small_cached_jpeg(self, with_se, edit_se):
        harness = with_se
        source = png(3000, 1500)
        stored = edit_se.upload(source, original_filename="scan.png", content_type="image/png")
        await harness.wait_for_file(stored["file_id"])
        url = f"/api/v1/files/{stored['file_id']}/thumbnail"
        response = await harness.client.get(url, params={"size": 200},
                                            headers=harness.headers())
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == "image/jpeg"
        thumb = Image.open(io.BytesIO(response.content))
        assert thumb.format == "JPEG" and thumb.size == (200, 100)
        assert len(response.content) < len(source) / 10

        # Made once: the second answer comes from Redis even with the SE gone from discovery.
        await harness.set_discovery()
        again = await harness.client.get(url, params={"size": 200}, headers=harness.headers())
        assert again.status_code == 200 and again.content == response.content
        etag = again.headers["etag"]
        same = await harness.client.get(url, params={"size": 200},
                                        headers={**harness.headers(), "if-none-match": etag})
        assert same.status_code == 304

        too_big = await harness.client.get(url, params={"size": 4096},
                                           headers=harness.headers())
        assert too_big.status_code == 422
        refused = await harness.client.get(url, headers=harness.headers("UNKNOWN"))
        assert refused.status_code == 403

    async def test_what_cannot_have_a_thumbnail_is_a_409(self, with_se, edit_se):
        harness = with_se
        text = edit_se.upload(b"hello", original_filename="a.txt", content_type="text/plain")
        broken = edit_se.upload(b"\x89PNG\r\n\x1a\n garbage", original_filename="b.png",
                                content_type="image/png")
        large = edit_se.upload(png(1, 1) + b"\0" * (5 * 1024 * 1024),
                               original_filename="c.png", content_type="image/png")
        for stored, reason in ((text, "not an image"), (broken, "not a readable image"),
                               (large, "larger than")):
            await harness.wait_for_file(stored["file_id"])
            response = await harness.client.get(f"/api/v1/files/{stored['file_id']}/thumbnail",
                                                headers=harness.headers())
            assert response.status_code == 409, response.text
            error = response.json()["error"]
            assert error["code"] == "NO_THUMBNAIL" and reason in error["details"]["reason"]
