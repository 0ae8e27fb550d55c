"""Trimming ``artstore:file-events`` (stream_trim.py) against a real Redis."""

from __future__ import annotations

import time
import uuid

import pytest

from artstore_common.contracts import stream_overtaken_key, stream_trim_lock_key
from storage_element.stream_trim import StreamTrimmer

pytestmark = pytest.mark.integration


@pytest.fixture()
def stream(redis_client):
    name = f"artstore:file-events:trim-{uuid.uuid4().hex[:8]}"
    yield name
    redis_client.delete(name, stream_trim_lock_key(name), stream_overtaken_key(name))


def trimmer(redis_client, stream, safety=0.0, bound=1000) -> StreamTrimmer:
    return StreamTrimmer(redis_client, stream, safety, bound, interval_seconds=0.001)


def trim(t: StreamTrimmer):
    time.sleep(0.005)  # the 1 ms lock of the previous round has run out
    return t.trim()


def add(redis_client, stream, n: int) -> list[bytes]:
    return [redis_client.xadd(stream, {"data": str(i)}) for i in range(n)]


def read(redis_client, stream, group, count) -> list[bytes]:
    response = redis_client.xreadgroup(group, "c1", {stream: ">"}, count=count)
    return [entry_id for _s, entries in response for entry_id, _ in entries]


def ids(redis_client, stream) -> list[bytes]:
    return [entry_id for entry_id, _ in redis_client.xrange(stream)]


def test_only_entries_every_group_acknowledged_go(redis_client, stream):
    added = add(redis_client, stream, 10)
    redis_client.xgroup_create(stream, "a", id="0")
    redis_client.xgroup_create(stream, "b", id="0")
    t = trimmer(redis_client, stream)
    assert trim(t).acknowledged == 0  # nothing read yet

    got_a = read(redis_client, stream, "a", 6)
    redis_client.xack(stream, "a", *got_a[:3])  # a: 3 acked, 3 pending, 4 unread
    got_b = read(redis_client, stream, "b", 10)
    redis_client.xack(stream, "b", *got_b)  # b: everything acked
    result = trim(t)
    assert result.acknowledged == 3 and ids(redis_client, stream) == added[3:]
    assert result.backlog == {"a": 7, "b": 0}

    redis_client.xack(stream, "a", *got_a[3:])  # a: 6 acked, 4 never read
    assert trim(t).acknowledged == 3
    assert ids(redis_client, stream) == added[6:]
    assert redis_client.hgetall(stream_overtaken_key(stream)) == {}


def test_the_safety_window_keeps_young_acknowledged_entries(redis_client, stream):
    add(redis_client, stream, 5)
    redis_client.xgroup_create(stream, "a", id="0")
    redis_client.xack(stream, "a", *read(redis_client, stream, "a", 5))
    assert trim(trimmer(redis_client, stream, safety=3600)).acknowledged == 0
    assert redis_client.xlen(stream) == 5
    assert trim(trimmer(redis_client, stream, safety=0)).acknowledged == 5
    assert redis_client.xlen(stream) == 0


def test_a_group_beyond_the_bound_is_overtaken_and_named(redis_client, stream):
    added = add(redis_client, stream, 20)
    redis_client.xgroup_create(stream, "live", id="0")
    redis_client.xgroup_create(stream, "stalled", id="0")
    redis_client.xack(stream, "live", *read(redis_client, stream, "live", 20))
    read(redis_client, stream, "stalled", 2)  # two pending, 18 unread, then it stops
    result = trim(trimmer(redis_client, stream, bound=8))
    assert result.over_bound == 12 and result.overtaken == ["stalled"]
    assert ids(redis_client, stream) == added[12:]
    assert redis_client.hgetall(stream_overtaken_key(stream)) == {
        b"stalled": added[12]}

    # Its trimmed pending entries no longer hold the stream back once the rest is acknowledged.
    redis_client.xack(stream, "stalled", *read(redis_client, stream, "stalled", 100))
    result = trim(trimmer(redis_client, stream, bound=8))
    assert result.acknowledged == 8 and result.overtaken == []


def test_the_bound_does_not_overtake_a_group_that_acknowledged_what_it_removes(
    redis_client, stream
):
    add(redis_client, stream, 10)
    redis_client.xgroup_create(stream, "a", id="0")
    redis_client.xack(stream, "a", *read(redis_client, stream, "a", 6))
    # The safety window keeps the acknowledged entries; the bound then removes four of them.
    result = trim(trimmer(redis_client, stream, safety=3600, bound=6))
    assert (result.acknowledged, result.over_bound, result.overtaken) == (0, 4, [])
    result = trim(trimmer(redis_client, stream, safety=3600, bound=3))
    assert result.over_bound == 3 and result.overtaken == ["a"]  # entry 7 was never read


def test_without_any_group_only_the_bound_applies(redis_client, stream):
    add(redis_client, stream, 10)
    result = trim(trimmer(redis_client, stream, bound=4))
    assert (result.acknowledged, result.over_bound, result.length) == (0, 6, 4)


def test_one_trim_per_interval_across_trimmers(redis_client, stream):
    add(redis_client, stream, 6)
    redis_client.xgroup_create(stream, "a", id="0")
    got = read(redis_client, stream, "a", 6)
    first = StreamTrimmer(redis_client, stream, 0, 1000, interval_seconds=60)
    second = StreamTrimmer(redis_client, stream, 0, 1000, interval_seconds=60)
    redis_client.xack(stream, "a", *got[:3])
    time.sleep(0.005)  # a zero safety window still keeps entries of the current millisecond
    assert first.trim().acknowledged == 3
    redis_client.xack(stream, "a", *got[3:])
    held = second.trim()  # another SE in the same interval: reports, does not trim
    assert held.acknowledged == 0 and held.length == 3
    redis_client.delete(stream_trim_lock_key(stream))
    assert second.trim().acknowledged == 3
