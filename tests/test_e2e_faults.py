"""Faults across the whole suite (SPEC §1.6, §2.2, §2.4): Redis going away, a storage element
killed mid-upload, the query module restarted. Each test leaves the suite running again."""

from __future__ import annotations

import threading
import time
import uuid

import httpx
import pytest
from e2e_support import Api, sha256, wait_for

pytestmark = pytest.mark.e2e


def tagged(api: Api, tag: str) -> list[dict]:
    return api.search(tags=tag, limit=1000)["items"]


def test_redis_outage_during_uploads_loses_nothing(suite, suite_module, api):
    tag = "redis-" + uuid.uuid4().hex[:8]
    stack_dir = suite.root / "stack"
    acknowledged: dict[str, str] = {}
    for i in range(5):
        response = api.upload(f"before-{i}.txt", f"before {i} {tag}".encode(), tags=tag)
        assert response.status_code == 201, response.text
        acknowledged[response.json()["file_id"]] = response.json()["sha256"]

    suite_module.stack.stop(["redis"], stack_dir)
    try:
        for i in range(10):
            body = f"during outage {i} {tag}".encode()
            response = api.upload(f"during-{i}.txt", body, tags=tag)
            assert response.status_code == 201, response.text
            assert response.json()["sha256"] == sha256(body)
            acknowledged[response.json()["file_id"]] = response.json()["sha256"]
    finally:
        suite_module.stack.start(["redis"], stack_dir, fast=True)

    for i in range(5):
        response = api.upload(f"after-{i}.txt", f"after {i} {tag}".encode(), tags=tag)
        assert response.status_code == 201, response.text
        acknowledged[response.json()["file_id"]] = response.json()["sha256"]

    converged = wait_for(lambda: (items := tagged(api, tag)) and len(items) == len(
        acknowledged) and items, "the catalog to converge after Redis returned", timeout=120)
    assert {item["file_id"]: item["sha256"] for item in converged} == acknowledged


def test_storage_element_killed_mid_upload_leaves_nothing_visible(suite, api):
    tag = "killed-" + uuid.uuid4().hex[:8]
    name = f"partial-{tag}.bin"
    outcome: dict = {}
    sent = threading.Event()

    def slow_body():
        chunk = b"x" * (256 * 1024)
        for i in range(400):  # up to 100 MiB, slowly, so the kill lands mid-stream
            if i == 8:
                sent.set()
            yield chunk
            time.sleep(0.01)

    def upload() -> None:
        boundary = "artstoreboundary"
        head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"tags\"\r\n\r\n{tag}\r\n"
                f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; "
                f"filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n")

        def body():
            yield head.encode()
            yield from slow_body()
            yield f"\r\n--{boundary}--\r\n".encode()

        try:
            response = httpx.post(api.env["INGESTER_URL"] + "/api/v1/files",
                                  headers={**api.headers, "Content-Type":
                                           f"multipart/form-data; boundary={boundary}"},
                                  content=body(), timeout=120.0)
            outcome["status"] = response.status_code
            outcome["body"] = response.text
        except httpx.HTTPError as exc:
            outcome["error"] = repr(exc)

    thread = threading.Thread(target=upload)
    thread.start()
    assert sent.wait(60)
    suite.kill("se-edit-1")
    thread.join(120)
    assert outcome.get("status", 0) >= 500 or "error" in outcome, outcome
    suite.restart("se-edit-1")

    # once placement trusts the SE again (breaker half-open, health poll), a later upload
    # shows up; the killed one never does
    def marker_upload() -> httpx.Response | None:
        response = api.upload(f"marker-{tag}.txt", b"after the crash", tags=tag)
        assert response.status_code in (201, 503), response.text
        return response if response.status_code == 201 else None

    marker = wait_for(marker_upload, "uploads to the restarted SE", timeout=180, interval=2)
    wait_for(lambda: api.in_catalog(marker.json()["file_id"]), "the marker in the catalog")
    items = tagged(api, tag)
    assert [item["original_filename"] for item in items] == [f"marker-{tag}.txt"]
    assert api.search(q=name, mode="exact")["total"] == 0


def test_query_restart_resumes_without_gaps_or_duplicates(suite, api):
    tag = "resume-" + uuid.uuid4().hex[:8]
    first = api.upload("first.txt", b"first " + tag.encode(), tags=tag)
    assert first.status_code == 201
    wait_for(lambda: api.in_catalog(first.json()["file_id"]), "the first upload indexed")

    suite.kill("query")
    uploaded = {first.json()["file_id"]}
    for i in range(12):
        response = api.upload(f"while-down-{i}.txt", f"{i} {tag}".encode(), tags=tag)
        assert response.status_code == 201, response.text
        uploaded.add(response.json()["file_id"])
    suite.restart("query")

    items = wait_for(lambda: (found := tagged(api, tag)) and len(found) >= len(uploaded)
                     and found, "the restarted query module to catch up", timeout=120)
    ids = [item["file_id"] for item in items]
    assert len(ids) == len(set(ids)) == len(uploaded)
    assert set(ids) == uploaded
