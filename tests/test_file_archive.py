"""``POST /api/v1/files/archive`` against the real suite: a selection comes back as one ZIP,
streamed from the SEs, each member checked against the catalogue's SHA-256; bad input is a
clear 4xx before any byte of an archive; a rotted copy never yields a complete archive.

Set ARTSTORE_UI_RUN_ENV=<run.env> to use a suite that is already running.
"""

from __future__ import annotations

import io
import os
import uuid
import zipfile
from pathlib import Path

import httpx
import pytest
from e2e_support import Api, assert_error, client_token, sha256, wait_for

pytestmark = pytest.mark.e2e


def upload(api: Api, name: str, body: bytes, policy: str = "temporary") -> str:
    r = api.upload(name, body, retention_policy=policy)
    assert r.status_code == 201, r.text
    file_id = r.json()["file_id"]
    wait_for(lambda: api.in_catalog(file_id), f"{file_id} in the catalogue")
    return file_id


def archive(api: Api, ids: list[str], headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.post(api.env["QUERY_URL"] + "/api/v1/files/archive", json={"file_ids": ids},
                      headers=api.headers if headers is None else headers, timeout=120)


class TestArchive:
    def test_a_selection_comes_back_as_one_zip_with_every_file_intact(self, system):
        first_body = "Отчёт о сверке\n".encode() * 2000
        first = upload(system, "отчёт.txt", first_body)
        second_body = uuid.uuid4().bytes * 5000
        second = upload(system, "отчёт.txt", second_body)
        big_body = os.urandom(3 * 1024 * 1024)  # several chunks, not compressible
        third = upload(system, "скан.bin", big_body, "permanent")
        r = archive(system, [first, second, third, first])
        assert r.status_code == 200, r.text
        assert r.headers["content-type"] == "application/zip"
        assert "attachment" in r.headers["content-disposition"]
        with zipfile.ZipFile(io.BytesIO(r.content)) as zf:
            assert zf.testzip() is None  # every member's CRC-32 holds
            assert zf.namelist() == ["отчёт.txt", "отчёт (2).txt", "скан.bin"]
            assert sha256(zf.read("отчёт.txt")) == sha256(first_body)
            assert zf.read("отчёт (2).txt") == second_body
            assert sha256(zf.read("скан.bin")) == sha256(big_body)

    def test_a_readonly_token_may_download_an_archive(self, system):
        file_id = upload(system, "read.txt", b"read only")
        r = system.admin("POST", "/api/v1/service-accounts",
                         json={"name": f"zip-{uuid.uuid4().hex[:6]}", "role": "READONLY"})
        assert r.status_code == 201, r.text
        reader = Api(system.env, client_token(system.env["ADMIN_URL"], r.json()["client_id"],
                                              r.json()["client_secret"]))
        answer = archive(reader, [file_id])
        assert answer.status_code == 200, answer.text
        assert zipfile.ZipFile(io.BytesIO(answer.content)).read("read.txt") == b"read only"

    def test_without_a_token_it_is_401(self, system):
        file_id = upload(system, "anon.txt", b"x")
        assert_error(archive(system, [file_id], headers={}), 401)

    @pytest.mark.parametrize("body", [
        {"file_ids": []},
        {"file_ids": ["not-a-uuid"]},
        {"file_ids": [str(uuid.uuid4())], "password": "x"},
        {"ids": [str(uuid.uuid4())]},
    ])
    def test_bad_input_is_422(self, system, body):
        r = httpx.post(system.env["QUERY_URL"] + "/api/v1/files/archive", json=body,
                       headers=system.headers, timeout=30)
        assert_error(r, 422)

    def test_more_files_than_the_limit_are_refused(self, system):
        ids = [str(uuid.uuid4()) for _ in range(1001)]  # ARCHIVE_MAX_FILES defaults to 1000
        error = assert_error(archive(system, ids), 422, "ARCHIVE_TOO_MANY_FILES")
        assert error["details"]["limit"] == 1000

    def test_an_unknown_file_is_404_before_any_byte_is_sent(self, system):
        known = upload(system, "known.txt", b"known")
        missing = str(uuid.uuid4())
        error = assert_error(archive(system, [known, missing]), 404, "FILE_NOT_FOUND")
        assert error["details"]["file_id"] == missing

    def test_a_rotted_copy_never_yields_a_complete_archive(self, system):
        body = b"rot me " * 5000
        file_id = upload(system, "rotten.txt", body)
        dirs = {Path(d).name: Path(d) for d in system.env["SE_DATA_DIRS"].split(",")}
        sidecar = next(dirs["se-edit-1"].rglob(f"*{file_id}*.attr.json"))
        data = sidecar.with_name(sidecar.name.removesuffix(".attr.json"))
        rotten = bytearray(data.read_bytes())
        rotten[len(rotten) // 2] ^= 0x01
        data.write_bytes(bytes(rotten))
        good = upload(system, "good.txt", b"good")
        received = b""
        with pytest.raises(httpx.HTTPError):  # the stream is cut, not finished
            with httpx.stream("POST", system.env["QUERY_URL"] + "/api/v1/files/archive",
                              json={"file_ids": [good, file_id]}, headers=system.headers,
                              timeout=120) as r:
                assert r.status_code == 200
                for chunk in r.iter_bytes():
                    received += chunk
        with pytest.raises(zipfile.BadZipFile):
            zipfile.ZipFile(io.BytesIO(received))
