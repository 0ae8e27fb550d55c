"""Copies across backends: one rw SE on a local volume, one on S3 (the moto server the root
conftest starts). Finalize puts one copy on each; rotten bytes in the S3 object are rewritten
from the local copy, a lost local copy is re-made from the S3 one."""

from __future__ import annotations

import hashlib
import sys
import time
import uuid
from pathlib import Path

import boto3
import httpx
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from admin_control_stack import ADMIN_REDIS_DB, ControlStack, with_db  # noqa: E402
from e2e_support import wait_for  # noqa: E402

from artstore_common.testing import ServiceProcess  # noqa: E402

pytestmark = [pytest.mark.e2e]


@pytest.fixture(scope="module")
def stack(make_database, redis_url, stack_env, tmp_path_factory):
    started = time.monotonic()
    stack = ControlStack(make_database=make_database, redis_url=redis_url,
                         workdir=tmp_path_factory.mktemp("copies-mixed"))
    stack.bucket = f"mixed-{uuid.uuid4().hex[:12]}"
    stack.s3 = boto3.client("s3", endpoint_url=stack_env["S3_ENDPOINT_URL"],
                            aws_access_key_id=stack_env.get("S3_ACCESS_KEY", "testing"),
                            aws_secret_access_key=stack_env.get("S3_SECRET_KEY", "testing"),
                            region_name="us-east-1")
    # The query module reads discovery and the SEs' file events from one Redis database.
    redis = with_db(redis_url, ADMIN_REDIS_DB)
    events = {"REDIS_URL": redis, "SE_EVENTS_STREAM": f"artstore:file-events:mx-{stack.bucket}"}
    stack.query = None
    try:
        stack.start_admin()
        stack.edit = stack.start_se("mx-edit", "edit", **events)
        stack.local = stack.start_se("mx-rw-local", "rw", **events)
        stack.remote = stack.start_se(
            "mx-rw-s3", "rw", **events, SE_BACKEND="s3",
            SE_S3_ENDPOINT_URL=stack_env["S3_ENDPOINT_URL"],
            SE_S3_ACCESS_KEY=stack_env.get("S3_ACCESS_KEY", "testing"),
            SE_S3_SECRET_KEY=stack_env.get("S3_SECRET_KEY", "testing"),
            SE_S3_BUCKET=stack.bucket, SE_S3_PREFIX="volume")
        stack.register(stack.edit)
        stack.local_row = stack.register(stack.local, failure_domain="host-a")
        stack.remote_row = stack.register(stack.remote, failure_domain="site-s3")
        stack.query = ServiceProcess("query_module.main:create_app", {
            "DATABASE_URL": make_database("mx_query"), "REDIS_URL": redis,
            "FILE_EVENTS_STREAM": events["SE_EVENTS_STREAM"],
            "ADMIN_URL": f"http://127.0.0.1:{stack.admin_port}",
            "JWKS_URL": f"http://127.0.0.1:{stack.admin_port}/api/v1/auth/jwks",
            "QUERY_CLIENT_ID": "admin-service",
            "QUERY_CLIENT_SECRET": stack.admin_env()["ARTSTORE_CLIENT_SECRET"],
            "DISCOVERY_REFRESH_SECONDS": "1", "LOG_LEVEL": "WARNING",
        }, log_path=str(stack.workdir / "query.log"), name="query").start(120)
        yield stack
    finally:
        if stack.query is not None:
            stack.query.stop()
        stack.stop()
        print(f"\nmixed-backend copies: {time.monotonic() - started:.1f} s")


def _s3_data_key(stack, file_id: str) -> str:
    keys = [o["Key"] for page in stack.s3.get_paginator("list_objects_v2").paginate(
        Bucket=stack.bucket) for o in page.get("Contents", [])]
    found = [k for k in keys if file_id in k and not k.endswith(".attr.json")]
    assert len(found) == 1, keys
    return found[0]


def _repair(stack, se_row: dict) -> dict:
    started = stack.api("POST", "/api/v1/copies/repair",
                        json={"storage_element_id": se_row["id"]})
    assert started.status_code == 202, started.text
    saga = stack.wait_saga(started.json()["id"], timeout=180)
    assert saga["state"] == "completed", saga
    report = stack.api("GET", "/api/v1/copies/report").json()
    assert report["saga_id"] == saga["id"]
    return report


def test_a_permanent_file_is_kept_on_a_local_and_an_s3_se_and_each_repairs_the_other(stack):
    body = b"one copy on a disk, one in a bucket " * 2000
    file_id = stack.upload(stack.edit, body, name="mixed.txt")
    started = stack.api("POST", f"/api/v1/files/{file_id}/finalize")
    assert started.status_code == 202, started.text
    saga = stack.wait_saga(started.json()["id"])
    assert saga["state"] == "completed", saga
    pair = {stack.local_row["id"], stack.remote_row["id"]}
    assert set(saga["payload"]["target_se_ids"]) == pair
    for se in (stack.local, stack.remote):
        stored = stack.se_file(se, file_id)
        assert stored is not None and set(stored["copies"]) == pair, se.name
        assert stack.se_content(se, file_id) == body
    key = _s3_data_key(stack, str(file_id))
    assert stack.s3.get_object(Bucket=stack.bucket, Key=key)["Body"].read() == body
    assert [p for p in stack.local.data_dir.rglob(f"*{file_id}*") if p.is_file()]

    # Rot in the S3 object: the SE's scrub quarantines it, the repairer rewrites it from
    # the local copy (SHA-256 checked) and the S3 SE serves it again.
    rotten = bytearray(body)
    rotten[100] ^= 0x01
    stack.s3.put_object(Bucket=stack.bucket, Key=key, Body=bytes(rotten))
    scrub = httpx.post(f"{stack.remote.url}/api/v1/maintenance/fixity", params={"all": "true"},
                       headers=stack.headers(), timeout=120)
    assert scrub.status_code == 200, scrub.text
    direct = httpx.get(f"{stack.remote.url}/api/v1/files/{file_id}/content",
                       headers=stack.headers(), timeout=60)
    assert direct.status_code == 409  # quarantined: never served
    report = _repair(stack, stack.remote_row)
    assert {"file_id": str(file_id), "storage_element_id": stack.remote_row["id"]} in \
        report["quarantined_copies"]
    outcome = next(r for r in report["repaired"] if r["file_id"] == str(file_id))
    assert outcome == {"file_id": str(file_id), "source": stack.local_row["id"],
                       "target": stack.remote_row["id"], "rewritten": True}
    assert stack.s3.get_object(Bucket=stack.bucket, Key=key)["Body"].read() == body
    assert stack.se_content(stack.remote, file_id) == body

    # The local copy is gone (files removed, the SE's index rebuilt from its volume): the
    # repairer re-makes it from the S3 copy.
    for path in stack.local.data_dir.rglob(f"*{file_id}*"):
        path.unlink()
    rebuilt = httpx.post(f"{stack.local.url}/api/v1/maintenance/rebuild",
                         params={"mode": "full"}, headers=stack.headers(), timeout=120)
    assert rebuilt.status_code == 200, rebuilt.text
    assert stack.se_file(stack.local, file_id) is None
    report = _repair(stack, stack.local_row)
    entry = next(e for e in report["under_replicated"] if e["file_id"] == str(file_id))
    assert entry["healthy"] == [stack.remote_row["id"]]
    outcome = next(r for r in report["repaired"] if r["file_id"] == str(file_id))
    assert outcome["source"] == stack.remote_row["id"]
    assert outcome["target"] == stack.local_row["id"]
    assert stack.se_content(stack.local, file_id) == body
    assert set(stack.se_file(stack.local, file_id)["copies"]) == pair


def _download(stack, file_id) -> httpx.Response:
    return httpx.get(f"{stack.query.url}/api/v1/files/{file_id}/download",
                     headers=stack.headers(), timeout=120)


def _catalog_copies(stack, file_id) -> dict[str, str]:
    r = httpx.get(f"{stack.query.url}/api/v1/files/{file_id}", headers=stack.headers())
    return {c["storage_element_id"]: c["state"]
            for c in (r.json().get("copies", []) if r.status_code == 200 else [])}


def test_a_download_fails_over_between_the_local_and_the_s3_copy(stack):
    body = b"served from whichever copy answers " * 3000
    file_id = stack.upload(stack.edit, body, name="failover.txt")
    saga = stack.wait_saga(stack.api("POST", f"/api/v1/files/{file_id}/finalize").json()["id"])
    assert saga["state"] == "completed", saga
    pair = {stack.local_row["id"], stack.remote_row["id"]}
    wait_for(lambda: {s for s, st in _catalog_copies(stack, file_id).items()
                      if st == "active"} == pair, "both copies in the catalog")
    for stopped, serving in ((stack.local, stack.remote), (stack.remote, stack.local)):
        stopped.stop()
        try:
            served = _download(stack, file_id)
            assert served.status_code == 200, (stopped.name, served.text)
            assert hashlib.sha256(served.content).digest() == hashlib.sha256(body).digest()
        finally:
            stopped.start()
        assert stack.se_content(serving, file_id) == body
