"""Read-after-write: a file a real SE answered 201 for is readable by id through the query
module at once. The event consumer is not running here (the harness steps it by hand), so the
catalog cannot have learned of the file from the stream: without the SE lookup on a catalog
miss every read below would be a 404."""

from __future__ import annotations

import asyncio
import hashlib
import os
import uuid

import httpx
import pytest
from prometheus_client import REGISTRY

from query_module.config import Settings

pytestmark = pytest.mark.e2e


@pytest.fixture()
def query_settings(se_query_settings) -> Settings:
    return se_query_settings.model_copy(update={
        "CONSUMER_ENABLED": False,
        "CATALOG_MISS_NEGATIVE_TTL_SECONDS": 3600.0,  # forgotten only through a notice
    })


def misses(result: str) -> float:
    return REGISTRY.get_sample_value("artstore_query_catalog_miss_total",
                                     {"result": result}) or 0.0


async def get(harness, path: str, role: str = "READONLY") -> httpx.Response:
    return await harness.client.get(path, headers=harness.headers(role))


async def test_upload_then_metadata_and_download_at_once(with_ses, rw_se):
    body = os.urandom(200_000)
    record = rw_se.upload(body, original_filename="Акт сверки.pdf", tags=["raw"],
                          retention_policy="permanent")
    file_id = record["file_id"]
    found = misses("found")

    meta = await get(with_ses, f"/api/v1/files/{file_id}")
    assert meta.status_code == 200, meta.text
    got = meta.json()
    assert (got["sha256"], got["size"], got["original_filename"], got["tags"]) == (
        hashlib.sha256(body).hexdigest(), len(body), "Акт сверки.pdf", ["raw"])
    assert got["storage_element_id"] == str(rw_se.id)
    assert got["storage_element_mode"] == "rw"
    assert [c["storage_element_id"] for c in got["copies"]] == [str(rw_se.id)]
    download = await get(with_ses, f"/api/v1/files/{file_id}/download")
    assert download.status_code == 200
    assert download.content == body
    assert misses("found") == found + 1  # the download was served from the repaired row

    # The event arrives later and changes nothing a client sees: an idempotent replay.
    assert await with_ses.drain() >= 1
    after = await get(with_ses, f"/api/v1/files/{file_id}")
    assert after.status_code == 200
    assert {k: v for k, v in after.json().items() if k != "text_extraction"} == {
        k: v for k, v in got.items() if k != "text_extraction"}


async def test_download_first_works_too(with_ses, edit_se):
    body = b"download before any metadata read" * 100
    record = edit_se.upload(body)
    download = await get(with_ses, f"/api/v1/files/{record['file_id']}/download")
    assert download.status_code == 200
    assert download.content == body


async def test_unknown_id_is_404_and_remembered(with_ses):
    file_id = uuid.uuid4()
    not_found, remembered = misses("not_found"), misses("known_unknown")
    for path in (f"/api/v1/files/{file_id}", f"/api/v1/files/{file_id}/download"):
        response = await get(with_ses, path)
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "FILE_NOT_FOUND"
        assert set(response.json()) == {"error"}
    assert misses("not_found") == not_found + 1  # the SEs were asked once
    assert misses("known_unknown") == remembered + 1


async def test_a_storm_of_one_unknown_id_asks_the_ses_once(with_ses):
    file_id = uuid.uuid4()
    before = misses("not_found")
    answers = await asyncio.gather(*(get(with_ses, f"/api/v1/files/{file_id}")
                                     for _ in range(25)))
    assert {a.status_code for a in answers} == {404}
    assert misses("not_found") == before + 1


async def test_an_event_forgets_that_an_id_was_unknown(with_ses, edit_se):
    file_id = uuid.uuid4()
    assert (await get(with_ses, f"/api/v1/files/{file_id}")).status_code == 404
    edit_se.upload(b"late arrival", file_id=file_id)
    assert (await get(with_ses, f"/api/v1/files/{file_id}")).status_code == 404  # remembered
    await with_ses.drain()  # the event's notice drops the remembered miss
    assert (await get(with_ses, f"/api/v1/files/{file_id}")).status_code == 200


async def test_deleted_files_stay_gone(with_ses, edit_se):
    def delete(file_id: str) -> None:
        response = httpx.delete(f"{edit_se.url}/api/v1/files/{file_id}",
                                headers=edit_se.tokens.headers("ADMIN"), timeout=30)
        assert response.status_code == 204, response.text

    gone_before_read = edit_se.upload(b"short-lived")["file_id"]
    delete(gone_before_read)
    read_then_gone = edit_se.upload(b"read, then deleted")["file_id"]
    assert (await get(with_ses, f"/api/v1/files/{read_then_gone}")).status_code == 200
    delete(read_then_gone)
    await with_ses.drain()  # the catalog row now says deleted: no SE is asked again
    for file_id in (gone_before_read, read_then_gone):
        for path in (f"/api/v1/files/{file_id}", f"/api/v1/files/{file_id}/download"):
            response = await get(with_ses, path)
            assert response.status_code == 404
            assert response.json()["error"]["code"] == "FILE_NOT_FOUND"


async def test_scopes_are_checked_before_any_se_is_asked(with_ses, rw_se):
    record = rw_se.upload(b"secret", retention_policy="permanent")
    before = sum(misses(r) for r in ("found", "not_found", "unavailable", "known_unknown"))
    for path in (f"/api/v1/files/{record['file_id']}",
                 f"/api/v1/files/{record['file_id']}/download"):
        assert (await get(with_ses, path, role="UNKNOWN")).status_code == 403
        assert (await with_ses.client.get(path)).status_code == 401
    assert sum(misses(r) for r in ("found", "not_found", "unavailable",
                                   "known_unknown")) == before
