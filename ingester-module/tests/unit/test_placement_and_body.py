"""Placement ordering/filtering and the re-sendable, hashed file body."""

from __future__ import annotations

import hashlib
import uuid

import pytest

from artstore_common.contracts import DiscoveredStorageElement, DiscoveryDocument
from artstore_common.discovery import writable_of
from artstore_common.resilience import BreakerRegistry, UpstreamServerError
from ingester_module.errors import FieldAfterFile, FileTooLarge
from ingester_module.storage.body import FileBody, NotReplayable
from ingester_module.storage.placement import candidates
from ingester_module.uploads.multipart import MultipartReader

GiB = 1024**3


def se(name: str, priority: int, *, mode="edit", status="online", draining=False,
       capacity=10 * GiB, used=0) -> DiscoveredStorageElement:
    return DiscoveredStorageElement(
        id=uuid.uuid4(), name=name, api_url=f"http://{name}", mode=mode, status=status,
        draining=draining, priority=priority, capacity_bytes=capacity, used_bytes=used,
        file_count=0)


def doc(*elements) -> DiscoveryDocument:
    return DiscoveryDocument(version=1, published_at="2026-01-01T00:00:00Z",
                             storage_elements=list(elements))


class TestCandidates:
    def test_sequential_fill_order_and_filters(self) -> None:
        elements = writable_of(doc(
            se("c", 3), se("a", 1), se("b", 2), se("off", 0, status="offline"),
            se("drain", 0, draining=True), se("rw", 0, mode="rw"), se("deg", 0, status="degraded"),
        ), "edit")
        names = [s.name for s in candidates(elements, BreakerRegistry("t"), None)]
        assert names == ["a", "b", "c"]

    def test_full_se_skipped_when_size_known(self) -> None:
        elements = [se("full", 1, capacity=GiB, used=GiB - 100), se("roomy", 2)]
        breakers = BreakerRegistry("t")
        assert [s.name for s in candidates(elements, breakers, 1000)] == ["roomy"]
        assert [s.name for s in candidates(elements, breakers, 50)] == ["full", "roomy"]
        assert [s.name for s in candidates(elements, breakers, None)] == ["full", "roomy"]

    async def test_open_breaker_removes_se(self) -> None:
        first, second = se("first", 1), se("second", 2)
        breakers = BreakerRegistry("t", fail_max=1, reset_timeout=60)
        with pytest.raises(UpstreamServerError):
            async with breakers.guard(str(first.id)):
                raise UpstreamServerError(str(first.id), 500)
        assert [s.name for s in candidates([first, second], breakers, None)] == ["second"]


B = "bnd"


def body_bytes(payload: bytes, trailer: str = "") -> bytes:
    return (f"--{B}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"f\"\r\n\r\n"
            .encode() + payload + f"\r\n{trailer}--{B}--\r\n".encode())


async def feed(raw: bytes, size: int = 1000):
    for i in range(0, len(raw), size):
        yield raw[i : i + size]


async def make_body(raw: bytes, *, max_size=10**9, replay=4096, on_end=None):
    reader = MultipartReader(feed(raw), B.encode())
    await reader.next_part()

    async def nothing() -> None:
        pass

    return FileBody(reader, [], part_ended=False, max_size=max_size, replay_limit=replay,
                    on_end=on_end or nothing)


async def consume(stream, limit: int | None = None) -> bytes:
    out = b""
    async for chunk in stream:
        out += chunk
        if limit is not None and len(out) >= limit:
            break
    return out


class TestFileBody:
    async def test_hash_and_size(self) -> None:
        payload = bytes(range(256)) * 50
        body = await make_body(body_bytes(payload))
        assert await consume(body.stream()) == payload
        assert body.finished and body.size == len(payload)
        assert body.sha256 == hashlib.sha256(payload).hexdigest()

    async def test_replay_within_window_resends_from_start(self) -> None:
        payload = b"z" * 3000
        body = await make_body(body_bytes(payload), replay=4096)
        first = body.stream()
        await consume(first, limit=1000)  # the SE refused early
        await first.aclose()
        assert body.replayable
        assert await consume(body.stream()) == payload  # the next SE gets every byte
        assert body.sha256 == hashlib.sha256(payload).hexdigest()  # hashed once

    async def test_past_window_not_replayable(self) -> None:
        body = await make_body(body_bytes(b"q" * 20000), replay=4096)
        await consume(body.stream(), limit=10000)
        with pytest.raises(NotReplayable):
            body.stream()

    async def test_size_limit(self) -> None:
        body = await make_body(body_bytes(b"x" * 5000), max_size=4000)
        with pytest.raises(FileTooLarge):
            await consume(body.stream())
        assert isinstance(body.error, FileTooLarge)

    async def test_end_check_runs_before_last_byte_is_released(self) -> None:
        async def refuse() -> None:
            raise FieldAfterFile()

        body = await make_body(body_bytes(b"x" * 10), on_end=refuse)
        with pytest.raises(FieldAfterFile):
            await consume(body.stream())
        assert not body.finished
