"""Uploads through a real ingester process into real storage elements.

SEs: ``edit-a`` (priority 1, only 1 MiB real room: bigger files get its 507 before the body),
``edit-b`` (priority 2), ``rw-a`` (priority 1). The ingester's own token comes from the real
admin module; callers' tokens from the test token factory.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import sys
from pathlib import Path

import httpx
import pytest

from artstore_common.testing import ServiceProcess

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ingester_it_helpers import (  # noqa: E402
    ingester_env,
    publish,
    se_file_count,
    wait_ready_discovery,
)

pytestmark = [pytest.mark.integration, pytest.mark.e2e]

MiB = 1024 * 1024
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + os.urandom(2000)


@pytest.fixture(scope="module")
def cluster(start_se, admin_process, private_redis, public_key_file, tmp_path_factory, logs_dir):
    edit_a = start_se("edit-a", "edit", 1, capacity=1 * MiB)
    edit_b = start_se("edit-b", "edit", 2)
    rw_a = start_se("rw-a", "rw", 1)
    discovery_url = private_redis.rsplit("/", 1)[0] + "/7"
    publish(discovery_url, [edit_a, edit_b, rw_a])
    env = ingester_env(
        admin_process.url, discovery_url, public_key_file,
        tmp_path_factory.mktemp("ingester") / "discovery.json",
        MAX_FILE_SIZE=str(8 * MiB),
        ALLOWED_MIME_TYPES="text/*,image/png,application/pdf,application/octet-stream,"
                           "application/json",
    )
    ingester = ServiceProcess("ingester_module.main:create_app", env,
                              log_path=str(logs_dir / "ingester.log"), name="ingester").start()
    wait_ready_discovery(ingester.url, {str(edit_a.id), str(edit_b.id), str(rw_a.id)})
    yield {"ingester": ingester, "edit_a": edit_a, "edit_b": edit_b, "rw_a": rw_a}
    ingester.stop()


@pytest.fixture()
def client(cluster, token_factory):
    with httpx.Client(base_url=cluster["ingester"].url, timeout=60,
                      headers=token_factory.headers("USER", name="scanner-1")) as c:
        yield c


@pytest.fixture()
def se_headers(token_factory) -> dict[str, str]:
    return token_factory.headers("ADMIN")


def counts(cluster, headers) -> dict[str, int]:
    return {k: se_file_count(cluster[k], headers) for k in ("edit_a", "edit_b", "rw_a")}


def volumes(cluster) -> set[str]:
    return {str(p) for k in ("edit_a", "edit_b", "rw_a") for p in cluster[k].data_files()}


def settles_to(expected, probe, timeout: float = 15.0) -> bool:
    """An aborted SE upload is rolled back when the SE sees the connection drop, a moment
    after the ingester has answered: wait for that, never for a fixed time."""
    import time

    deadline = time.monotonic() + timeout
    while probe() != expected:
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def download(se, file_id: str, headers) -> bytes:
    response = httpx.get(f"{se.url}/api/v1/files/{file_id}/content", headers=headers, timeout=60)
    response.raise_for_status()
    return response.content


class TestUpload:
    def test_temporary_upload_goes_to_first_edit_se(self, client, cluster, se_headers) -> None:
        data = b"hello artstore\n" * 100
        response = client.post(
            "/api/v1/files",
            data={"description": "отчёт", "tags": "a,b", "metadata": '{"dept": "42"}'},
            files={"file": ("../../etc/отчёт.txt", data, "text/plain")},
        )
        assert response.status_code == 201, response.text
        body = response.json()
        assert body["original_filename"] == "отчёт.txt"
        assert body["size"] == len(data)
        assert body["sha256"] == hashlib.sha256(data).hexdigest()
        assert body["retention_policy"] == "temporary"
        assert body["expires_at"] is not None
        assert body["storage_element_id"] == str(cluster["edit_a"].id)
        assert body["compressed"] is False and body["stored_size"] == len(data)
        assert set(body) >= {"file_id", "content_type", "created_at"}
        assert response.headers["x-artstore-search-visible-within"] == "5"
        assert download(cluster["edit_a"], body["file_id"], se_headers) == data
        attrs = httpx.get(f"{cluster['edit_a'].url}/api/v1/files/{body['file_id']}",
                          headers=se_headers).json()
        assert attrs["uploaded_by"]["name"] == "scanner-1"
        assert attrs["custom"] == {"dept": "42"} and attrs["tags"] == ["a", "b"]

    def test_permanent_upload_goes_to_rw(self, client, cluster) -> None:
        response = client.post("/api/v1/files", data={"retention_policy": "permanent"},
                               files={"file": ("r.pdf", b"%PDF-1.4 record", "application/pdf")})
        assert response.status_code == 201, response.text
        assert response.json()["storage_element_id"] == str(cluster["rw_a"].id)
        assert response.json()["expires_at"] is None

    def test_full_se_answers_507_before_body_and_next_se_takes_it(
        self, client, cluster, se_headers
    ) -> None:
        data = os.urandom(2 * MiB)
        response = client.post("/api/v1/files", files={"file": ("big.bin", data)})
        assert response.status_code == 201, response.text
        body = response.json()
        assert body["storage_element_id"] == str(cluster["edit_b"].id)
        assert download(cluster["edit_b"], body["file_id"], se_headers) == data

    @pytest.mark.parametrize("algorithm", ["gzip", "br", "zstd"])
    def test_compression_recorded_and_original_bytes_returned(
        self, algorithm, client, cluster, se_headers
    ) -> None:
        data = ("строка для сжатия, line to compress\n" * 4000).encode()
        response = client.post("/api/v1/files", data={"compress": algorithm},
                               files={"file": ("log.txt", data, "text/plain")})
        assert response.status_code == 201, response.text
        body = response.json()
        assert body["compressed"] is True and body["stored_size"] < body["size"] == len(data)
        se = cluster["edit_a"] if body["storage_element_id"] == str(cluster["edit_a"].id) \
            else cluster["edit_b"]
        assert download(se, body["file_id"], se_headers) == data
        attrs = httpx.get(f"{se.url}/api/v1/files/{body['file_id']}", headers=se_headers).json()
        assert attrs["compression"]["algorithm"] == algorithm
        assert attrs["compression"]["stored_size"] == body["stored_size"]

    def test_compression_that_does_not_pay_is_skipped(self, client) -> None:
        response = client.post("/api/v1/files", data={"compress": "gzip"},
                               files={"file": ("noise.bin", os.urandom(300_000))})
        assert response.status_code == 201, response.text
        body = response.json()
        assert body["compressed"] is False and body["stored_size"] == body["size"]

    def test_already_compressed_type_is_not_compressed(self, client) -> None:
        response = client.post("/api/v1/files", data={"compress": "br"},
                               files={"file": ("pic.png", PNG, "image/png")})
        assert response.status_code == 201, response.text
        assert response.json()["compressed"] is False
        assert response.json()["content_type"] == "image/png"

    def test_chunked_request_without_content_length(self, client) -> None:
        boundary = "b0undary"
        payload = os.urandom(300_000)

        def body():
            yield f"--{boundary}\r\nContent-Disposition: form-data; name=\"ttl_days\"\r\n\r\n7" \
                  f"\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; " \
                  f"filename=\"s.bin\"\r\n\r\n".encode()
            for i in range(0, len(payload), 10_000):
                yield payload[i : i + 10_000]
            yield f"\r\n--{boundary}--\r\n".encode()

        response = client.post(
            "/api/v1/files", content=body(),
            headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
        )
        assert response.status_code == 201, response.text
        assert response.json()["sha256"] == hashlib.sha256(payload).hexdigest()


class TestBatch:
    def test_batch_gives_a_result_per_file(self, client, cluster) -> None:
        exe = b"MZ\x90\x00" + b"\x00" * 200
        response = client.post(
            "/api/v1/files/batch",
            data={"tags": "batch"},
            files=[("file", ("a.txt", b"first", "text/plain")),
                   ("file", ("evil.txt", exe, "text/plain")),
                   ("file", ("c.json", b'{"x": 1}', "application/json"))],
        )
        assert response.status_code == 207, response.text
        results = response.json()["results"]
        assert [r["status"] for r in results] == [201, 415, 201]
        assert [r["index"] for r in results] == [0, 1, 2]
        assert results[0]["file"]["original_filename"] == "a.txt"
        assert results[1]["error"]["code"] == "FILE_TYPE_NOT_ALLOWED"


def _multipart(parts: list[tuple[str, str | None, bytes]], boundary: str = "xyzzy") -> tuple:
    out = io.BytesIO()
    for name, filename, data in parts:
        disposition = f'form-data; name="{name}"'
        if filename is not None:
            disposition += f'; filename="{filename}"'
        out.write(f"--{boundary}\r\nContent-Disposition: {disposition}\r\n\r\n".encode())
        out.write(data + b"\r\n")
    out.write(f"--{boundary}--\r\n".encode())
    return out.getvalue(), {"Content-Type": f"multipart/form-data; boundary={boundary}"}


BAD_INPUTS = {
    "no_file_part": (422, "NO_FILE", [("description", None, b"x")]),
    "two_file_parts": (422, "TOO_MANY_FILES", [("file", "a.txt", b"a"), ("file", "b.txt", b"b")]),
    "field_after_file": (422, "FIELD_AFTER_FILE",
                         [("file", "a.txt", b"a" * 50_000), ("tags", None, b"late")]),
    "bad_ttl_days": (422, "INVALID_FIELD", [("ttl_days", None, b"400"), ("file", "a.txt", b"a")]),
    "ttl_not_a_number": (422, "INVALID_FIELD",
                         [("ttl_days", None, b"soon"), ("file", "a.txt", b"a")]),
    "ttl_with_permanent": (422, "INVALID_FIELD", [("retention_policy", None, b"permanent"),
                                                  ("ttl_days", None, b"3"),
                                                  ("file", "a.txt", b"a")]),
    "bad_retention_policy": (422, "INVALID_FIELD",
                             [("retention_policy", None, b"forever"), ("file", "a.txt", b"a")]),
    "invalid_metadata_json": (422, "INVALID_FIELD",
                              [("metadata", None, b"{not json"), ("file", "a.txt", b"a")]),
    "metadata_not_object": (422, "INVALID_FIELD",
                            [("metadata", None, b"[1, 2]"), ("file", "a.txt", b"a")]),
    "metadata_too_large": (422, "METADATA_TOO_LARGE",
                           [("metadata", None, json.dumps({"k": "v" * 5000}).encode()),
                            ("file", "a.txt", b"a")]),
    "unknown_field": (422, "UNKNOWN_FIELD", [("colour", None, b"red"), ("file", "a.txt", b"a")]),
    "blocked_type": (415, "FILE_TYPE_NOT_ALLOWED",
                     [("file", "setup.txt", b"MZ\x90\x00" + b"\x00" * 300)]),
    "empty_filename": (422, "INVALID_FILENAME", [("file", "../", b"a")]),
    "oversize_streamed": (413, "FILE_TOO_LARGE",
                          [("file", "huge.bin", b"\x00" * (8 * MiB + 1))]),
}


class TestBadInput:
    @pytest.mark.parametrize("case", sorted(BAD_INPUTS))
    def test_bad_input_is_refused_and_nothing_stored(
        self, case, client, cluster, se_headers
    ) -> None:
        status, code, parts = BAD_INPUTS[case]
        before, files_before = counts(cluster, se_headers), volumes(cluster)
        content, headers = _multipart(parts)
        if case == "oversize_streamed":
            def chunked():  # no Content-Length: the limit is found while streaming
                for i in range(0, len(content), MiB):
                    yield content[i : i + MiB]
            response = client.post("/api/v1/files", content=chunked(), headers=headers)
        else:
            response = client.post("/api/v1/files", content=content, headers=headers)
        assert response.status_code == status, response.text
        assert response.json()["error"]["code"] == code
        assert set(response.json()["error"]) == {"code", "message", "details"}
        assert counts(cluster, se_headers) == before
        assert settles_to(files_before, lambda: volumes(cluster))

    def test_declared_oversize_refused_before_reading(self, client) -> None:
        response = client.post("/api/v1/files", content=b"x" * 10,
                               headers={"Content-Type": "multipart/form-data; boundary=x",
                                        "Content-Length": "10"})
        assert response.status_code == 400  # a truncated body, not a crash
        assert response.json()["error"]["code"] == "MALFORMED_MULTIPART"
        big = client.post("/api/v1/files", files={"file": ("b.bin", b"\0" * (9 * MiB))})
        assert big.status_code == 413 and big.json()["error"]["code"] == "FILE_TOO_LARGE"

    def test_not_multipart(self, client) -> None:
        response = client.post("/api/v1/files", json={"file": "x"})
        assert response.status_code == 415
        assert response.json()["error"]["code"] == "UNSUPPORTED_MEDIA_TYPE"

    def test_no_token_401(self, cluster) -> None:
        response = httpx.post(cluster["ingester"].url + "/api/v1/files",
                              files={"file": ("a.txt", b"a")})
        assert response.status_code == 401

    def test_readonly_role_cannot_upload_403(self, cluster, token_factory) -> None:
        response = httpx.post(cluster["ingester"].url + "/api/v1/files",
                              files={"file": ("a.txt", b"a")},
                              headers=token_factory.headers("READONLY"))
        assert response.status_code == 403

    def test_unknown_role_cannot_upload_403(self, cluster, token_factory) -> None:
        response = httpx.post(cluster["ingester"].url + "/api/v1/files",
                              files={"file": ("a.txt", b"a")},
                              headers=token_factory.headers("SUPERUSER", scopes=["files:write"]))
        assert response.status_code == 403


class TestPlacementFailures:
    def test_no_writable_se_503_with_retry_after(self, client, cluster, private_redis) -> None:
        discovery_url = private_redis.rsplit("/", 1)[0] + "/7"
        publish(discovery_url, [cluster["rw_a"]])  # no edit SE at all
        try:
            ingester = cluster["ingester"]
            wait_ready_discovery(ingester.url, {str(cluster["rw_a"].id)})
            response = client.post("/api/v1/files", files={"file": ("a.txt", b"a")})
            assert response.status_code == 503
            assert response.json()["error"]["code"] == "NO_STORAGE_AVAILABLE"
            # The answer says why: no edit SE online at all (not one passed over).
            assert response.json()["error"]["details"] == {"mode": "edit", "online": 0,
                                                           "tried": []}
            assert int(response.headers["Retry-After"]) > 0
        finally:
            publish(discovery_url, [cluster["edit_a"], cluster["edit_b"], cluster["rw_a"]])
            wait_ready_discovery(cluster["ingester"].url, {"a", "b", "c"})

    def test_gzip_member_is_stored_as_is(self, client) -> None:
        packed = gzip.compress(b"x" * 10000)
        response = client.post("/api/v1/files", data={"compress": "true"},
                               files={"file": ("x.txt.gz", packed, "application/gzip")})
        # application/gzip is not on this ingester's allow-list
        assert response.status_code == 415


class TestClientGoesAway:
    def test_client_disconnect_mid_file_stores_nothing(
        self, cluster, token_factory, se_headers
    ) -> None:
        import socket
        import time

        before = counts(cluster, se_headers)
        boundary = "gone"
        head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; "
                f"filename=\"gone.bin\"\r\n\r\n").encode()
        url = httpx.URL(cluster["ingester"].url)
        token = token_factory.issue("USER")
        request = (
            f"POST /api/v1/files HTTP/1.1\r\nHost: {url.host}\r\n"
            f"Authorization: Bearer {token}\r\n"
            f"Content-Type: multipart/form-data; boundary={boundary}\r\n"
            f"Content-Length: {len(head) + 4 * MiB}\r\n\r\n"
        ).encode() + head + os.urandom(600_000)
        with socket.create_connection((url.host, url.port)) as sock:
            sock.sendall(request)
            time.sleep(0.5)  # the ingester is streaming it to edit-a / edit-b now
        assert settles_to(before, lambda: counts(cluster, se_headers))
        assert settles_to([], lambda: [p for k in ("edit_a", "edit_b")
                                       for p in cluster[k].data_files() if "gone" in p.name])


class TestConcurrencyAndBreakers:
    def test_parallel_uploads_all_stored_intact(self, cluster, token_factory) -> None:
        from concurrent.futures import ThreadPoolExecutor

        headers = token_factory.headers("USER")
        payloads = [os.urandom(200_000 + i * 50_000) for i in range(8)]

        def send(data: bytes) -> httpx.Response:
            return httpx.post(cluster["ingester"].url + "/api/v1/files", headers=headers,
                              files={"file": ("p.bin", data)}, timeout=120)

        with ThreadPoolExecutor(8) as pool:
            responses = list(pool.map(send, payloads))
        assert [r.status_code for r in responses] == [201] * 8
        for response, data in zip(responses, payloads, strict=True):
            assert response.json()["sha256"] == hashlib.sha256(data).hexdigest()

    def test_unreachable_se_is_skipped_and_its_breaker_opens(
        self, client, cluster, private_redis
    ) -> None:
        import uuid

        from artstore_common.contracts import DiscoveredStorageElement
        from artstore_common.testing import free_port

        dead = DiscoveredStorageElement(  # registered, says online, but nothing listens
            id=uuid.uuid4(), name="edit-dead", api_url=f"http://127.0.0.1:{free_port()}",
            mode="edit", status="online", priority=0, capacity_bytes=1024 * MiB,
            used_bytes=0, file_count=0)
        discovery_url = private_redis.rsplit("/", 1)[0] + "/7"
        everyone = [cluster["edit_a"], cluster["edit_b"], cluster["rw_a"]]
        publish(discovery_url, [dead, *everyone])
        try:
            wait_ready_discovery(cluster["ingester"].url, {"1", "2", "3", "4"})
            for _ in range(4):  # SE_BREAKER_FAILURES defaults to 3
                response = client.post("/api/v1/files", files={"file": ("d.txt", b"data")})
                assert response.status_code == 201, response.text
                assert response.json()["storage_element_id"] in (
                    str(cluster["edit_a"].id), str(cluster["edit_b"].id))
            ready = httpx.get(cluster["ingester"].url + "/health/ready").json()
            breakers = ready["checks"]["circuit_breakers"]
            assert breakers["status"] == "degraded"
            assert str(dead.id) in breakers["detail"]["not_closed"]
            metrics = httpx.get(cluster["ingester"].url + "/metrics").text
            assert 'artstore_ingest_placement_failures_total{reason="unreachable"}' in metrics
            assert 'artstore_ingest_placement_failures_total{reason="breaker_open"}' in metrics
        finally:
            publish(discovery_url, everyone)
            wait_ready_discovery(cluster["ingester"].url, {"a", "b", "c"})
