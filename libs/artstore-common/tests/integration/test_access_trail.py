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


def test_a_viewers_range_reads_become_one_entry_with_their_count(private_redis):
    """pdf.js reads a document in many ranges: one entry per file, account and address while
    the reads follow each other; a full download, another account or a later series apart."""
    reader = Principal(subject="acct-2", role="USER", scopes=frozenset({"files:read"}),
                       principal_type="service_account", name="viewer")
    other = Principal(subject="acct-3", role="USER", scopes=frozenset({"files:read"}),
                      principal_type="service_account", name="other")
    pdf, second = uuid.uuid4(), uuid.uuid4()

    async def scenario() -> None:
        trail = AccessTrail(private_redis.url, "query-module", interval=0.05,
                            range_gap_seconds=0.5)
        trail.start()
        try:
            for n in range(12):
                trail.note_range(pdf, reader, "10.0.0.8", f"bytes={n * 65536}-{n * 65536 + 65535}")
            trail.note_range(pdf, other, "10.0.0.8", "bytes=0-99")
            trail.note_range(second, reader, "10.0.0.8", "bytes=0-99")
            trail.note("file.downloaded", pdf, reader, "10.0.0.8")  # a whole download
            await asyncio.sleep(1.5)  # every series is quiet: queued and sent
            trail.note_range(pdf, reader, "10.0.0.8", "bytes=0-1023")  # opened again
            trail.note_range(pdf, reader, "10.0.0.8", "bytes=1024-2047")
        finally:
            await trail.aclose()  # a clean stop sends the open series

    asyncio.run(scenario())
    with redis.Redis.from_url(private_redis.url) as client:
        events = [AccessEvent.model_validate_json(fields[b"data"])
                  for _, fields in client.xrange(ACCESS_EVENTS_STREAM)]
    seen = sorted((e.file_id == pdf, e.subject, e.details.get("ranges", 0),
                   e.details.get("range", "")) for e in events)
    assert seen == sorted([
        (True, "acct-2", 0, ""),  # the whole download, immediately and on its own
        (True, "acct-2", 12, "bytes=0-65535"),
        (True, "acct-3", 1, "bytes=0-99"),
        (False, "acct-2", 1, "bytes=0-99"),
        (True, "acct-2", 2, "bytes=0-1023"),
    ])
    twelve = next(e for e in events if e.details.get("ranges") == 12)
    assert twelve.action == "file.downloaded" and twelve.occurred_at.isoformat() == \
        twelve.details["first_at"] <= twelve.details["last_at"]
