"""AccessTrail against a real Redis that the test stops: noting never fails, events wait in
memory (bounded, the overflow counted) and reach the stream once Redis is back."""

from __future__ import annotations

import asyncio
import uuid

import redis
from prometheus_client import REGISTRY

from artstore_common.access import AccessTrail
from artstore_common.auth import Principal
from artstore_common.contracts import ACCESS_EVENTS_STREAM, AccessEvent


def dropped() -> float:
    return REGISTRY.get_sample_value("artstore_access_events_dropped_total") or 0.0


def test_events_wait_while_redis_is_away_and_overflow_is_counted(private_redis):
    principal = Principal(subject="acct-1", role="USER", scopes=frozenset({"files:read"}),
                          principal_type="service_account",
                          name="reports-app")
    files = [uuid.uuid4() for _ in range(5)]

    async def scenario() -> tuple[int, int, int]:
        trail = AccessTrail(private_redis.url, "query-module", max_pending=3)
        try:
            private_redis.stop()
            before = dropped()
            for file_id in files:
                trail.note("file.downloaded", file_id, principal, "10.0.0.7", {"range": "x"})
            lost = dropped() - before
            sent_while_away = await trail.flush()
            private_redis.start()
            return int(lost), sent_while_away, await trail.flush()
        finally:
            await trail.aclose()

    lost, sent_while_away, sent_later = asyncio.run(scenario())
    assert (lost, sent_while_away, sent_later) == (2, 0, 3)
    with redis.Redis.from_url(private_redis.url) as client:
        entries = client.xrange(ACCESS_EVENTS_STREAM)
    events = [AccessEvent.model_validate_json(fields[b"data"]) for _, fields in entries]
    assert [e.file_id for e in events] == files[2:]  # the oldest were dropped
    assert {(e.action, e.subject, e.name, e.source, e.service) for e in events} == {
        ("file.downloaded", "acct-1", "reports-app", "10.0.0.7", "query-module")}
