"""The access trail's receiving side: events in ``artstore:access-events`` become audit entries
(one each, acknowledged after the commit) and a file's history lists them by when they
happened."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from admin_module.audit import access
from admin_module.audit.refusals import GROUP
from artstore_common.contracts import ACCESS_EVENTS_STREAM, AccessEvent

pytestmark = pytest.mark.integration


async def test_events_become_a_files_history_in_the_order_they_happened(admin):
    redis = admin.app.state.redis
    file_id = uuid.uuid4()
    t0 = datetime.now(UTC) - timedelta(minutes=5)

    def event(action: str, seconds: int, service: str) -> str:
        return AccessEvent(action=action, file_id=file_id, subject="acct-7", name="billing",
                           source="10.1.2.3", service=service,
                           occurred_at=t0 + timedelta(seconds=seconds),
                           details={"range": "bytes=0-9"} if action == "file.downloaded"
                           else {}).model_dump_json()

    # The query module's report arrives before the ingester's upload.
    ids = [await redis.xadd(ACCESS_EVENTS_STREAM, {"data": data}) for data in (
        event("file.metadata_read", 2, "query-module"),
        event("file.downloaded", 3, "query-module"),
        json.dumps({"action": "file.opened", "file_id": "not-a-uuid"}),
        event("file.uploaded", 1, "ingester-module"),
    )]
    await access.drain(redis, admin.app.state.sessionmaker)

    async def unacknowledged() -> set:
        pending = await redis.xpending_range(ACCESS_EVENTS_STREAM, GROUP, min="-", max="+",
                                             count=1000)
        return {p["message_id"] for p in pending} & set(ids)

    # The app's own periodic drain may hold some of them in its batch for a moment.
    for _ in range(150):
        if not await unacknowledged():
            break
        await asyncio.sleep(0.2)
    assert not await unacknowledged()  # all acknowledged, the unreadable one too
    r = await admin.client.get(f"/api/v1/files/{file_id}/history",
                               headers=await admin.headers("AUDITOR"))
    assert r.status_code == 200, r.text
    items = r.json()["items"]
    assert [e["action"] for e in items] == [
        "file.uploaded", "file.metadata_read", "file.downloaded"]
    assert {(e["actor"], e["resource_type"], e["resource_id"], e["outcome"]) for e in items} == {
        ("billing", "file", str(file_id), "success")}
    assert items[2]["details"]["range"] == "bytes=0-9"
    assert {(e["details"]["subject"], e["details"]["source"]) for e in items} == {
        ("acct-7", "10.1.2.3")}
    assert items[0]["details"]["service"] == "ingester-module"

    r = await admin.client.get(f"/api/v1/files/{file_id}/history",
                               headers=await admin.headers("READONLY"))
    assert r.status_code == 403
    r = await admin.client.get("/api/v1/audit/verify", headers=await admin.headers("AUDITOR"))
    assert r.json()["valid"] is True
