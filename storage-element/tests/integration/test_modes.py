"""Each mode × each operation, mode transitions, and the mode's persistence on the volume."""

from __future__ import annotations

import os
import uuid

import pytest
from se_test_helpers import assert_error, put

pytestmark = pytest.mark.integration


async def se_in_mode(make_se, auth, mode: str):
    """An SE in ``mode`` holding one file uploaded while it was writable."""
    se = await make_se(SE_MODE="edit" if mode == "edit" else "rw", SE_BACKEND="local")
    policy = "temporary" if mode == "edit" else "permanent"
    r = await put(se.client, auth(), os.urandom(500), retention_policy=policy)
    assert r.status_code == 201, r.text
    for step in {"ro": ["ro"], "ar": ["ro", "ar"]}.get(mode, []):
        m = await se.client.post("/api/v1/mode", headers=auth(), json={"target_mode": step})
        assert m.status_code == 200, m.text
    return se, r.json()["file_id"], policy


def snapshot(se):
    return {p: se.ctx.backend.get_bytes(p) for p in se.storage_objects()}


OPS = ["upload", "attributes", "content", "head", "patch", "delete", "list", "info"]
EXPECTED = {
    "edit": {"upload": 201, "attributes": 200, "content": 200, "head": 200, "patch": 200,
             "delete": 204, "list": 200, "info": 200},
    "rw": {"upload": 201, "attributes": 200, "content": 200, "head": 200, "patch": 200,
           "delete": (409, "OPERATION_NOT_ALLOWED_IN_MODE"), "list": 200, "info": 200},
    "ro": {"upload": (409, "STORAGE_ELEMENT_READ_ONLY"), "attributes": 200, "content": 200,
           "head": 200, "patch": (409, "STORAGE_ELEMENT_READ_ONLY"),
           "delete": (409, "STORAGE_ELEMENT_READ_ONLY"), "list": 200, "info": 200},
    "ar": {"upload": (409, "STORAGE_ELEMENT_READ_ONLY"), "attributes": 200,
           "content": (409, "FILE_ARCHIVED"), "head": 409,
           "patch": (409, "STORAGE_ELEMENT_READ_ONLY"),
           "delete": (409, "STORAGE_ELEMENT_READ_ONLY"), "list": 200, "info": 200},
}


@pytest.mark.parametrize("backend", ["local"], indirect=True)
@pytest.mark.parametrize("mode", ["edit", "rw", "ro", "ar"])
@pytest.mark.parametrize("op", OPS)
async def test_mode_operation_matrix(make_se, auth, mode, op):
    se, file_id, policy = await se_in_mode(make_se, auth, mode)
    before = snapshot(se)
    c, h = se.client, auth()
    url = f"/api/v1/files/{file_id}"
    r = {
        "upload": lambda: put(c, h, b"new", retention_policy=policy),
        "attributes": lambda: c.get(url, headers=h),
        "content": lambda: c.get(url + "/content", headers=h),
        "head": lambda: c.head(url + "/content", headers=h),
        "patch": lambda: c.patch(url, headers=h, json={"description": "changed"}),
        "delete": lambda: c.delete(url, headers=h),
        "list": lambda: c.get("/api/v1/files", headers=h),
        "info": lambda: c.get("/api/v1/info", headers=h),
    }[op]
    response = await r()
    expected = EXPECTED[mode][op]
    if isinstance(expected, tuple):
        assert_error(response, *expected)
        assert snapshot(se) == before
    else:
        assert response.status_code == expected, response.text
        if op == "info":
            assert response.json()["mode"] == mode


@pytest.mark.parametrize("backend", ["local"], indirect=True)
class TestTransitions:
    @pytest.mark.parametrize(("start", "target"), [
        ("edit", "rw"), ("edit", "ro"), ("edit", "ar"), ("rw", "ar"), ("rw", "edit"),
        ("ro", "rw"), ("ro", "edit"), ("ar", "ro"), ("ar", "rw"), ("rw", "rw")])
    async def test_forbidden_transition_409(self, make_se, auth, start, target):
        se, _, _ = await se_in_mode(make_se, auth, start)
        r = await se.client.post("/api/v1/mode", headers=auth(), json={"target_mode": target})
        assert_error(r, 409, "INVALID_MODE_TRANSITION")
        assert (await se.client.get("/api/v1/info", headers=auth())).json()["mode"] == start

    @pytest.mark.parametrize("body", [{"target_mode": "xx"}, {}, {"target_mode": None}])
    async def test_bad_body_422(self, make_se, auth, body):
        se = await make_se(SE_MODE="rw")
        assert_error(await se.client.post("/api/v1/mode", headers=auth(), json=body), 422)

    async def test_mode_needs_storage_admin(self, make_se, auth):
        se = await make_se(SE_MODE="rw")
        r = await se.client.post("/api/v1/mode", headers=auth("USER"), json={"target_mode": "ro"})
        assert_error(r, 403, "INSUFFICIENT_SCOPE")
        assert se.ctx.modes.mode == "rw"

    async def test_mode_survives_restart_and_ignores_se_mode(self, make_se, auth):
        se = await make_se(SE_MODE="rw")
        await se.client.post("/api/v1/mode", headers=auth(), json={"target_mode": "ro"})
        again = await make_se(SE_MODE="rw")
        info = (await again.client.get("/api/v1/info", headers=auth())).json()
        assert info["mode"] == "ro" and info["id"] == str(se.ctx.se_id)

    async def test_leaving_ar_needs_override_and_restart(self, make_se, auth):
        se, file_id, _ = await se_in_mode(make_se, auth, "ar")
        still = await make_se(SE_MODE="rw")
        assert still.ctx.modes.mode == "ar"
        forced = await make_se(SE_MODE_OVERRIDE="ro")
        assert forced.ctx.modes.mode == "ro"
        r = await forced.client.get(f"/api/v1/files/{file_id}/content", headers=auth())
        assert r.status_code == 200

    async def test_se_id_mismatch_refuses_to_start(self, make_se, auth):
        await make_se()
        with pytest.raises(RuntimeError, match="does not match"):
            await make_se(SE_ID=str(uuid.uuid4()))


@pytest.mark.parametrize("backend", ["local"], indirect=True)
async def test_rw_copy_is_withdrawn_only_by_an_internal_service_and_only_while_young(
        make_se, auth):
    """The ingester withdraws the copies of an upload it refused (write quorum not met,
    checksum mismatch); a file on rw is otherwise never deleted."""
    from datetime import UTC, datetime, timedelta

    se = await make_se(SE_MODE="rw", SE_BACKEND="local")
    service = auth("SERVICE", subject="ingester-sa")
    young = await put(se.client, auth("USER"), os.urandom(500), retention_policy="permanent")
    old = await put(se.client, service, os.urandom(500), retention_policy="permanent",
                    uploaded_by={"id": "ingester-sa", "name": "ingester"},
                    created_at=(datetime.now(UTC) - timedelta(hours=2)).isoformat())
    assert young.status_code == old.status_code == 201, (young.text, old.text)
    before = snapshot(se)
    young_id, old_id = young.json()["file_id"], old.json()["file_id"]
    for method, file_id, headers, status, code in (
            ("delete", young_id, auth(), 409, "OPERATION_NOT_ALLOWED_IN_MODE"),
            ("delete", young_id, service, 403, "INSUFFICIENT_SCOPE"),
            ("withdraw", young_id, auth(), 403, "INSUFFICIENT_SCOPE"),  # files:delete: no
            ("withdraw", young_id, auth("USER"), 403, "INSUFFICIENT_SCOPE"),
            ("withdraw", old_id, service, 409, "WITHDRAW_WINDOW_PASSED")):
        url = f"/api/v1/files/{file_id}"
        r = await (se.client.delete(url, headers=headers) if method == "delete"
                   else se.client.post(url + "/withdraw", headers=headers))
        assert_error(r, status, code)
        assert snapshot(se) == before
    r = await se.client.post(f"/api/v1/files/{young_id}/withdraw", headers=service)
    assert r.status_code == 204, r.text
    gone = await se.client.get(f"/api/v1/files/{young_id}", headers=auth())
    assert gone.status_code == 404
    assert set(snapshot(se)) == {p for p in before if young_id not in p}
