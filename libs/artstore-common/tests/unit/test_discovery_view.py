"""Discovery view selection and the fallback file (no Redis reachable)."""

import uuid
from datetime import UTC, datetime

from artstore_common.contracts import DiscoveredStorageElement, DiscoveryDocument
from artstore_common.discovery import DiscoveryClient, writable_of, write_atomically
from artstore_common.testing import free_port


def se(name: str, mode: str = "rw", *, priority: int = 10, status: str = "online",
       draining: bool = False) -> DiscoveredStorageElement:
    return DiscoveredStorageElement(
        id=uuid.uuid4(), name=name, api_url=f"http://{name}", mode=mode, status=status,
        draining=draining, priority=priority, capacity_bytes=100, used_bytes=0, file_count=0,
    )


def doc(*elements: DiscoveredStorageElement, version: int = 1) -> DiscoveryDocument:
    return DiscoveryDocument(version=version, published_at=datetime.now(UTC),
                             storage_elements=list(elements))


class TestWritable:
    def test_online_non_draining_of_the_mode_lowest_priority_first(self):
        view = doc(
            se("rw-b", priority=20), se("rw-a", priority=5), se("rw-off", status="offline"),
            se("rw-degraded", status="degraded"), se("rw-drain", draining=True),
            se("edit-1", "edit"), se("ro-1", "ro"),
        )
        assert [s.name for s in writable_of(view, "rw")] == ["rw-a", "rw-b"]
        assert [s.name for s in writable_of(view, "edit")] == ["edit-1"]
        assert writable_of(None, "rw") == []


class TestFallbackFile:
    def test_unreachable_redis_serves_the_file_at_start(self, tmp_path):
        path = tmp_path / "state" / "discovery.json"
        saved = doc(se("rw-a"), version=7)
        write_atomically(path, saved.model_dump_json().encode())
        assert [p.name for p in path.parent.iterdir()] == ["discovery.json"]  # no temp left

        client = DiscoveryClient(f"redis://127.0.0.1:{free_port()}/0", path, refresh_interval=5,
                                 socket_timeout=0.5)
        client.start()
        try:
            assert client.version == 7
            assert client.source == "fallback"
            assert client.last_updated is None
            assert client.get(saved.storage_elements[0].id).name == "rw-a"
            assert client.get(uuid.uuid4()) is None
        finally:
            client.stop()

    def test_a_corrupt_file_is_ignored(self, tmp_path):
        path = tmp_path / "discovery.json"
        path.write_text("{not json")
        client = DiscoveryClient(f"redis://127.0.0.1:{free_port()}/0", path, socket_timeout=0.5)
        client.start()
        try:
            assert client.current() is None
            assert client.writable("rw") == []
        finally:
            client.stop()

    def test_wait_for_may_read_the_view_inside_its_predicate(self, tmp_path):
        path = tmp_path / "discovery.json"
        write_atomically(path, doc(se("rw-a"), version=3).model_dump_json().encode())
        client = DiscoveryClient(f"redis://127.0.0.1:{free_port()}/0", path, socket_timeout=0.5)
        client.start()
        try:
            assert client.wait_for(lambda d: client.version == 3 and bool(client.writable("rw")),
                                   timeout=5)
        finally:
            client.stop()
