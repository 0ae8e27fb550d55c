"""Check integrity now (``POST /api/v1/files/{id}/verify``) and moving a temporary file's
expiry later (``PATCH expires_at``), issue 16."""

from __future__ import annotations

import os
from datetime import datetime, timedelta

import pytest
from se_test_helpers import assert_error, put

pytestmark = pytest.mark.integration


def flip_byte(se, file_id: str, at: int) -> None:
    backend = se.ctx.backend
    attrs_path = next(p for p in se.storage_objects() if file_id in p and p.endswith(".attr.json"))
    path = attrs_path.removesuffix(".attr.json")
    data = bytearray(backend.get_bytes(path))
    data[at] ^= 0x01
    backend.put_bytes(path, bytes(data))


class TestVerifyNow:
    async def test_a_good_copy_is_recorded_like_the_scrubber_does(self, make_se, auth):
        se = await make_se()
        meta = (await put(se.client, auth(), os.urandom(5000))).json()
        r = await se.client.post(f"/api/v1/files/{meta['file_id']}/verify", headers=auth())
        assert r.status_code == 200, r.text
        result = r.json()
        assert result["outcome"] == "ok" and result["quarantined"] is False
        assert result["fixity_status"] == "ok"
        assert result["storage_element_id"] == str(se.ctx.se_id)
        stored = (await se.client.get(f"/api/v1/files/{meta['file_id']}", headers=auth())).json()
        assert stored["last_verified_at"] == result["last_verified_at"] is not None

    async def test_a_flipped_byte_is_found_and_quarantined(self, make_se, auth):
        se = await make_se()
        meta = (await put(se.client, auth(), os.urandom(5000))).json()
        flip_byte(se, meta["file_id"], 4321)
        result = (await se.client.post(f"/api/v1/files/{meta['file_id']}/verify",
                                       headers=auth())).json()
        assert result["outcome"] == "mismatch" and result["quarantined"] is True
        assert result["fixity_status"] == "mismatch" and result["last_verified_at"]
        r = await se.client.get(f"/api/v1/files/{meta['file_id']}/content", headers=auth())
        assert_error(r, 409, "FILE_QUARANTINED")
        report = (await se.client.get("/api/v1/maintenance/consistency", headers=auth())).json()
        assert [i["file_id"] for i in report["issues"]["checksum_mismatch"]] == [meta["file_id"]]

    async def test_needs_storage_admin_and_a_known_file(self, make_se, auth):
        se = await make_se()
        meta = (await put(se.client, auth(), b"abc")).json()
        r = await se.client.post(f"/api/v1/files/{meta['file_id']}/verify", headers=auth("USER"))
        assert_error(r, 403)
        stored = (await se.client.get(f"/api/v1/files/{meta['file_id']}", headers=auth())).json()
        assert stored["last_verified_at"] is None
        r = await se.client.post(f"/api/v1/files/{os.urandom(16).hex()}/verify", headers=auth())
        assert_error(r, 404, "FILE_NOT_FOUND")
        assert_error(await se.client.post("/api/v1/files/nope/verify", headers=auth()), 422)


class TestExtendExpiry:
    async def test_only_later_and_within_the_ttl_bound(self, make_se, auth):
        se = await make_se()
        meta = (await put(se.client, auth(), b"temp", retention_policy="temporary",
                          ttl_days=10)).json()
        url = f"/api/v1/files/{meta['file_id']}"
        expires = datetime.fromisoformat(meta["expires_at"])
        created = datetime.fromisoformat(meta["created_at"])
        later = expires + timedelta(days=20)
        r = await se.client.patch(url, headers=auth(), json={"expires_at": later.isoformat()})
        assert r.status_code == 200, r.text
        assert datetime.fromisoformat(r.json()["expires_at"]) == later
        assert r.json()["ttl_days"] == 10  # the upload's own TTL stays on record

        for value, status, code in [
            (expires, 409, "EXPIRES_AT_EARLIER"),
            (created + timedelta(days=366), 422, "EXPIRES_AT_TOO_LATE"),
        ]:
            r = await se.client.patch(url, headers=auth(), json={"expires_at": value.isoformat()})
            assert_error(r, status, code)
        assert_error(await se.client.patch(url, headers=auth(),
                                           json={"expires_at": "2030-01-01T00:00:00"}), 422)
        stored = (await se.client.get(url, headers=auth())).json()
        assert datetime.fromisoformat(stored["expires_at"]) == later

    async def test_a_permanent_file_has_no_expiry_to_extend(self, make_se, auth):
        se = await make_se(SE_MODE="rw")
        meta = (await put(se.client, auth(), b"perm", retention_policy="permanent")).json()
        r = await se.client.patch(f"/api/v1/files/{meta['file_id']}", headers=auth(),
                                  json={"expires_at": "2030-01-01T00:00:00Z"})
        assert_error(r, 409, "FILE_NOT_TEMPORARY")

    async def test_someone_elses_file_is_refused(self, make_se, auth):
        se = await make_se()
        meta = (await put(se.client, auth("USER"), b"temp", retention_policy="temporary")).json()
        later = datetime.fromisoformat(meta["expires_at"]) + timedelta(days=1)
        r = await se.client.patch(f"/api/v1/files/{meta['file_id']}", headers=auth("USER"),
                                  json={"expires_at": later.isoformat()})
        assert_error(r, 403, "NOT_FILE_OWNER")


class TestFixitySummary:
    async def test_counts_follow_the_checks(self, make_se, auth):
        se = await make_se()
        metas = [(await put(se.client, auth(), os.urandom(3000))).json() for _ in range(3)]
        r = await se.client.get("/api/v1/maintenance/fixity", headers=auth("readonly"))
        assert r.status_code == 200, r.text
        assert {k: r.json()[k] for k in ("files", "verified", "quarantined", "never_verified",
                                          "last_verified_at")} == {
            "files": 3, "verified": 0, "quarantined": 0, "never_verified": 3,
            "last_verified_at": None}
        flip_byte(se, metas[0]["file_id"], 100)
        for meta in metas[:2]:
            await se.client.post(f"/api/v1/files/{meta['file_id']}/verify", headers=auth())
        summary = (await se.client.get("/api/v1/maintenance/fixity", headers=auth())).json()
        assert (summary["verified"], summary["quarantined"], summary["never_verified"]) == (1, 1, 1)
        assert summary["last_verified_at"] is not None
        assert summary["storage_element_id"] == str(se.ctx.se_id)
        assert_error(await se.client.get("/api/v1/maintenance/fixity", headers=auth("USER")), 403)
