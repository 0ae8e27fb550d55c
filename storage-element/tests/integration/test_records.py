"""Issue 15 (SE side): legal holds and retain_until live in the sidecar, need
``records:write``, survive a rebuild of the index from sidecars, and block deletion;
retain_until only moves later. A real SE (in-process) on PostgreSQL and Redis."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from se_test_helpers import assert_error, put
from sqlalchemy import text

pytestmark = pytest.mark.integration


@pytest.fixture()
def backend() -> str:
    return "local"


@pytest.fixture()
async def se(make_se):
    return await make_se()


async def stored(se, auth, role: str = "USER", **attrs) -> tuple[str, dict]:
    owner = auth(role, subject=str(uuid.uuid4()))
    r = await put(se.client, owner, ttl_days=1, **attrs)
    assert r.status_code == 201, r.text
    return r.json()["file_id"], owner


class TestLegalHolds:
    async def test_held_file_refuses_delete_until_released(self, se, auth):
        file_id, owner = await stored(se, auth)
        hold = str(uuid.uuid4())
        r = await se.client.put(f"/api/v1/files/{file_id}/holds/{hold}",
                                headers=auth("RECORDS_MANAGER"))
        assert r.status_code == 200, r.text
        assert r.json()["legal_holds"] == [hold]
        again = await se.client.put(f"/api/v1/files/{file_id}/holds/{hold}",
                                    headers=auth("RECORDS_MANAGER"))
        assert again.json()["legal_holds"] == [hold]  # idempotent
        err = assert_error(await se.client.delete(f"/api/v1/files/{file_id}",
                                                  headers=auth("ADMIN")), 409, "FILE_ON_HOLD")
        assert err["details"]["legal_holds"] == [hold]
        assert (await se.client.get(f"/api/v1/files/{file_id}", headers=owner)).status_code == 200

        r = await se.client.delete(f"/api/v1/files/{file_id}/holds/{hold}",
                                   headers=auth("RECORDS_MANAGER"))
        assert r.status_code == 200 and r.json()["legal_holds"] == []
        r = await se.client.delete(f"/api/v1/files/{file_id}", headers=auth("ADMIN"))
        assert r.status_code == 204, r.text

    @pytest.mark.parametrize("role", ["USER", "AUDITOR", "READONLY"])
    async def test_holds_need_records_write(self, se, auth, role):
        file_id, owner = await stored(se, auth)
        url = f"/api/v1/files/{file_id}/holds/{uuid.uuid4()}"
        assert_error(await se.client.put(url, headers=auth(role)), 403, "INSUFFICIENT_SCOPE")
        assert_error(await se.client.put(url, headers=owner), 403, "INSUFFICIENT_SCOPE")
        assert (await se.client.get(f"/api/v1/files/{file_id}",
                                    headers=owner)).json()["legal_holds"] == []

    async def test_end_users_cannot_upload_holds_or_retain_until(self, se, auth):
        for forged in ({"legal_holds": [str(uuid.uuid4())]},
                       {"retain_until": "2999-01-01T00:00:00Z"}):
            r = await put(se.client, auth("USER"), **forged)
            assert_error(r, 403, "PROVENANCE_NOT_ALLOWED")

    async def test_a_rebuilt_index_keeps_holds_and_retain_until(self, se, auth):
        file_id, owner = await stored(se, auth)
        hold = str(uuid.uuid4())
        rm = auth("RECORDS_MANAGER")
        await se.client.put(f"/api/v1/files/{file_id}/holds/{hold}", headers=rm)
        keep = "2030-01-01T00:00:00+00:00"
        await se.client.put(f"/api/v1/files/{file_id}/retain-until", headers=rm,
                            json={"retain_until": keep})
        async with se.app.state.se.sessionmaker() as session:
            await session.execute(text("DELETE FROM files"))
            await session.commit()
        assert (await se.client.get(f"/api/v1/files/{file_id}", headers=owner)).status_code == 404
        r = await se.client.post("/api/v1/maintenance/rebuild", headers=auth("ADMIN"))
        assert r.status_code == 200, r.text
        meta = (await se.client.get(f"/api/v1/files/{file_id}", headers=owner)).json()
        assert meta["legal_holds"] == [hold]
        assert datetime.fromisoformat(meta["retain_until"]) == datetime.fromisoformat(keep)
        assert_error(await se.client.delete(f"/api/v1/files/{file_id}", headers=auth("ADMIN")),
                     409, "FILE_ON_HOLD")


class TestRetainUntil:
    async def test_only_later_and_blocks_delete(self, se, auth):
        file_id, owner = await stored(se, auth)
        rm, url = auth("RECORDS_MANAGER"), f"/api/v1/files/{file_id}/retain-until"
        first = datetime.now(UTC) + timedelta(days=30)
        r = await se.client.put(url, headers=rm, json={"retain_until": first.isoformat()})
        assert r.status_code == 200, r.text
        later = first + timedelta(days=365)
        r = await se.client.put(url, headers=rm, json={"retain_until": later.isoformat()})
        assert datetime.fromisoformat(r.json()["retain_until"]) == later
        err = assert_error(await se.client.put(url, headers=rm, json={
            "retain_until": (later - timedelta(seconds=1)).isoformat()}),
            409, "RETAIN_UNTIL_EARLIER")
        assert datetime.fromisoformat(err["details"]["retain_until"]) == later
        meta = (await se.client.get(f"/api/v1/files/{file_id}", headers=owner)).json()
        assert datetime.fromisoformat(meta["retain_until"]) == later
        assert_error(await se.client.delete(f"/api/v1/files/{file_id}", headers=auth("ADMIN")),
                     409, "FILE_UNDER_RETENTION")

    async def test_bad_input_is_422_and_changes_nothing(self, se, auth):
        file_id, owner = await stored(se, auth)
        url = f"/api/v1/files/{file_id}/retain-until"
        for body in ({"retain_until": "2030-01-01T00:00:00"}, {"retain_until": "soon"}, {}):
            assert_error(await se.client.put(url, headers=auth("RECORDS_MANAGER"), json=body),
                         422)
        meta = (await se.client.get(f"/api/v1/files/{file_id}", headers=owner)).json()
        assert meta["retain_until"] is None

    async def test_retention_class_is_recorded_with_retain_until(self, se, auth):
        file_id, owner = await stored(se, auth)
        url = f"/api/v1/files/{file_id}/retain-until"
        r = await se.client.put(url, headers=auth("RECORDS_MANAGER"), json={
            "retain_until": "2031-01-01T00:00:00Z", "retention_class": "accounting-5y"})
        assert r.status_code == 200, r.text
        assert r.json()["retention_class"] == "accounting-5y"
        assert_error(await put(se.client, auth("USER"), retention_class="x"), 403,
                     "PROVENANCE_NOT_ALLOWED")
        r = await put(se.client, auth("ADMIN"), ttl_days=1, retention_class="accounting-5y",
                      retain_until="2031-01-01T00:00:00Z")
        assert r.status_code == 201 and r.json()["retention_class"] == "accounting-5y", r.text

    async def test_a_finalized_source_may_go_its_record_lives_on(self, se, auth):
        file_id, owner = await stored(se, auth)
        await se.client.put(f"/api/v1/files/{file_id}/retain-until",
                            headers=auth("RECORDS_MANAGER"),
                            json={"retain_until": "2031-01-01T00:00:00Z"})
        r = await se.client.patch(f"/api/v1/files/{file_id}", headers=auth("ADMIN"),
                                  json={"finalized_at": "2026-01-01T00:00:00Z"})
        assert r.status_code == 200, r.text
        # An administrator cannot use finalized_at to get around retain_until ...
        assert_error(await se.client.delete(f"/api/v1/files/{file_id}", headers=auth("ADMIN")),
                     409, "FILE_UNDER_RETENTION")
        # ... the finalize saga (internal) removes the source once its copy exists.
        internal = auth("ADMIN", scopes=["files:delete", "files:replicate"])
        r = await se.client.delete(f"/api/v1/files/{file_id}", headers=internal)
        assert r.status_code == 204, r.text


class TestDisposition:
    """``POST /files/{id}/dispose``: the admin module's destruction of a copy under an approved
    batch — the only delete an rw SE takes; a hold or a later retain_until still refuses it."""

    @pytest.fixture()
    async def rw(self, make_se):
        return await make_se(SE_MODE="rw")

    async def test_only_the_internal_records_token_disposes_on_rw(self, rw, auth):
        admin = auth("ADMIN", subject=str(uuid.uuid4()))
        r = await put(rw.client, admin, retention_policy="permanent")
        assert r.status_code == 201, r.text
        url = f"/api/v1/files/{r.json()['file_id']}"
        body = {"batch_id": str(uuid.uuid4())}
        internal = auth("ADMIN", scopes=["records:write", "files:replicate"])
        for role in ("RECORDS_MANAGER", "ADMIN", "USER"):
            assert_error(await rw.client.post(f"{url}/dispose", json=body, headers=auth(role)),
                         403, "INSUFFICIENT_SCOPE")
        assert_error(await rw.client.delete(url, headers=admin), 409)  # rw: no plain delete
        for bad in ({}, {"batch_id": "x"}, {**body, "extra": 1}):
            assert_error(await rw.client.post(f"{url}/dispose", json=bad, headers=internal), 422)

        hold = str(uuid.uuid4())
        rm = auth("RECORDS_MANAGER")
        await rw.client.put(f"{url}/holds/{hold}", headers=rm)
        assert_error(await rw.client.post(f"{url}/dispose", json=body, headers=internal),
                     409, "FILE_ON_HOLD")
        await rw.client.delete(f"{url}/holds/{hold}", headers=rm)
        later = (datetime.now(UTC) + timedelta(days=1)).isoformat()
        await rw.client.put(f"{url}/retain-until", headers=rm, json={"retain_until": later})
        assert_error(await rw.client.post(f"{url}/dispose", json=body, headers=internal),
                     409, "FILE_UNDER_RETENTION")
        assert (await rw.client.get(url, headers=admin)).status_code == 200

    async def test_a_due_copy_is_destroyed_once(self, rw, auth):
        admin = auth("ADMIN", subject=str(uuid.uuid4()))
        r = await put(rw.client, admin, retention_policy="permanent")
        url = f"/api/v1/files/{r.json()['file_id']}"
        rm = auth("RECORDS_MANAGER")
        r = await rw.client.put(f"{url}/retain-until", headers=rm, json={
            "retain_until": "2016-01-01T00:00:00Z", "retention_class": "ledger"})
        assert r.status_code == 200, r.text
        internal = auth("ADMIN", scopes=["records:write", "files:replicate"])
        body = {"batch_id": str(uuid.uuid4())}
        r = await rw.client.post(f"{url}/dispose", json=body, headers=internal)
        assert r.status_code == 204, r.text
        assert (await rw.client.get(url, headers=admin)).status_code == 404
        assert_error(await rw.client.post(f"{url}/dispose", json=body, headers=internal),
                     404, "FILE_NOT_FOUND")

    async def test_a_class_alone_is_recorded_without_a_date(self, rw, auth):
        admin = auth("ADMIN", subject=str(uuid.uuid4()))
        r = await put(rw.client, admin, retention_policy="permanent")
        url = f"/api/v1/files/{r.json()['file_id']}/retain-until"
        r = await rw.client.put(url, headers=auth("RECORDS_MANAGER"),
                                json={"retention_class": "contract-end"})
        assert r.status_code == 200, r.text
        assert r.json()["retention_class"] == "contract-end" and r.json()["retain_until"] is None
