"""Faults: a storage element killed mid-upload; Redis stopped during a stream of uploads."""

from __future__ import annotations

import hashlib
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from artstore_common.testing import ServiceProcess, free_port

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ingester_it_helpers import (  # noqa: E402
    ingester_env,
    kill_quietly,
    publish,
    se_file_count,
    wait_ready_discovery,
)

pytestmark = [pytest.mark.integration, pytest.mark.e2e, pytest.mark.slow]

MiB = 1024 * 1024


def _multipart_stream(total: int, chunk: int, pause: float, started: threading.Event):
    boundary = "faultb0undary"
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; "
            f"filename=\"slow.bin\"\r\nContent-Type: application/octet-stream\r\n\r\n").encode()

    def body():
        yield head
        sent = 0
        block = b"\xab" * chunk
        while sent < total:
            yield block
            sent += chunk
            if sent >= 4 * chunk:
                started.set()
            time.sleep(pause)
        yield f"\r\n--{boundary}--\r\n".encode()

    return body, {"Content-Type": f"multipart/form-data; boundary={boundary}"}


class TestStorageElementKilledMidUpload:
    def test_client_gets_error_and_nothing_partial_appears(
        self, start_se, admin_process, private_redis, public_key_file, tmp_path_factory,
        logs_dir, token_factory,
    ) -> None:
        se = start_se("edit-victim", "edit", 1)
        discovery_url = private_redis.rsplit("/", 1)[0] + "/9"
        publish(discovery_url, [se])
        env = ingester_env(admin_process.url, discovery_url, public_key_file,
                           tmp_path_factory.mktemp("ing-kill") / "discovery.json")
        ingester = ServiceProcess("ingester_module.main:create_app", env,
                                  log_path=str(logs_dir / "ingester-kill.log"),
                                  name="ingester-kill").start()
        try:
            wait_ready_discovery(ingester.url, {str(se.id)})
            started = threading.Event()
            body, headers = _multipart_stream(64 * MiB, 256 * 1024, 0.01, started)
            outcome: dict = {}

            def upload() -> None:
                try:
                    outcome["response"] = httpx.post(
                        ingester.url + "/api/v1/files", content=body(),
                        headers={**headers, **token_factory.headers("USER")}, timeout=120)
                except httpx.HTTPError as exc:
                    outcome["error"] = exc

            thread = threading.Thread(target=upload)
            thread.start()
            assert started.wait(60)
            deadline = time.monotonic() + 30
            while not [p for p in se.data_files() if "slow" in p.name]:
                assert time.monotonic() < deadline, "the SE never started writing"
                time.sleep(0.05)
            se.proc.kill()  # while a partial file sits on its volume
            thread.join(120)
            response = outcome.get("response")
            assert response is not None, outcome  # the ingester answers, it does not hang up
            assert response.status_code in (502, 503), response.text
            assert response.json()["error"]["code"] in ("STORAGE_ELEMENT_FAILED",
                                                         "NO_STORAGE_AVAILABLE")
            se.restart()  # WAL recovery runs at start
            assert se_file_count(se, token_factory.headers("ADMIN")) == 0
            leftovers = [p for p in se.data_files() if "slow" in p.name]
            assert leftovers == []
        finally:
            ingester.stop()


class TestRedisStopped:
    def test_uploads_keep_succeeding_on_cached_view(
        self, start_se, admin_process, stack_module, public_key_file, tmp_path_factory,
        logs_dir, token_factory,
    ) -> None:
        port = free_port()
        redis_proc = subprocess.Popen(
            [str(stack_module.redis_binary()), "--port", str(port), "--bind", "127.0.0.1",
             "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        ingester = None
        try:
            private_redis = f"redis://127.0.0.1:{port}/0"
            deadline = time.monotonic() + 20
            while True:
                try:
                    import redis

                    redis.Redis.from_url(private_redis).ping()
                    break
                except Exception:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.1)
            se = start_se("edit-redis", "edit", 1)
            publish(private_redis, [se])
            fallback = tmp_path_factory.mktemp("ing-redis") / "discovery.json"
            env = ingester_env(admin_process.url, private_redis, public_key_file, fallback)
            ingester = ServiceProcess("ingester_module.main:create_app", env,
                                      log_path=str(logs_dir / "ingester-redis.log"),
                                      name="ingester-redis").start()
            wait_ready_discovery(ingester.url, {str(se.id)})
            headers = token_factory.headers("USER")
            stored = []
            for i in range(12):
                if i == 4:
                    kill_quietly(redis_proc)
                data = f"file {i}\n".encode() * 1000
                response = httpx.post(ingester.url + "/api/v1/files",
                                      files={"file": (f"f{i}.txt", data, "text/plain")},
                                      headers=headers, timeout=60)
                assert response.status_code == 201, (i, response.text)
                assert response.json()["sha256"] == hashlib.sha256(data).hexdigest()
                stored.append(response.json()["file_id"])
                time.sleep(0.2)
            assert len(set(stored)) == 12
            assert fallback.exists()  # the last good view is on disk for a restart
            ready = httpx.get(ingester.url + "/health/ready", timeout=10).json()
            assert ready["checks"]["discovery"]["status"] == "degraded"
            # A restart while Redis is still down starts from the fallback file.
            ingester.stop()
            ingester = ServiceProcess("ingester_module.main:create_app", env,
                                      port=ingester.port,
                                      log_path=str(logs_dir / "ingester-redis.log"),
                                      name="ingester-redis").start()
            response = httpx.post(ingester.url + "/api/v1/files",
                                  files={"file": ("after.txt", b"after restart", "text/plain")},
                                  headers=headers, timeout=60)
            assert response.status_code == 201, response.text
        finally:
            if ingester is not None:
                ingester.stop()
            kill_quietly(redis_proc)
