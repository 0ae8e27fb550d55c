"""A target of three copies streamed to three SEs in one pass. An SE killed (SIGKILL) while
the ingester tees a permanent upload to it and another SE: the write quorum (2) is met by an
SE → SE copy to a third SE, the upload is answered 201, and the killed SE, restarted, shows no
trace of the partial file.

SEs (all rw): ``crash-a`` (priority 1), ``crash-b`` (priority 2, the victim), ``crash-c`` (3).
"""

from __future__ import annotations

import hashlib
import os
import sys
import time
import uuid
from pathlib import Path

import httpx
import pytest

from artstore_common.contracts import DEFAULT_COPY_POLICIES, CopyPolicy
from artstore_common.testing import ServiceProcess

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ingester_it_helpers import ingester_env, publish, wait_ready_discovery  # noqa: E402
from test_upload_tee import copies_made, sidecar  # noqa: E402

pytestmark = [pytest.mark.integration, pytest.mark.e2e]

MiB = 1024 * 1024


@pytest.fixture(scope="module")
def cluster(start_se, admin_process, private_redis, public_key_file, tmp_path_factory, logs_dir):
    ses = {k: start_se(f"crash-{k}", "rw", i) for i, k in enumerate("abc", start=1)}
    discovery_url = private_redis.rsplit("/", 1)[0] + "/5"
    publish(discovery_url, list(ses.values()))
    env = ingester_env(admin_process.url, discovery_url, public_key_file,
                       tmp_path_factory.mktemp("ingester-crash") / "discovery.json",
                       MAX_FILE_SIZE=str(64 * MiB), ALLOWED_MIME_TYPES="application/octet-stream")
    ingester = ServiceProcess("ingester_module.main:create_app", env,
                              log_path=str(logs_dir / "ingester-crash.log"),
                              name="ingester-crash").start()
    wait_ready_discovery(ingester.url, {str(se.id) for se in ses.values()})
    yield {"ingester": ingester, "discovery_url": discovery_url, **ses}
    ingester.stop()


def follow(cluster, version: int, copy_policies: list | None) -> None:
    """Publishes the three SEs with ``copy_policies`` and waits until the ingester has it."""
    publish(cluster["discovery_url"], [cluster[k] for k in "abc"], version, copy_policies)
    hung = time.monotonic() + 60  # only stops a hung test
    while httpx.get(cluster["ingester"].url + "/health/ready", timeout=5).json()[
            "checks"]["discovery"]["detail"]["version"] != version:
        assert time.monotonic() < hung, "the ingester never saw the new copy policy"
        time.sleep(0.1)


def test_three_copies_are_streamed_in_one_pass(cluster, token_factory) -> None:
    """A target of three: the ingester tees the body to all three SEs; no SE → SE copy."""
    policy = CopyPolicy(retention_policy="permanent", target_copies=3, write_quorum=3)
    version = int(time.time() * 1000)
    follow(cluster, version, [policy, DEFAULT_COPY_POLICIES["temporary"]])
    try:
        before = copies_made(cluster)
        data = os.urandom(5 * MiB + 17)
        response = httpx.post(
            cluster["ingester"].url + "/api/v1/files", timeout=120,
            headers=token_factory.headers("USER", name="tee-user"),
            data={"retention_policy": "permanent"},
            files={"file": ("three.bin", data, "application/octet-stream")})
        assert response.status_code == 201, response.text
        answer = response.json()
        assert set(answer["copies"]) == {str(cluster[k].id) for k in "abc"}
        assert answer["sha256"] == hashlib.sha256(data).hexdigest()
        found = [sidecar(cluster[k], answer["file_id"]) for k in "abc"]
        assert all(f is not None and f["sha256"] == answer["sha256"] for f in found)
        assert all(set(f["copies"]) == set(answer["copies"]) for f in found)
        assert len({(f["created_at"], f["storage_filename"]) for f in found}) == 1
        after = copies_made(cluster)
        assert after.get("stream", 0) - before.get("stream", 0) == 3
        assert after.get("se_copy", 0) == before.get("se_copy", 0)
    finally:
        follow(cluster, version + 1, None)  # back to the defaults: two copies


def receiving(se) -> bool:
    """The SE holds a temp file with some of the body in it."""
    return any(p.name.endswith(".part") and p.stat().st_size > 0 for p in se.data_files())


def test_an_se_killed_mid_stream_is_made_up_by_an_se_copy(cluster, token_factory) -> None:
    victim = cluster["b"]
    body = [os.urandom(MiB) for _ in range(24)]
    data = b"".join(body)
    boundary = uuid.uuid4().hex
    before = copies_made(cluster)

    def stream():
        yield (f"--{boundary}\r\nContent-Disposition: form-data; name=\"retention_policy\""
               f"\r\n\r\npermanent\r\n--{boundary}\r\nContent-Disposition: form-data; "
               f"name=\"file\"; filename=\"crash.bin\"\r\n"
               f"Content-Type: application/octet-stream\r\n\r\n").encode()
        for i, piece in enumerate(body):
            if i == len(body) // 4:
                hung = time.monotonic() + 120  # only stops a hung test
                while not receiving(victim):
                    assert time.monotonic() < hung, "the victim never received the body"
                    time.sleep(0.05)
                victim.proc.kill()
            yield piece
        yield f"\r\n--{boundary}--\r\n".encode()

    response = httpx.post(
        cluster["ingester"].url + "/api/v1/files", content=stream(), timeout=300,
        headers={**token_factory.headers("USER", name="tee-user"),
                 "Content-Type": f"multipart/form-data; boundary={boundary}"})
    assert response.status_code == 201, response.text
    answer = response.json()
    assert set(answer["copies"]) == {str(cluster["a"].id), str(cluster["c"].id)}
    assert answer["sha256"] == hashlib.sha256(data).hexdigest()
    for k in "ac":
        found = sidecar(cluster[k], answer["file_id"])
        assert found is not None and found["sha256"] == answer["sha256"], k
    after = copies_made(cluster)
    assert after.get("stream", 0) - before.get("stream", 0) == 1
    assert after.get("se_copy", 0) - before.get("se_copy", 0) == 1

    victim.restart()  # the WAL rolls the partial file back
    assert not [p for p in victim.data_files() if answer["file_id"] in p.name]
    gone = httpx.get(f"{victim.url}/api/v1/files/{answer['file_id']}", timeout=10,
                     headers=token_factory.headers("ADMIN"))
    assert gone.status_code == 404, gone.text
