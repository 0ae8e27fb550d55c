"""File-page actions of issue 16 through the admin module, against the real suite:
``POST /api/v1/files/{id}/verify`` re-hashes every copy now (a flipped byte on disk is found
and that copy quarantined, as the fixity scrubber would), ``PUT /api/v1/files/{id}/expires-at``
moves a temporary file's expiry later on every copy. Both audited and scope-checked.

Set ARTSTORE_UI_RUN_ENV=<run.env> to use a suite that is already running.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pytest
from e2e_support import Api, assert_error, new_account, token_of, wait_for

pytestmark = pytest.mark.e2e


def upload(api: Api, policy: str = "temporary", **fields: str) -> dict:
    r = api.upload(f"i16-act-{uuid.uuid4().hex[:6]}.txt", b"fixity " + uuid.uuid4().bytes * 500,
                   retention_policy=policy, **fields)
    assert r.status_code == 201, r.text
    return r.json()


def stored_copies(system: Api, file_id: str) -> dict[str, dict]:
    out = {}
    for se in system.storage_elements():
        r = httpx.get(f"{se['api_url']}/api/v1/files/{file_id}", headers=system.headers,
                      timeout=30)
        if r.status_code == 200:
            out[se["name"]] = r.json()
    return out


def flip_a_byte(system: Api, file_id: str) -> str:
    """Damage one local copy on disk; the name of its SE."""
    for directory in system.env["SE_DATA_DIRS"].split(","):
        sidecar = next(Path(directory).rglob(f"*{file_id}*.attr.json"), None)
        if sidecar is not None:
            data = sidecar.with_name(sidecar.name.removesuffix(".attr.json"))
            rotten = bytearray(data.read_bytes())
            rotten[len(rotten) // 3] ^= 0x01
            data.write_bytes(bytes(rotten))
            return Path(directory).name
    raise AssertionError("no local copy to damage")


def audit_of(system: Api, action: str, file_id: str) -> list[dict]:
    r = system.admin("GET", "/api/v1/audit", params={"action": action, "resource_id": file_id})
    assert r.status_code == 200, r.text
    return r.json()["items"]


class TestVerifyNow:
    def test_every_copy_is_checked_and_the_time_recorded(self, system):
        file_id = upload(system, "permanent")["file_id"]
        r = system.admin("POST", f"/api/v1/files/{file_id}/verify")
        assert r.status_code == 200, r.text
        copies = r.json()["copies"]
        assert len(copies) == 2
        assert {c["outcome"] for c in copies} == {"ok"}
        stored = stored_copies(system, file_id)
        for copy in copies:
            assert copy["quarantined"] is False
            assert stored[copy["storage_element_name"]]["last_verified_at"] == \
                copy["last_verified_at"]
        (entry,) = audit_of(system, "file.verified", file_id)
        assert entry["outcome"] == "success"
        assert set(entry["details"]["copies"].values()) == {"ok"}

    def test_a_flipped_byte_is_found_on_its_copy_only_and_quarantined(self, system):
        file_id = upload(system, "permanent")["file_id"]
        damaged = flip_a_byte(system, file_id)
        copies = {c["storage_element_name"]: c for c in
                  system.admin("POST", f"/api/v1/files/{file_id}/verify").json()["copies"]}
        assert copies[damaged]["outcome"] == "mismatch" and copies[damaged]["quarantined"]
        (healthy,) = (c for name, c in copies.items() if name != damaged)
        assert healthy["outcome"] == "ok" and not healthy["quarantined"]
        (entry,) = audit_of(system, "file.verified", file_id)
        assert entry["outcome"] == "failure"
        # The download never serves the damaged copy: it fails over to the healthy one.
        wait_for(lambda: system.download(file_id).status_code == 200, "a healthy download")

    def test_needs_storage_admin_and_a_known_file(self, system):
        file_id = upload(system)["file_id"]
        user = Api(system.env, token_of(system.env, new_account(system, "USER", prefix="i16")))
        assert_error(user.admin("POST", f"/api/v1/files/{file_id}/verify"), 403)
        (attrs,) = stored_copies(system, file_id).values()
        assert attrs["last_verified_at"] is None
        assert_error(system.admin("POST", f"/api/v1/files/{uuid.uuid4()}/verify"), 404,
                     "FILE_NOT_FOUND")
        assert_error(system.admin("POST", "/api/v1/files/not-an-id/verify"), 422)


class TestExtendExpiry:
    def test_a_temporary_file_lives_longer_on_every_copy(self, system):
        stored = upload(system)
        file_id = stored["file_id"]
        later = (datetime.fromisoformat(stored["expires_at"]) + timedelta(days=45))
        r = system.admin("PUT", f"/api/v1/files/{file_id}/expires-at",
                         json={"expires_at": later.isoformat()})
        assert r.status_code == 200, r.text
        for attrs in stored_copies(system, file_id).values():
            assert datetime.fromisoformat(attrs["expires_at"]) == later
        (entry,) = audit_of(system, "file.expiry_extended", file_id)
        assert datetime.fromisoformat(entry["details"]["to"]) == later
        wait_for(lambda: datetime.fromisoformat(
            (system.in_catalog(file_id) or {}).get("expires_at") or "2000-01-01T00:00:00Z")
            == later, "the catalogue to show the new expiry")

    def test_refusals_change_nothing(self, system):
        stored = upload(system)
        file_id = stored["file_id"]
        expires = datetime.fromisoformat(stored["expires_at"])
        created = datetime.fromisoformat(stored["created_at"])
        url = f"/api/v1/files/{file_id}/expires-at"
        for body, status, code in [
            ({"expires_at": (expires - timedelta(days=1)).isoformat()}, 409, "EXPIRES_AT_EARLIER"),
            ({"expires_at": (created + timedelta(days=400)).isoformat()}, 422,
             "EXPIRES_AT_TOO_LATE"),
            ({"expires_at": "2030-01-01T00:00:00"}, 422, None),  # no time zone
            ({"expires_at": "soon"}, 422, None),
            ({}, 422, None),
        ]:
            assert_error(system.admin("PUT", url, json=body), status, code)
        other = Api(system.env, token_of(system.env, new_account(system, "USER", prefix="i16")))
        assert_error(other.admin("PUT", url, json={
            "expires_at": (expires + timedelta(days=1)).isoformat()}), 403, "NOT_FILE_OWNER")
        (attrs,) = stored_copies(system, file_id).values()
        assert datetime.fromisoformat(attrs["expires_at"]) == expires
        assert audit_of(system, "file.expiry_extended", file_id) == []

    def test_a_permanent_file_has_no_expiry(self, system):
        file_id = upload(system, "permanent")["file_id"]
        assert_error(system.admin("PUT", f"/api/v1/files/{file_id}/expires-at",
                                  json={"expires_at": "2030-01-01T00:00:00Z"}), 409,
                     "FILE_NOT_TEMPORARY")
