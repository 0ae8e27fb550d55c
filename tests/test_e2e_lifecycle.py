"""A document's whole life across every service, as real processes (SPEC §1, §2.3–§2.4).

upload (Russian name and description) → found by another word form → full and ranged download
→ finalize onto the rw SE → rw→ro: permanent uploads get 503, then go to a newly registered rw
SE → ro→ar: download answers 409 FILE_ARCHIVED while search still finds the document.

This module runs its own suite because mode changes are one-way.
"""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

import httpx
import pytest
from e2e_support import Api, assert_error, client_token, sha256, wait_for

from artstore_common.testing import ServiceProcess

pytestmark = pytest.mark.e2e

REPO_ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def lifecycle_suite(suite_module):
    root = REPO_ROOT / ".artstore" / "test-suites" / f"lifecycle-{os.getpid()}"
    shutil.rmtree(root, ignore_errors=True)
    handle = suite_module.Suite(root, fast=True, fixed_ports=False, with_ui=False)
    handle.extra = []  # processes a test adds; they live as long as the suite
    try:
        handle.env = handle.up()
        yield handle
    finally:
        for process in handle.extra:
            process.stop()
        handle.down()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="module")
def api(lifecycle_suite) -> Api:
    env = lifecycle_suite.env
    token = client_token(env["ADMIN_URL"], env["ARTSTORE_CLIENT_ID"],
                         env["ARTSTORE_CLIENT_SECRET"])
    return Api(env, token)


def start_extra_rw_se(suite, suite_module, name: str) -> ServiceProcess:
    """A second rw storage element, configured like the suite's own."""
    template = suite._state()["processes"]["se-rw-1"]["env"]
    pg_dsn = suite.env["PG_DSN"]
    database = "artstore_" + name.replace("-", "_")
    suite_module.ensure_databases(pg_dsn, [database])
    data_dir = suite.root / "data" / name
    data_dir.mkdir(parents=True, exist_ok=True)
    env = {**template, "SE_NAME": name, "SERVICE_NAME": name, "SE_DATA_DIR": str(data_dir),
           "SE_PRIORITY": "200", "DATABASE_URL": suite_module.database_url(pg_dsn, database)}
    env.pop("SE_ID", None)
    process = ServiceProcess("storage_element.main:create_app", env, name=name,
                             log_path=str(suite.logs / f"{name}.log"))
    suite.extra.append(process)
    return process.start()


def switch_mode(api: Api, se_id: str, target: str) -> dict:
    response = api.admin("POST", f"/api/v1/storage-elements/{se_id}/mode",
                         json={"target_mode": target, "reason": f"e2e: close for {target}"})
    assert response.status_code == 202, response.text
    saga = api.wait_saga(response.json()["id"])
    assert saga["state"] == "completed", saga
    return saga


def test_document_lifecycle(lifecycle_suite, suite_module, api):
    content = ("Договор поставки оборудования № 17\n" * 2000).encode()
    marker = uuid.uuid4().hex[:8]
    uploaded = api.upload(f"Договор поставки {marker}.txt", content,
                          retention_policy="temporary", ttl_days="30",
                          description="Договор на поставку оборудования",
                          tags=f"договор,{marker}")
    assert uploaded.status_code == 201, uploaded.text
    record = uploaded.json()
    file_id = record["file_id"]
    assert record["sha256"] == sha256(content) and record["size"] == len(content)
    edit_se = api.storage_element("se-edit-1")
    rw_se = api.storage_element("se-rw-1")
    assert record["storage_element_id"] == edit_se["id"]

    # another word form finds it (Russian stemming)
    found = wait_for(lambda: api.search(q="договоры", tags=marker)["items"],
                     "the upload in the catalog")
    assert [item["file_id"] for item in found] == [file_id]

    # full and ranged downloads return the stored bytes
    full = api.download(file_id)
    assert full.status_code == 200 and sha256(full.content) == record["sha256"]
    assert full.headers["etag"].strip('"') == record["sha256"]
    assert "filename*=UTF-8''" in full.headers["content-disposition"]
    ranged = api.download(file_id, {"Range": "bytes=100-4195"})
    assert ranged.status_code == 206 and ranged.content == content[100:4196]
    assert ranged.headers["content-range"] == f"bytes 100-4195/{len(content)}"
    assert api.download(file_id, {"If-None-Match": full.headers["etag"]}).status_code == 304
    assert_error(api.download(file_id, {"Range": f"bytes={len(content) + 10}-"}), 416)
    assert rw_se["api_url"] not in full.text and "127.0.0.1:" not in str(full.headers)

    # finalize: same file_id on the rw SE, checksum verified, still downloadable
    accepted = api.admin("POST", f"/api/v1/files/{file_id}/finalize")
    assert accepted.status_code == 202, accepted.text
    saga = api.wait_saga(accepted.json()["id"], until=lambda s: s["state"] == "completed" or (
        s["current_step"] == "wait_safety_margin"))
    assert saga["state"] in ("running", "completed"), saga
    rw_ids = {rw_se["id"], api.storage_element("se-rw-2")["id"]}
    moved = wait_for(lambda: (m := api.in_catalog(file_id)) and m["storage_element_id"] in rw_ids
                     and {c["storage_element_id"] for c in m["copies"]
                          if c["state"] == "active"} >= rw_ids and m,
                     "the catalog to follow the file to both rw SEs (finalize's copy set)")
    home = moved["storage_element_id"]
    assert moved["retention_policy"] == "permanent"
    again = api.download(file_id)
    assert again.status_code == 200 and sha256(again.content) == record["sha256"]

    # rw → ro (both rw SEs of the suite): no rw SE left, permanent uploads answer 503
    switch_mode(api, rw_se["id"], "ro")
    switch_mode(api, api.storage_element("se-rw-2")["id"], "ro")

    def permanent_upload_refused() -> httpx.Response | None:
        response = api.upload("later.txt", b"permanent document", retention_policy="permanent")
        assert response.status_code in (201, 503), response.text
        return response if response.status_code == 503 else None

    refused = wait_for(permanent_upload_refused, "placement to see the ro SE")
    assert_error(refused, 503, "NO_STORAGE_AVAILABLE")
    assert int(refused.headers["retry-after"]) > 0

    # a new rw SE registered → permanent uploads go there
    extra = start_extra_rw_se(lifecycle_suite, suite_module, "se-rw-3")
    registered = api.admin("POST", "/api/v1/storage-elements", json={"api_url": extra.url})
    assert registered.status_code == 201, registered.text
    new_se_id = registered.json()["id"]

    def permanent_upload_placed() -> dict | None:
        response = api.upload("next.txt", b"permanent document", retention_policy="permanent")
        return response.json() if response.status_code == 201 else None

    placed = wait_for(permanent_upload_placed, "placement to see the new rw SE")
    assert placed["storage_element_id"] == new_se_id

    # ro → ar: metadata stays searchable, content answers 409 FILE_ARCHIVED
    switch_mode(api, home, "ar")
    wait_for(lambda: (m := api.in_catalog(file_id)) and m.get(
        "storage_element_mode") == "ar", "the catalog to see the ar mode", timeout=90)
    # The finalize source on the edit SE is kept for the safety margin and is a verified copy:
    # the download fails over to it (an ar copy counts, but is not online).
    served = api.download(file_id)
    assert served.status_code == 200 and sha256(served.content) == record["sha256"]
    copies = {c["storage_element_id"]: c["state"] for c in api.in_catalog(file_id)["copies"]}
    assert copies.get(home) == "active" and copies.get(edit_se["id"]) == "active"
    hits = api.search(q="договор", tags=marker)["items"]
    assert [item["file_id"] for item in hits] == [file_id]


def test_bad_input_is_refused_without_change(lifecycle_suite, api):
    before = api.search(limit=1)["total"]
    no_file = httpx.post(api.env["INGESTER_URL"] + "/api/v1/files", headers=api.headers,
                         data={"description": "nothing"}, files={"x": (None, "y")})
    assert_error(no_file, 422)
    two_files = httpx.post(api.env["INGESTER_URL"] + "/api/v1/files", headers=api.headers,
                           files=[("file", ("a.txt", b"a")), ("file", ("b.txt", b"b"))])
    assert_error(two_files, 422)
    assert_error(api.upload("a.txt", b"a", ttl_days="0"), 422)
    assert_error(api.upload("a.txt", b"a", ttl_days="400"), 422)
    assert_error(api.upload("a.txt", b"a", metadata="{not json"), 422)
    assert_error(api.upload("a.txt", b"a", retention_policy="forever"), 422)
    assert_error(httpx.get(api.env["QUERY_URL"] + "/api/v1/search", headers=api.headers,
                           params={"mode": "psychic"}), 422)
    assert_error(httpx.get(api.env["QUERY_URL"] + "/api/v1/search", headers=api.headers,
                           params={"size_min": 10, "size_max": 1}), 422)
    assert_error(api.metadata(str(uuid.uuid4())), 404, "FILE_NOT_FOUND")
    assert_error(api.metadata("not-a-uuid"), 422)
    assert_error(api.download(str(uuid.uuid4())), 404, "FILE_NOT_FOUND")
    assert_error(api.admin("POST", f"/api/v1/files/{uuid.uuid4()}/finalize"), 404)
    assert api.search(limit=1)["total"] == before


def test_tokens_without_files_scope_are_refused(lifecycle_suite, api):
    assert_error(httpx.post(api.env["INGESTER_URL"] + "/api/v1/files",
                            files={"file": ("a.txt", b"a")}), 401)
    assert_error(httpx.get(api.env["QUERY_URL"] + "/api/v1/search"), 401)
