"""A flipped byte in a stored file, with the storage element running as a real process:
the download is cut short (never a clean end), the file is quarantined and reported, and the
scrubber catches the same damage on another file. Both backends."""

from __future__ import annotations

import hashlib
import io
import os
import sys
import uuid
from pathlib import Path

import httpx
import pytest

from artstore_common.testing import ServiceProcess

sys.path.insert(0, str(Path(__file__).resolve().parent))
from se_process_support import attrs_header, se_env  # noqa: E402

pytestmark = [pytest.mark.e2e]


def _flip_byte(env: dict[str, str], storage_filename: str, offset: int) -> None:
    if env["SE_BACKEND"] == "local":
        path = next(Path(env["SE_DATA_DIR"]).rglob(storage_filename))
        data = bytearray(path.read_bytes())
        data[offset] ^= 0x40
        path.write_bytes(bytes(data))
        return
    from minio import Minio

    client = Minio(env["SE_S3_ENDPOINT_URL"].split("://", 1)[1], access_key="testing",
                   secret_key="testing", secure=False)
    bucket = env["SE_S3_BUCKET"]
    key = next(o.object_name for o in client.list_objects(bucket, recursive=True)
               if o.object_name.endswith(storage_filename))
    resp = client.get_object(bucket, key)
    data = bytearray(resp.read())
    resp.close()
    resp.release_conn()
    data[offset] ^= 0x40
    client.put_object(bucket, key, io.BytesIO(bytes(data)), len(data))


@pytest.mark.parametrize("backend", ["local", "s3"])
def test_flipped_byte_caught_by_download_and_scrubber(
    backend, tmp_path, make_database, stack_env, token_factory
):
    key_file = tmp_path / "jwt.pem"
    key_file.write_bytes(token_factory.public_pem)
    env = se_env(backend, tmp_path, make_database("se_fixity"), stack_env, str(key_file),
                 SE_CHUNK_BYTES=65536)
    headers = token_factory.headers("ADMIN")
    se = ServiceProcess("storage_element.main:create_app", env,
                        log_path=str(tmp_path / "se.log")).start(timeout=120)
    try:
        with httpx.Client(base_url=se.url, headers=headers, timeout=30) as client:
            metas = []
            for _ in range(3):
                body = os.urandom(1_000_000)
                r = client.put(f"/api/v1/files/{uuid.uuid4()}", content=body,
                               headers={"X-ArtStore-Attributes": attrs_header()})
                assert r.status_code == 201, r.text
                metas.append(r.json())
            downloaded, scrubbed, untouched = metas
            _flip_byte(env, downloaded["storage_filename"], 999_990)
            _flip_byte(env, scrubbed["storage_filename"], 10)

            url = f"/api/v1/files/{downloaded['file_id']}/content"
            received = bytearray()
            with pytest.raises(httpx.RemoteProtocolError):
                with client.stream("GET", url) as response:
                    assert response.status_code == 200
                    for chunk in response.iter_bytes():
                        received += chunk
            assert len(received) < downloaded["size"]
            r = client.get(url)
            assert r.status_code == 409 and r.json()["error"]["code"] == "FILE_QUARANTINED"

            result = client.post("/api/v1/maintenance/fixity").json()
            assert result["quarantined"] == [scrubbed["file_id"]]
            assert result["ok"] == 1

            report = client.get("/api/v1/maintenance/consistency").json()
            flagged = {item["file_id"] for item in report["issues"]["checksum_mismatch"]}
            assert flagged == {downloaded["file_id"], scrubbed["file_id"]}
            good = client.get(f"/api/v1/files/{untouched['file_id']}/content")
            assert hashlib.sha256(good.content).hexdigest() == untouched["sha256"]
            metrics = httpx.get(se.url + "/metrics").text
            assert 'artstore_se_fixity_results_total{outcome="mismatch",source="download"} 1.0' \
                in metrics
    finally:
        se.stop()
