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


def test_a_viewers_range_reads_are_one_access_recorded_when_it_begins(private_redis):
    """pdf.js reads a document in many ranges: one entry per file, account and address, sent at
    the first read; the reads that follow add none; a full download, another account or a later
    series are entries of their own."""
    reader = Principal(subject="acct-2", role="USER", scopes=frozenset({"files:read"}),
                       principal_type="service_account", name="viewer")
    other = Principal(subject="acct-3", role="USER", scopes=frozenset({"files:read"}),
                      principal_type="service_account", name="other")
    pdf, second = uuid.uuid4(), uuid.uuid4()

    def sent() -> list[AccessEvent]:
        with redis.Redis.from_url(private_redis.url) as client:
            return [AccessEvent.model_validate_json(fields[b"data"])
                    for _, fields in client.xrange(ACCESS_EVENTS_STREAM)]

    async def scenario() -> int:
        trail = AccessTrail(private_redis.url, "query-module", interval=0.05,
                            range_gap_seconds=0.5)
        trail.start()
        try:
            trail.note_range(pdf, reader, "10.0.0.8", "bytes=0-65535")
            await asyncio.sleep(0.3)
            # In the stream while the viewer is still reading: a kill now loses nothing.
            while_reading = len(sent())
            for n in range(1, 12):
                trail.note_range(pdf, reader, "10.0.0.8", f"bytes={n * 65536}-{n * 65536 + 65535}")
            trail.note_range(pdf, other, "10.0.0.8", "bytes=0-99")
            trail.note_range(second, reader, "10.0.0.8", "bytes=0-99")
            trail.note("file.downloaded", pdf, reader, "10.0.0.8")  # a whole download
            await asyncio.sleep(1.5)  # every series is over
            trail.note_range(pdf, reader, "10.0.0.8", "bytes=0-1023")  # opened again
            trail.note_range(pdf, reader, "10.0.0.8", "bytes=1024-2047")
        finally:
            await trail.aclose()
        return while_reading

    assert asyncio.run(scenario()) == 1
    events = sent()
    assert all(e.action == "file.downloaded" for e in events)
    assert sorted((e.file_id == pdf, e.subject, e.details.get("range", ""))
                  for e in events) == sorted([
        (True, "acct-2", "bytes=0-65535"),
        (True, "acct-2", ""),  # the whole download
        (True, "acct-3", "bytes=0-99"),
        (False, "acct-2", "bytes=0-99"),
        (True, "acct-2", "bytes=0-1023"),
    ])
