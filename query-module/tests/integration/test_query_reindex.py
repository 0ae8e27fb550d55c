"""POST /api/v1/admin/reindex rebuilds the catalog from a real SE's listing."""

from __future__ import annotations

import os

import pytest

from query_module.config import Settings

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def edit_se(start_se):
    return start_se("edit")


@pytest.fixture()
def query_settings(query_settings, token_endpoint) -> Settings:
    # The catalog learns nothing from the stream here: only the re-index fills it.
    return query_settings.model_copy(update={
        "ADMIN_URL": token_endpoint,
        "QUERY_CLIENT_ID": "query-test",
        "QUERY_CLIENT_SECRET": "s3cret",
        "REINDEX_PAGE_SIZE": 2,
    })


async def run_reindex(harness) -> dict:
    admin = harness.headers("ADMIN")
    started = await harness.client.post("/api/v1/admin/reindex", headers=admin)
    assert started.status_code == 202, started.text
    await harness.app.state.reindexer.wait()
    status = await harness.client.get("/api/v1/admin/reindex/status", headers=admin)
    assert status.status_code == 200
    return status.json()


class TestReindex:
    async def test_rebuilds_catalog_and_sweeps_vanished_rows(self, harness, builders, edit_se):
        records = [edit_se.upload(os.urandom(100), original_filename=f"отчёт-{i}.txt")
                   for i in range(5)]
        ghost = builders.attrs(original_filename="ghost.txt")
        await harness.ingest(builders.event(ghost, edit_se.id))  # the SE never had it
        await harness.set_discovery(builders.se("edit", api_url=edit_se.url, id=edit_se.id))

        summary = await run_reindex(harness)

        assert summary["status"] == "completed"
        (progress,) = summary["storage_elements"]
        assert progress["done"] and progress["removed"] == 1
        assert progress["pages"] >= 3  # page size 2
        found = (await harness.search(q="отчёты", limit=100)).json()["items"]
        assert {r["file_id"] for r in records} <= {h["file_id"] for h in found}
        ghost_meta = await harness.client.get(f"/api/v1/files/{ghost.file_id}",
                                              headers=harness.headers())
        assert ghost_meta.status_code == 404

    async def test_second_run_changes_nothing(self, harness, builders, edit_se):
        edit_se.upload(b"stable", original_filename="stable.txt")
        await harness.set_discovery(builders.se("edit", api_url=edit_se.url, id=edit_se.id))
        first = await run_reindex(harness)
        second = await run_reindex(harness)
        assert first["run_id"] != second["run_id"]
        assert second["totals"]["upserted"] == 0
        assert second["totals"]["removed"] == 0

    async def test_unreachable_se_leaves_run_partial_and_resumable(
        self, harness, builders, edit_se
    ):
        dead = builders.se("rw", api_url="http://127.0.0.1:9")
        await harness.set_discovery(builders.se("edit", api_url=edit_se.url, id=edit_se.id), dead)
        first = await run_reindex(harness)
        assert first["status"] == "partial"
        failed = [p for p in first["storage_elements"] if p["error"]]
        assert [p["storage_element_id"] for p in failed] == [str(dead.id)]
        # The SE comes back out of discovery: the next POST resumes the same run.
        await harness.set_discovery(builders.se("edit", api_url=edit_se.url, id=edit_se.id))
        resumed = await run_reindex(harness)
        assert resumed["run_id"] == first["run_id"]
        assert resumed["status"] == "completed"

    async def test_requires_storage_admin(self, harness):
        response = await harness.client.post("/api/v1/admin/reindex",
                                             headers=harness.headers("READONLY"))
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "INSUFFICIENT_SCOPE"

    async def test_status_before_any_run(self, harness):
        response = await harness.client.get("/api/v1/admin/reindex/status",
                                            headers=harness.headers("ADMIN"))
        assert response.json()["status"] == "never_run"


