"""The disposition index fed by the SEs' file events: a classed sidecar in
``artstore:file-events`` becomes a candidate without any call to the admin module, ``retain_until``
only moves later whatever order the copies' events come in, and the schedules the ingester
needs are published in Redis."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime

import pytest

from admin_module.disposition import events
from artstore_common.contracts import (
    FILE_EVENTS_STREAM,
    RETENTION_SCHEDULES_KEY,
    FileAttributes,
    FileEvent,
    Uploader,
)

pytestmark = pytest.mark.integration


def _event(file_id: uuid.UUID, kind: str = "file.created", **attrs) -> str:
    now = datetime.now(UTC)
    sidecar = FileAttributes(
        file_id=file_id, original_filename=attrs.pop("name", "ledger.txt"),
        storage_filename=f"{file_id}.bin", size=7, content_type="text/plain", sha256="0" * 64,
        created_at=now, updated_at=now, uploaded_by=Uploader(id="u", name="u"),
        retention_policy="permanent", **attrs)
    return FileEvent(event_id=uuid.uuid4(), type=kind, file_id=file_id,
                     storage_element_id=uuid.uuid4(), occurred_at=now,
                     attributes=sidecar).model_dump_json()


async def test_classed_file_events_fill_the_disposition_index(admin):
    redis, sessionmaker = admin.app.state.redis, admin.app.state.sessionmaker
    rm = await admin.headers("RECORDS_MANAGER")
    name = f"ledger-{uuid.uuid4().hex[:6]}"
    r = await admin.client.post("/api/v1/retention-schedules", headers=rm, json={
        "name": name, "period_days": 1, "trigger": "upload", "action": "destroy"})
    assert r.status_code == 201, r.text
    published = json.loads(await redis.hget(RETENTION_SCHEDULES_KEY, name))
    assert published == {"name": name, "period_days": 1, "trigger": "upload",
                         "date_field": None, "action": "destroy"}

    due, unclassed, event_class = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    later = datetime(2016, 1, 1, tzinfo=UTC)
    for data in (
        _event(due, retention_class=name, retain_until=later, name="Отчёт.txt"),
        # The second copy's event arrives late with an older sidecar: the date stays.
        _event(due, retention_class=name, retain_until=datetime(2015, 1, 1, tzinfo=UTC)),
        _event(unclassed, retain_until=datetime(2015, 1, 1, tzinfo=UTC)),
        _event(event_class, retention_class=name),  # no date until its event is recorded
        json.dumps({"type": "file.created", "file_id": "not-a-uuid"}),
    ):
        await redis.xadd(FILE_EVENTS_STREAM, {"data": data})
    await events.drain(redis, sessionmaker, FILE_EVENTS_STREAM)

    async def listed() -> dict[str, dict]:
        r = await admin.client.get("/api/v1/disposition/candidates",
                                   params={"limit": 1000}, headers=rm)
        assert r.status_code == 200, r.text
        return {c["file_id"]: c for c in r.json()["items"]}

    candidates = await listed()
    assert candidates[str(due)]["retention_class"] == name
    assert candidates[str(due)]["original_filename"] == "Отчёт.txt"
    assert datetime.fromisoformat(candidates[str(due)]["retain_until"]) == later
    assert str(unclassed) not in candidates and str(event_class) not in candidates

    # Everything read is acknowledged, the unreadable entry too (the app's own drain may be
    # holding a batch for a moment).
    for _ in range(150):
        pending = await redis.xpending(FILE_EVENTS_STREAM, events.GROUP)
        if not pending["pending"]:
            break
        await asyncio.sleep(0.2)
    assert not pending["pending"]
