"""POST /api/v1/admin/reindex rebuilds the catalog from a real SE's listing."""

from __future__ import annotations

import os
import uuid

import pytest
import redis

from artstore_common.contracts import stream_overtaken_key, stream_trim_lock_key
from query_module.config import Settings

pytestmark = pytest.mark.e2e


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




class TestOvertakenRecovery:
    """A stream trim overtook the group: events are lost, the catalog re-indexes from the SEs."""

    async def overtake(self, harness, builders, events: int) -> None:
        from storage_element.stream_trim import StreamTrimmer

        await harness.consumer.ensure_group()
        for _ in range(events):
            await harness.publish(builders.event(builders.attrs(), uuid.uuid4()))
        client = redis.Redis.from_url(harness.settings.REDIS_URL)
        try:  # the SEs' own trimmer, with a bound of one entry
            client.delete(stream_trim_lock_key(harness.settings.FILE_EVENTS_STREAM))
            result = StreamTrimmer(client, harness.settings.FILE_EVENTS_STREAM, 0, 1, 1.0).trim()
        finally:
            client.close()
        assert result.overtaken == [harness.settings.CONSUMER_GROUP]

    async def test_overtaken_group_reindexes_and_clears_the_mark(
        self, harness, builders, edit_se
    ):
        records = [edit_se.upload(os.urandom(50), original_filename=f"lost-{i}.txt")
                   for i in range(3)]
        await harness.set_discovery(builders.se("edit", api_url=edit_se.url, id=edit_se.id))
        await self.overtake(harness, builders, events=5)
        recovery = harness.app.state.stream_recovery
        key = stream_overtaken_key(harness.settings.FILE_EVENTS_STREAM)

        await recovery.check_once()  # sees the mark, starts a re-index
        ready = (await harness.client.get("/health/ready")).json()["checks"]["index_lag"]
        assert ready["status"] == "degraded" and ready["detail"]["overtaken"]["reindex_run_id"]
        await harness.app.state.reindexer.wait()
        assert await harness.redis.hget(key, harness.settings.CONSUMER_GROUP) is not None
        await recovery.check_once()  # the run completed: the mark goes

        assert await harness.redis.hget(key, harness.settings.CONSUMER_GROUP) is None
        ready = (await harness.client.get("/health/ready")).json()["checks"]["index_lag"]
        assert ready["detail"]["overtaken"] is None
        for record in records:
            meta = await harness.client.get(f"/api/v1/files/{record['file_id']}",
                                            headers=harness.headers())
            assert meta.status_code == 200
        metrics = (await harness.client.get("/metrics")).text
        assert "artstore_query_stream_overtaken 0.0" in metrics

    async def test_a_new_overtake_during_the_run_needs_another_run(
        self, harness, builders, edit_se
    ):
        await harness.set_discovery(builders.se("edit", api_url=edit_se.url, id=edit_se.id))
        await self.overtake(harness, builders, events=3)
        recovery = harness.app.state.stream_recovery
        await recovery.check_once()
        first_run = recovery.overtaken.run_id
        await harness.app.state.reindexer.wait()
        await self.overtake(harness, builders, events=3)  # trimmed again meanwhile
        await recovery.check_once()
        await harness.app.state.reindexer.wait()
        await recovery.check_once()
        assert recovery.overtaken is None
        status = await harness.app.state.reindexer.status()
        assert status["run_id"] != first_run and status["status"] == "completed"

    async def test_group_created_on_a_trimmed_stream_is_overtaken_from_birth(self, harness):
        stream = harness.settings.FILE_EVENTS_STREAM
        for i in range(3):
            await harness.redis.xadd(stream, {"data": str(i)})
        await harness.redis.xtrim(stream, maxlen=1, approximate=False)
        await harness.consumer.ensure_group()
        key = stream_overtaken_key(stream)
        assert await harness.redis.hget(key, harness.settings.CONSUMER_GROUP) is not None
        await harness.redis.delete(key)


class TestRecordsGovernance:
    async def test_rebuilt_catalog_keeps_holds_and_retain_until(self, harness, builders,
                                                                edit_se):
        hold = str(uuid.uuid4())
        held = edit_se.upload(b"held record", internal=True, original_filename="held.txt",
                              legal_holds=[hold], retain_until="2031-03-01T00:00:00+00:00",
                              retention_class="ledger-5y")
        free = edit_se.upload(b"free record", original_filename="free.txt")
        await harness.set_discovery(builders.se("edit", api_url=edit_se.url, id=edit_se.id))
        summary = await run_reindex(harness)
        assert summary["status"] == "completed"

        meta = (await harness.client.get(f"/api/v1/files/{held['file_id']}",
                                         headers=harness.headers())).json()
        assert meta["legal_holds"] == [hold]
        assert meta["retain_until"].startswith("2031-03-01T00:00:00")
        assert meta["retention_class"] == "ledger-5y"
        classed = (await harness.search(retention_class="ledger-5y", facets="true",
                                        limit=100)).json()
        assert [h["file_id"] for h in classed["items"]] == [held["file_id"]]
        assert classed["facets"]["retention_class"] == [{"value": "ledger-5y", "count": 1}]
        everything = (await harness.search(facets="true", limit=100)).json()
        assert everything["facets"]["retention_class"] == [{"value": "ledger-5y", "count": 1}]
        assert not (await harness.search(retention_class="other", limit=100)).json()["items"]
        on_hold = (await harness.search(on_hold="true", limit=100)).json()["items"]
        assert held["file_id"] in {h["file_id"] for h in on_hold}
        assert free["file_id"] not in {h["file_id"] for h in on_hold}
        under = (await harness.search(legal_hold=hold, limit=100)).json()["items"]
        assert [h["file_id"] for h in under] == [held["file_id"]]
        assert not (await harness.search(legal_hold=str(uuid.uuid4()), limit=100)).json()["items"]
        not_held = (await harness.search(on_hold="false", limit=100)).json()["items"]
        assert free["file_id"] in {h["file_id"] for h in not_held}
        kept = (await harness.search(retain_until_from="2031-01-01T00:00:00Z",
                                     limit=100)).json()["items"]
        assert [h["file_id"] for h in kept] == [held["file_id"]]
        bad = await harness.search(retain_until_from="2032-01-01T00:00:00Z",
                                   retain_until_to="2031-01-01T00:00:00Z")
        assert bad.status_code == 422

