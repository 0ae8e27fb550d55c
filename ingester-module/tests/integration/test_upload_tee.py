"""A permanent upload (two copies) streamed to two real SEs at once, and the SE → SE copy
that makes up for an SE refusing before the body.

SEs (all rw): ``tee-a`` (priority 1), ``tee-b`` (priority 2, only 1 MiB real room: bigger files
get its 507 before the body), ``tee-c`` (priority 3).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sys
from pathlib import Path

import httpx
import pytest

from artstore_common.testing import ServiceProcess

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ingester_it_helpers import ingester_env, publish, wait_ready_discovery  # noqa: E402

pytestmark = [pytest.mark.integration, pytest.mark.e2e]

MiB = 1024 * 1024
PROVENANCE = ("file_id", "created_at", "uploaded_by", "storage_filename", "copies", "sha256",
              "size")


@pytest.fixture(scope="module")
def cluster(start_se, admin_process, private_redis, public_key_file, tmp_path_factory, logs_dir):
    ses = {"a": start_se("tee-a", "rw", 1), "b": start_se("tee-b", "rw", 2, capacity=1 * MiB),
           "c": start_se("tee-c", "rw", 3)}
    discovery_url = private_redis.rsplit("/", 1)[0] + "/6"
    publish(discovery_url, list(ses.values()))
    env = ingester_env(admin_process.url, discovery_url, public_key_file,
                       tmp_path_factory.mktemp("ingester-tee") / "discovery.json",
                       MAX_FILE_SIZE=str(8 * MiB), ALLOWED_MIME_TYPES="application/octet-stream")
    ingester = ServiceProcess("ingester_module.main:create_app", env,
                              log_path=str(logs_dir / "ingester-tee.log"),
                              name="ingester-tee").start()
    wait_ready_discovery(ingester.url, {str(se.id) for se in ses.values()})
    yield {"ingester": ingester, **ses}
    ingester.stop()


def upload(cluster, token_factory, data: bytes) -> dict:
    response = httpx.post(
        cluster["ingester"].url + "/api/v1/files", timeout=120,
        headers=token_factory.headers("USER", name="tee-user"),
        data={"retention_policy": "permanent"},
        files={"file": ("record.bin", data, "application/octet-stream")})
    assert response.status_code == 201, response.text
    return response.json()


def sidecar(se, file_id: str) -> dict | None:
    for path in se.data_dir.rglob(f"*{file_id}*.attr.json"):
        assert path.with_name(path.name.removesuffix(".attr.json")).is_file()
        return json.loads(path.read_text())
    return None


def copies_made(cluster) -> dict[str, float]:
    text = httpx.get(cluster["ingester"].url + "/metrics").text
    return {how: float(n) for how, n in re.findall(
        r'artstore_ingest_copies_made_total\{how="(\w+)"\} (\S+)', text)}


def assert_same_provenance(cluster, answer: dict, data: bytes, holders: set[str]) -> None:
    found = {k: sidecar(cluster[k], answer["file_id"]) for k in "abc"}
    assert {k for k, s in found.items() if s is not None} == holders
    first, second = (found[k] for k in sorted(holders))
    assert first["sha256"] == hashlib.sha256(data).hexdigest() and first["size"] == len(data)
    assert {f: first[f] for f in PROVENANCE} == {f: second[f] for f in PROVENANCE}
    assert first["uploaded_by"]["name"] == "tee-user"
    assert set(answer["copies"]) == {str(cluster[k].id) for k in holders}


def test_a_permanent_upload_is_streamed_to_two_ses_at_once(cluster, token_factory) -> None:
    before = copies_made(cluster)
    data = os.urandom(3 * MiB // 4)
    answer = upload(cluster, token_factory, data)
    assert_same_provenance(cluster, answer, data, {"a", "b"})
    after = copies_made(cluster)
    assert after.get("stream", 0) - before.get("stream", 0) == 2
    assert after.get("se_copy", 0) == before.get("se_copy", 0)  # no SE → SE copy needed


def test_an_se_refusing_before_the_body_is_made_up_by_an_se_copy(
    cluster, token_factory
) -> None:
    before = copies_made(cluster)
    data = os.urandom(2 * MiB)  # tee-b has no room: 507 before the body, twice
    answer = upload(cluster, token_factory, data)
    assert_same_provenance(cluster, answer, data, {"a", "c"})
    assert answer["storage_element_id"] == str(cluster["a"].id)
    after = copies_made(cluster)
    assert after.get("stream", 0) - before.get("stream", 0) == 1
    assert after.get("se_copy", 0) - before.get("se_copy", 0) == 1
