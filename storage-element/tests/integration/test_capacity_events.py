"""Capacity (507 before the body, reservations) and the outbox relay to Redis."""

from __future__ import annotations

import asyncio
import json
import uuid

import pytest
from se_test_helpers import assert_error, attrs_header, put
from sqlalchemy import text

pytestmark = pytest.mark.integration


class TestCapacity:
    async def test_507_before_reading_the_body(self, make_se, auth):
        se = await make_se(SE_CAPACITY_BYTES=10_000)
        consumed = []

        async def body():
            consumed.append(True)
            yield b"x" * 20_000

        r = await se.client.put(f"/api/v1/files/{uuid.uuid4()}", content=body(), headers={
            **auth(), "X-ArtStore-Attributes": attrs_header(),
            "X-ArtStore-Declared-Size": "20000"})
        assert_error(r, 507, "INSUFFICIENT_STORAGE")
        assert not consumed
        assert se.storage_objects() == []

    async def test_concurrent_uploads_cannot_overfill(self, make_se, auth):
        se = await make_se(SE_CAPACITY_BYTES=10_000)
        release = asyncio.Event()
        started = asyncio.Event()

        async def slow_body():
            yield b"a" * 1000
            started.set()
            await release.wait()
            yield b"a" * 5000

        first = asyncio.create_task(se.client.put(
            f"/api/v1/files/{uuid.uuid4()}", content=slow_body(), headers={
                **auth(), "X-ArtStore-Attributes": attrs_header(),
                "X-ArtStore-Declared-Size": "6000"}))
        await started.wait()
        info = (await se.client.get("/api/v1/info", headers=auth())).json()
        assert info["in_flight_uploads"] == 1 and info["reserved_bytes"] == 6000
        assert_error(await put(se.client, auth(), b"b" * 6000), 507, "INSUFFICIENT_STORAGE")
        release.set()
        assert (await first).status_code == 201
        assert (await put(se.client, auth(), b"c" * 4000)).status_code == 201
        assert_error(await put(se.client, auth(), b"d"), 507, "INSUFFICIENT_STORAGE")
        info = (await se.client.get("/api/v1/info", headers=auth())).json()
        assert info["used_bytes"] == 10_000 and info["file_count"] == 2
        assert info["in_flight_uploads"] == 0 and info["reserved_bytes"] == 0

    async def test_delete_frees_capacity(self, make_se, auth):
        se = await make_se(SE_CAPACITY_BYTES=5000)
        meta = (await put(se.client, auth(), b"x" * 5000)).json()
        assert_error(await put(se.client, auth(), b"y"), 507)
        await se.client.delete(f"/api/v1/files/{meta['file_id']}", headers=auth())
        assert (await put(se.client, auth(), b"y" * 5000)).status_code == 201


async def stream_events(redis_client, stream: str, se_id: str) -> list[dict]:
    entries = await asyncio.to_thread(redis_client.xrange, stream)
    events = [json.loads(fields[b"data"]) for _id, fields in entries]
    return [e for e in events if e["storage_element_id"] == se_id]


async def wait_for_events(redis_client, stream, se_id, count) -> list[dict]:
    for _ in range(200):
        events = await stream_events(redis_client, stream, se_id)
        if len(events) >= count:
            return events
        await asyncio.sleep(0.05)
    return await stream_events(redis_client, stream, se_id)


class TestEvents:
    async def test_created_updated_deleted_events(self, make_se, auth, redis_client):
        stream = f"artstore:file-events:test-{uuid.uuid4().hex[:8]}"
        se = await make_se(SE_EVENTS_STREAM=stream)
        meta = (await put(se.client, auth(), b"x" * 10, description="один")).json()
        url = f"/api/v1/files/{meta['file_id']}"
        await se.client.patch(url, headers=auth(), json={"description": "два"})
        await se.client.delete(url, headers=auth())
        events = await wait_for_events(redis_client, stream, str(se.ctx.se_id), 3)
        assert [e["type"] for e in events] == ["file.created", "file.updated", "file.deleted"]
        assert {e["file_id"] for e in events} == {meta["file_id"]}
        assert events[0]["attributes"]["description"] == "один"
        assert events[1]["attributes"]["description"] == "два"
        assert len({e["event_id"] for e in events}) == 3

    async def test_events_wait_in_the_outbox_while_redis_is_down(
        self, make_se, auth, redis_client, se_redis_url
    ):
        stream = f"artstore:file-events:test-{uuid.uuid4().hex[:8]}"
        dead = "redis://127.0.0.1:1/0"
        se = await make_se(SE_EVENTS_STREAM=stream, REDIS_URL=dead)
        metas = [(await put(se.client, auth(), b"x")).json() for _ in range(3)]
        await asyncio.sleep(0.5)
        async with se.ctx.sessionmaker() as session:
            backlog = (await session.execute(
                text("SELECT count(*) FROM outbox WHERE sent_at IS NULL"))).scalar_one()
        assert backlog == 3
        ready = (await se.client.get("/health/ready")).json()
        assert ready["status"] == "degraded" and ready["checks"]["redis"]["status"] == "degraded"
        # the same volume and database, now with Redis reachable: the backlog drains
        again = await make_se(SE_EVENTS_STREAM=stream, REDIS_URL=se_redis_url)
        events = await wait_for_events(redis_client, stream, str(again.ctx.se_id), 3)
        assert sorted(e["file_id"] for e in events) == sorted(m["file_id"] for m in metas)
