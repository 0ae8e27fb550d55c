"""DiscoveryClient against a real Redis that the tests stop, cut off and hang."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import UTC, datetime

import redis

from artstore_common.contracts import (
    DISCOVERY_CHANNEL,
    DISCOVERY_KEY,
    DiscoveredStorageElement,
    DiscoveryDocument,
)
from artstore_common.discovery import DiscoveryClient

SE_ID = uuid.UUID("11111111-1111-4111-8111-111111111111")
WAIT = 30.0  # an upper bound for failure, never a speed requirement


def document(version: int, *, name: str = "edit-1", draining: bool = False) -> DiscoveryDocument:
    return DiscoveryDocument(
        version=version,
        published_at=datetime.now(UTC),
        storage_elements=[
            DiscoveredStorageElement(
                id=SE_ID, name=name, api_url="http://127.0.0.1:8010", mode="edit",
                status="online", draining=draining, priority=10, capacity_bytes=1000,
                used_bytes=10, file_count=1,
            )
        ],
    )


def publish(url: str, doc: DiscoveryDocument, *, notice: bool = True) -> None:
    with redis.Redis.from_url(url) as client:
        client.set(DISCOVERY_KEY, doc.model_dump_json())
        if notice:
            client.publish(DISCOVERY_CHANNEL, str(doc.version))


def has_version(version: int):
    return lambda doc: doc is not None and doc.version == version


def make_client(url: str, tmp_path, **kwargs) -> DiscoveryClient:
    kwargs.setdefault("refresh_interval", 3600)
    kwargs.setdefault("socket_timeout", 2.0)
    kwargs.setdefault("reconnect_max", 0.5)
    return DiscoveryClient(url, tmp_path / "discovery.json", **kwargs)


class TestFollowing:
    def test_each_notice_brings_the_new_version_and_saves_it(self, private_redis, tmp_path):
        seen: list[int] = []
        client = make_client(
            private_redis.url, tmp_path, on_change=lambda d: seen.append(d.version)
        )
        client.start()
        try:
            publish(private_redis.url, document(1))
            assert client.wait_for(has_version(1), WAIT)
            publish(private_redis.url, document(2, draining=True))
            assert client.wait_for(has_version(2), WAIT)
            assert client.source == "redis" and client.last_updated is not None
            assert client.writable("edit") == []  # draining
            assert client.get(SE_ID).draining is True
            saved_raw = (tmp_path / "discovery.json").read_bytes()
            saved = DiscoveryDocument.model_validate_json(saved_raw)
            assert saved.version == 2
            # on_change runs on the discovery thread just after waiters are woken.
            assert wait_until(lambda: seen == [1, 2]), seen
        finally:
            client.stop()

    def test_a_lost_notice_is_caught_up_by_the_timer(self, private_redis, tmp_path):
        client = make_client(private_redis.url, tmp_path, refresh_interval=0.3)
        client.start()
        try:
            publish(private_redis.url, document(1))
            assert client.wait_for(has_version(1), WAIT)
            publish(private_redis.url, document(2, name="renamed"), notice=False)
            assert client.wait_for(has_version(2), WAIT)
            assert client.get(SE_ID).name == "renamed"
        finally:
            client.stop()

    def test_a_malformed_document_is_ignored(self, private_redis, tmp_path):
        client = make_client(private_redis.url, tmp_path, refresh_interval=0.2)
        client.start()
        try:
            publish(private_redis.url, document(1))
            assert client.wait_for(has_version(1), WAIT)
            with redis.Redis.from_url(private_redis.url) as admin:
                admin.set(DISCOVERY_KEY, b'{"version": "not a number"}')
                admin.publish(DISCOVERY_CHANNEL, "x")
                admin.delete(DISCOVERY_KEY)
                admin.publish(DISCOVERY_CHANNEL, "y")
            publish(private_redis.url, document(3))
            assert client.wait_for(has_version(3), WAIT)
            assert len(client.current().storage_elements) == 1
        finally:
            client.stop()


class TestRedisAway:
    def test_keeps_its_view_while_redis_is_stopped_and_follows_once_back(
        self, private_redis, tmp_path
    ):
        client = make_client(private_redis.url, tmp_path, refresh_interval=0.3)
        client.start()
        late = None
        try:
            publish(private_redis.url, document(1))
            assert client.wait_for(has_version(1), WAIT)
            private_redis.stop()
            assert wait_until(lambda: not client.connected)
            assert client.version == 1 and client.writable("edit")[0].id == SE_ID

            # A service starting while Redis is down serves the last good copy from disk.
            late = make_client(private_redis.url, tmp_path)
            late.start()
            assert late.version == 1 and late.source == "fallback"
            assert late.writable("edit")[0].id == SE_ID

            private_redis.start()
            publish(private_redis.url, document(2))
            assert client.wait_for(has_version(2), WAIT)
            assert late.wait_for(has_version(2), WAIT)
            assert late.source == "redis"
        finally:
            client.stop()
            if late:
                late.stop()

    def test_a_change_made_while_cut_off_is_picked_up_on_reconnect(
        self, private_redis, tmp_path
    ):
        admin = redis.Redis.from_url(private_redis.url)
        admin.execute_command("ACL", "SETUSER", "disc", "on", ">pw", "~*", "&*", "+@all")
        url = private_redis.url.replace("redis://", "redis://disc:pw@")
        # No timer to help: only the resync after reconnecting can find the change.
        client = make_client(url, tmp_path, refresh_interval=3600)
        client.start()
        try:
            publish(private_redis.url, document(1))
            assert client.wait_for(has_version(1), WAIT)
            admin.execute_command("ACL", "SETUSER", "disc", "off")
            admin.execute_command("CLIENT", "KILL", "USER", "disc")
            assert wait_until(lambda: not client.connected)
            publish(private_redis.url, document(2))  # its notice cannot reach the client
            assert client.version == 1
            admin.execute_command("ACL", "SETUSER", "disc", "on")
            assert client.wait_for(has_version(2), WAIT)
        finally:
            client.stop()
            admin.close()


class TestEventLoop:
    async def test_loop_keeps_running_while_redis_hangs(self, private_redis, tmp_path):
        changes: list[int] = []

        async def on_change(doc: DiscoveryDocument) -> None:
            changes.append(doc.version)

        client = make_client(
            private_redis.url, tmp_path, refresh_interval=0.2, socket_timeout=2.0,
            on_change=on_change,
        )
        client.start()
        try:
            await asyncio.to_thread(publish, private_redis.url, document(1))
            assert await asyncio.to_thread(client.wait_for, has_version(1), WAIT)
            private_redis.pause()
            # Measure the loop across more than one socket timeout while the discovery
            # thread is stuck in a read from the hung server.
            worst = 0.0
            started = time.monotonic()
            while time.monotonic() - started < 5.0:
                before = time.monotonic()
                await asyncio.sleep(0.01)
                worst = max(worst, time.monotonic() - before - 0.01)
                assert client.version == 1
                assert client.writable("edit")
            hang_detected = not client.connected
            print(f"worst event-loop lag while Redis hung: {worst * 1000:.1f} ms")
            # A blocked loop would show a lag of at least one socket timeout (2 s).
            assert worst < 1.0
            assert hang_detected
            private_redis.resume()
            await asyncio.to_thread(publish, private_redis.url, document(2))
            assert await asyncio.to_thread(client.wait_for, has_version(2), WAIT)
            for _ in range(int(WAIT / 0.05)):  # the callback runs on this loop, scheduled
                if changes == [1, 2]:
                    break
                await asyncio.sleep(0.05)
            assert changes == [1, 2]
        finally:
            private_redis.resume()
            await asyncio.to_thread(client.stop)


def wait_until(predicate, timeout: float = WAIT) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()
