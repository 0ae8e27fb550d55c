"""Issue 14 (SE side): provenance only from internal services, retention within the TTL
bounds, owner-only changes, If-Range. A real SE (in-process) on PostgreSQL and Redis."""

from __future__ import annotations

import os
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from se_test_helpers import assert_error, put

pytestmark = pytest.mark.integration

INTERNAL = ["files:read", "files:write", "files:delete", "storage:read", "files:replicate"]


@pytest.fixture()
def backend() -> str:
    return "local"  # the rules sit above the backend; one is enough here


def iso(when: datetime) -> str:
    return when.isoformat().replace("+00:00", "Z")


async def file_count(se) -> int:
    r = await se.client.get("/api/v1/files", headers=se.admin_headers)
    return r.json()["total"]


@pytest.fixture()
async def se(make_se, auth):
    handle = await make_se()
    handle.admin_headers = auth("ADMIN")
    return handle


class TestProvenance:
    @pytest.mark.parametrize("forged", [
        {"uploaded_by": {"id": "00000000-0000-0000-0000-000000000001", "name": "admin-service"}},
        {"created_at": "1970-01-01T00:00:00Z"},
        {"expires_at": "2999-01-01T00:00:00Z"},
    ])
    async def test_end_user_token_cannot_set_provenance_403_nothing_stored(
            self, se, auth, forged):
        r = await put(se.client, auth("USER"), **forged)
        assert_error(r, 403, "PROVENANCE_NOT_ALLOWED")
        assert await file_count(se) == 0 and se.storage_objects() == []

    async def test_uploader_comes_from_the_token(self, se, auth):
        subject = str(uuid.uuid4())
        r = await put(se.client, auth("USER", subject=subject, name="scanner-7"), ttl_days=3)
        assert r.status_code == 201, r.text
        meta = r.json()
        assert meta["uploaded_by"] == {"id": subject, "name": "scanner-7"}
        created = datetime.fromisoformat(meta["created_at"])
        assert abs(created - datetime.now(UTC)) < timedelta(minutes=5)
        expires = datetime.fromisoformat(meta["expires_at"])
        assert expires - created == timedelta(days=3)

    async def test_internal_copy_keeps_provenance(self, se, auth):
        created = datetime(2020, 5, 1, tzinfo=UTC)
        r = await put(se.client, auth("ADMIN", scopes=INTERNAL),
                      uploaded_by={"id": "u-1", "name": "orig"}, created_at=iso(created),
                      expires_at=iso(created + timedelta(days=30)))
        assert r.status_code == 201, r.text
        assert r.json()["uploaded_by"]["id"] == "u-1"
        assert datetime.fromisoformat(r.json()["created_at"]) == created

    @pytest.mark.parametrize("days", [0, 366, 365 * 1000])
    async def test_expiry_beyond_ttl_bounds_is_422_even_for_internal(self, se, auth, days):
        now = datetime.now(UTC)
        r = await put(se.client, auth("ADMIN", scopes=INTERNAL),
                      expires_at=iso(now + timedelta(days=days)))
        assert_error(r, 422, "INVALID_ATTRIBUTES")
        assert await file_count(se) == 0

    async def test_creation_time_in_the_future_is_422(self, se, auth):
        r = await put(se.client, auth("ADMIN", scopes=INTERNAL),
                      created_at=iso(datetime.now(UTC) + timedelta(days=2)))
        assert_error(r, 422, "INVALID_ATTRIBUTES")

    async def test_internal_scope_in_claim_but_admin_role_alone_is_not_internal(self, se, auth):
        r = await put(se.client, auth("ADMIN"), created_at="2001-01-01T00:00:00Z")
        assert_error(r, 403, "PROVENANCE_NOT_ALLOWED")


class TestOwnership:
    async def upload(self, se, auth, owner: str) -> str:
        file_id = str(uuid.uuid4())
        r = await put(se.client, auth("USER", subject=owner), file_id=file_id)
        assert r.status_code == 201, r.text
        return file_id

    async def test_user_changes_only_its_own_files(self, se, auth):
        alice, bob = str(uuid.uuid4()), str(uuid.uuid4())
        file_id = await self.upload(se, auth, alice)
        url = f"/api/v1/files/{file_id}"
        r = await se.client.patch(url, headers=auth("USER", subject=bob),
                                  json={"description": "hijacked"})
        assert_error(r, 403, "NOT_FILE_OWNER")
        assert (await se.client.get(url, headers=se.admin_headers)).json()["description"] is None
        r = await se.client.patch(url, headers=auth("USER", subject=alice),
                                  json={"description": "mine"})
        assert r.status_code == 200 and r.json()["description"] == "mine"

    async def test_admin_changes_any_file_and_a_non_owner_delete_is_refused(self, se, auth):
        file_id = await self.upload(se, auth, str(uuid.uuid4()))
        url = f"/api/v1/files/{file_id}"
        # a role with files:delete but not storage:admin, and not the owner
        deleter = auth("ADMIN", scopes=["files:delete"])
        assert_error(await se.client.delete(url, headers=deleter), 403, "NOT_FILE_OWNER")
        r = await se.client.patch(url, headers=se.admin_headers, json={"tags": ["x"]})
        assert r.status_code == 200
        assert (await se.client.delete(url, headers=se.admin_headers)).status_code == 204


class TestIfRange:
    async def test_if_range_matching_etag_gives_the_range_else_the_whole_file(self, se, auth):
        body = os.urandom(4096)
        r = await put(se.client, se.admin_headers, body=body)
        file_id, etag = r.json()["file_id"], f'"{r.json()["sha256"]}"'
        url = f"/api/v1/files/{file_id}/content"
        part = await se.client.get(url, headers={**se.admin_headers, "Range": "bytes=0-9",
                                                 "If-Range": etag})
        assert part.status_code == 206 and part.content == body[:10]
        for stale in ('"' + "0" * 64 + '"', "W/" + etag, "Wed, 21 Oct 2015 07:28:00 GMT"):
            full = await se.client.get(url, headers={**se.admin_headers, "Range": "bytes=0-9",
                                                     "If-Range": stale})
            assert full.status_code == 200 and full.content == body
            assert "content-range" not in full.headers
