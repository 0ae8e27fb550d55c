"""The admin control plane against real processes: SE registry, discovery publishing, mode
transitions, finalize, retention cleanup, bad input and the RBAC matrix."""

from __future__ import annotations

import hashlib
import sys
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
import redis

from artstore_common.contracts import DISCOVERY_KEY, DiscoveryDocument
from artstore_common.testing import free_port

sys.path.insert(0, str(Path(__file__).resolve().parent))
from admin_control_stack import ADMIN_REDIS_DB, ControlStack, with_db  # noqa: E402

pytestmark = [pytest.mark.e2e]


@pytest.fixture(scope="module")
def stack(make_database, redis_url, tmp_path_factory):
    stack = ControlStack(make_database=make_database, redis_url=redis_url,
                         workdir=tmp_path_factory.mktemp("control"),
                         admin_overrides={"MODE_DRAIN_TIMEOUT_SECONDS": "4"})
    try:
        stack.start_admin()
        stack.edit = stack.start_se("cp-edit-1", "edit", priority=10)
        stack.rw = stack.start_se("cp-rw-1", "rw", priority=10)
        stack.rw2 = stack.start_se("cp-rw-2", "rw", priority=20)
        for se in (stack.edit, stack.rw, stack.rw2):
            stack.register(se)
        yield stack
    finally:
        stack.stop()


def discovery_doc(stack: ControlStack) -> DiscoveryDocument | None:
    client = redis.Redis.from_url(with_db(stack.redis_url, ADMIN_REDIS_DB))
    try:
        raw = client.get(DISCOVERY_KEY)
    finally:
        client.close()
    return DiscoveryDocument.model_validate_json(raw) if raw else None


def wait_for(predicate, timeout: float = 60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    return predicate()


def snapshot(stack: ControlStack) -> tuple:
    """What a refused request must leave unchanged."""
    elements = stack.api("GET", "/api/v1/storage-elements", params={"limit": 1000}).json()
    sagas = stack.api("GET", "/api/v1/sagas", params={"limit": 1000}).json()
    for item in elements["items"]:
        for volatile in ("used_bytes", "free_bytes", "usage_percent", "file_count",
                         "last_seen_at", "last_checked_at", "updated_at", "status",
                         "last_error", "retention_days_left"):
            item.pop(volatile, None)
    return elements["items"], sagas["total"], len(stack.audit())


class TestRegistry:
    def test_discover_previews_an_unregistered_se(self, stack):
        extra = stack.start_se("cp-preview", "edit")
        response = stack.api("POST", "/api/v1/storage-elements/discover",
                             json={"api_url": extra.url})
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["id"] == str(extra.id) and body["mode"] == "edit"
        assert body["already_registered"] is False
        listed = stack.api("GET", "/api/v1/storage-elements", params={"q": "cp-preview"})
        assert listed.json()["total"] == 0
        extra.stop()

    def test_list_shows_capacity_usage_and_retention_countdown(self, stack):
        response = stack.api("GET", "/api/v1/storage-elements", params={"mode": "rw"})
        assert response.status_code == 200
        body = response.json()
        assert {i["name"] for i in body["items"]} >= {"cp-rw-1", "cp-rw-2"}
        assert set(body) == {"items", "total", "limit", "offset"}
        item = next(i for i in body["items"] if i["name"] == "cp-rw-1")
        assert item["capacity_bytes"] == 1024**3 and item["status"] == "online"
        assert 0 <= item["usage_percent"] <= 100
        assert item["retention_state"] == "none"
        updated = stack.api("PATCH", f"/api/v1/storage-elements/{item['id']}",
                            json={"retention_days": 10, "retention_warning_days": 30,
                                  "description": "current rw"})
        assert updated.status_code == 200, updated.text
        body = updated.json()
        assert body["retention_state"] == "warning" and body["retention_days_left"] in (9, 10)
        assert body["description"] == "current rw"

    def test_registry_is_published_to_redis_with_a_growing_version(self, stack):
        before = wait_for(lambda: discovery_doc(stack))
        assert {str(se.id) for se in (stack.edit, stack.rw)} <= {
            str(se.id) for se in before.storage_elements}
        response = stack.api("PATCH", f"/api/v1/storage-elements/{stack.rw2.id}",
                             json={"priority": 25})
        assert response.status_code == 200
        after = wait_for(lambda: (d := discovery_doc(stack)) and d.version > before.version and d)
        assert next(s for s in after.storage_elements if s.id == stack.rw2.id).priority == 25
        audit = stack.audit(action="storage_element.updated")
        assert any(e["resource_id"] == str(stack.rw2.id) for e in audit)

    def test_a_discovery_client_follows_what_the_admin_publishes(self, stack, tmp_path):
        from artstore_common.discovery import DiscoveryClient

        client = DiscoveryClient(with_db(stack.redis_url, ADMIN_REDIS_DB),
                                 tmp_path / "discovery.json", refresh_interval=1)
        client.start()
        try:
            assert client.wait_for(lambda d: d is not None and any(
                s.id == stack.rw.id for s in d.storage_elements), 60)
            assert stack.rw.id in [s.id for s in client.writable("rw")]
            assert [s.id for s in client.writable("edit")][:1] == [stack.edit.id]
            version = client.version
            response = stack.api("PATCH", f"/api/v1/storage-elements/{stack.edit.id}",
                                 json={"priority": 11})
            assert response.status_code == 200
            assert client.wait_for(lambda d: d.version > version
                                   and client.get(stack.edit.id).priority == 11, 60)
        finally:
            client.stop()

    def test_sync_one_and_all(self, stack):
        one = stack.api("POST", f"/api/v1/storage-elements/{stack.edit.id}/sync")
        assert one.status_code == 200 and one.json()["status"] == "online"
        every = stack.api("POST", "/api/v1/storage-elements/sync")
        assert every.status_code == 200
        assert every.json()["online"] >= 3
        assert any(e["resource_id"] == str(stack.edit.id)
                   for e in stack.audit(action="storage_element.synced"))

    def test_delete_only_when_empty(self, stack):
        empty = stack.start_se("cp-empty", "edit")
        stack.register(empty)
        response = stack.api("DELETE", f"/api/v1/storage-elements/{empty.id}")
        assert response.status_code == 204
        assert stack.api("GET", f"/api/v1/storage-elements/{empty.id}").status_code == 404
        assert any(e["resource_id"] == str(empty.id)
                   for e in stack.audit(action="storage_element.deleted"))
        empty.stop()


class TestBadInput:
    def test_unknown_storage_element_404_and_no_change(self, stack):
        before = snapshot(stack)
        unknown = uuid.uuid4()
        for method, path, body in [
            ("GET", f"/api/v1/storage-elements/{unknown}", None),
            ("PATCH", f"/api/v1/storage-elements/{unknown}", {"priority": 1}),
            ("DELETE", f"/api/v1/storage-elements/{unknown}", None),
            ("POST", f"/api/v1/storage-elements/{unknown}/sync", None),
            ("POST", f"/api/v1/storage-elements/{unknown}/mode", {"target_mode": "ro"}),
            ("GET", f"/api/v1/sagas/{unknown}", None),
        ]:
            response = stack.api(method, path, json=body)
            assert response.status_code == 404, (method, path, response.text)
            assert response.json()["error"]["code"] in ("STORAGE_ELEMENT_NOT_FOUND",
                                                        "SAGA_NOT_FOUND")
        assert snapshot(stack) == before

    def test_se_that_does_not_answer_info_422(self, stack):
        before = snapshot(stack)
        url = f"http://127.0.0.1:{free_port()}"
        for path in ("/api/v1/storage-elements/discover", "/api/v1/storage-elements"):
            response = stack.api("POST", path, json={"api_url": url})
            assert response.status_code == 422, response.text
            assert response.json()["error"]["code"] == "STORAGE_ELEMENT_UNREACHABLE"
        not_an_se = stack.api("POST", "/api/v1/storage-elements",
                              json={"api_url": stack.admin.url})
        assert not_an_se.status_code == 422
        assert snapshot(stack) == before

    def test_malformed_bodies_422(self, stack):
        before = snapshot(stack)
        for method, path, body in [
            ("POST", "/api/v1/storage-elements", {"api_url": "not a url"}),
            ("POST", "/api/v1/storage-elements", {"api_url": stack.rw.url, "mode": "rw"}),
            ("PATCH", f"/api/v1/storage-elements/{stack.rw.id}", {"priority": -1}),
            ("PATCH", f"/api/v1/storage-elements/{stack.rw.id}", {"mode": "ro"}),
            ("PATCH", f"/api/v1/storage-elements/{stack.rw.id}", {"name": None}),
            ("POST", f"/api/v1/storage-elements/{stack.rw.id}/mode", {"target_mode": "xx"}),
        ]:
            response = stack.api(method, path, json=body)
            assert response.status_code == 422, (path, body, response.text)
        assert snapshot(stack) == before

    def test_duplicate_registration_409(self, stack):
        before = snapshot(stack)
        response = stack.api("POST", "/api/v1/storage-elements", json={"api_url": stack.rw.url})
        assert response.status_code == 409
        assert response.json()["error"]["code"] == "STORAGE_ELEMENT_EXISTS"
        assert snapshot(stack) == before

    @pytest.mark.parametrize("se_attr,target", [("rw", "ar"), ("rw", "rw"), ("rw", "edit"),
                                                ("edit", "ro"), ("edit", "rw")])
    def test_illegal_mode_transition_409(self, stack, se_attr, target):
        before = snapshot(stack)
        se = getattr(stack, se_attr)
        response = stack.api("POST", f"/api/v1/storage-elements/{se.id}/mode",
                             json={"target_mode": target, "reason": "test"})
        assert response.status_code == 409, response.text
        assert response.json()["error"]["code"] == "INVALID_MODE_TRANSITION"
        assert snapshot(stack) == before

    def test_delete_of_a_non_empty_se_409(self, stack):
        stack.upload(stack.edit, b"keeps the SE non-empty")
        before = snapshot(stack)
        response = stack.api("DELETE", f"/api/v1/storage-elements/{stack.edit.id}")
        assert response.status_code == 409
        assert response.json()["error"]["code"] == "STORAGE_ELEMENT_NOT_EMPTY"
        assert snapshot(stack) == before

    def test_finalize_of_unknown_or_permanent_file(self, stack):
        permanent = stack.upload(stack.rw, b"already permanent", retention="permanent")
        before = snapshot(stack)
        unknown = stack.api("POST", f"/api/v1/files/{uuid.uuid4()}/finalize")
        assert unknown.status_code == 404
        assert unknown.json()["error"]["code"] == "FILE_NOT_FOUND"
        perm = stack.api("POST", f"/api/v1/files/{permanent}/finalize")
        assert perm.status_code == 409
        assert perm.json()["error"]["code"] == "FILE_ALREADY_PERMANENT"
        bad_id = stack.api("POST", "/api/v1/files/not-a-uuid/finalize")
        assert bad_id.status_code == 422
        assert snapshot(stack) == before


ROLES = ["ADMIN", "USER", "AUDITOR", "READONLY", "super_admin", "admin", "readonly", "GHOST"]
STORAGE_READ_ROLES = {"ADMIN", "super_admin", "admin", "readonly"}
STORAGE_ADMIN_ROLES = {"ADMIN", "super_admin", "admin"}
FILES_WRITE_ROLES = {"ADMIN", "USER", "super_admin", "admin"}


class TestRbac:
    def cases(self, stack):
        unknown = uuid.uuid4()
        se = stack.rw.id
        return [
            ("GET", "/api/v1/storage-elements", None, STORAGE_READ_ROLES),
            ("GET", f"/api/v1/storage-elements/{se}", None, STORAGE_READ_ROLES),
            ("GET", "/api/v1/sagas", None, STORAGE_READ_ROLES),
            ("GET", f"/api/v1/sagas/{unknown}", None, STORAGE_READ_ROLES),
            # write calls carry bodies that fail after authorization: nothing changes
            ("POST", "/api/v1/storage-elements/discover", {"api_url": 1}, STORAGE_ADMIN_ROLES),
            ("POST", "/api/v1/storage-elements", {}, STORAGE_ADMIN_ROLES),
            ("PATCH", f"/api/v1/storage-elements/{se}", {"priority": -5}, STORAGE_ADMIN_ROLES),
            ("DELETE", f"/api/v1/storage-elements/{unknown}", None, STORAGE_ADMIN_ROLES),
            ("POST", f"/api/v1/storage-elements/{unknown}/sync", None, STORAGE_ADMIN_ROLES),
            ("POST", f"/api/v1/storage-elements/{se}/mode", {"target_mode": "x"},
             STORAGE_ADMIN_ROLES),
            ("POST", f"/api/v1/files/{unknown}/finalize", None, FILES_WRITE_ROLES),
        ]

    def test_matrix(self, stack):
        before = snapshot(stack)
        failures = []
        for method, path, body, allowed in self.cases(stack):
            anonymous = stack.api(method, path, role=None, json=body)
            if anonymous.status_code != 401:
                failures.append((method, path, "anonymous", anonymous.status_code))
            for role in ROLES:
                ptype = "admin_user" if role.islower() else "service_account"
                response = stack.api(method, path, role=None, json=body,
                                     headers=stack.headers(role, ptype=ptype))
                denied = response.status_code == 403
                if denied == (role in allowed) or response.status_code >= 500:
                    failures.append((method, path, role, response.status_code))
        assert failures == []
        assert snapshot(stack) == before

    def test_only_storage_admins_start_a_retention_run(self, stack):
        before = snapshot(stack)
        for role in set(ROLES) - STORAGE_ADMIN_ROLES:
            ptype = "admin_user" if role.islower() else "service_account"
            response = stack.api("POST", "/api/v1/sagas/retention-cleanup", role=None,
                                 headers=stack.headers(role, ptype=ptype))
            assert response.status_code == 403, (role, response.text)
        assert stack.api("POST", "/api/v1/sagas/retention-cleanup", role=None).status_code == 401
        assert snapshot(stack) == before


class TestModeTransition:
    def test_rw_to_ro_to_ar(self, stack):
        se = stack.start_se("cp-rw-close", "rw", priority=90)
        stack.register(se)
        response = stack.api("POST", f"/api/v1/storage-elements/{se.id}/mode",
                             json={"target_mode": "ro", "reason": "full"})
        assert response.status_code == 202, response.text
        saga = stack.wait_saga(response.json()["id"])
        assert saga["state"] == "completed", saga
        done = [e["step"] for e in saga["steps"] if e["status"] == "done"]
        assert done == ["mark_draining", "wait_in_flight", "switch_mode", "publish"]
        info = httpx.get(se.url + "/api/v1/info", headers=stack.headers()).json()
        assert info["mode"] == "ro"
        read = stack.api("GET", f"/api/v1/storage-elements/{se.id}").json()
        assert read["mode"] == "ro" and read["draining"] is False
        doc = wait_for(lambda: (d := discovery_doc(stack)) and any(
            s.id == se.id and s.mode == "ro" for s in d.storage_elements) and d)
        assert doc
        busy_free = stack.api("POST", f"/api/v1/storage-elements/{se.id}/mode",
                              json={"target_mode": "rw"})
        assert busy_free.status_code == 409  # ro → rw is illegal
        response = stack.api("POST", f"/api/v1/storage-elements/{se.id}/mode",
                             json={"target_mode": "ar"})
        assert stack.wait_saga(response.json()["id"])["state"] == "completed"
        back = stack.api("POST", f"/api/v1/storage-elements/{se.id}/mode",
                         json={"target_mode": "rw"})
        assert back.status_code == 409  # ar → rw is illegal
        actions = [e["action"] for e in stack.audit(resource_id=str(se.id))]
        assert actions.count("storage_element.mode_changed") == 2

    def test_uploads_still_in_flight_past_the_timeout_compensate(self, stack):
        se = stack.start_se("cp-rw-busy", "rw", priority=95)
        stack.register(se)
        release = threading.Event()

        def slow_body():
            yield b"x" * 1024
            release.wait(60)
            yield b"y" * 1024

        def upload() -> None:
            import base64
            import json

            attrs = base64.urlsafe_b64encode(json.dumps(
                {"original_filename": "slow.bin", "retention_policy": "permanent"}).encode())
            try:
                httpx.put(f"{se.url}/api/v1/files/{uuid.uuid4()}", content=slow_body(),
                          headers={**stack.headers(), "X-ArtStore-Attributes": attrs.decode(),
                                   "X-ArtStore-Declared-Size": "2048"}, timeout=90)
            except httpx.HTTPError:
                pass

        uploader = threading.Thread(target=upload)
        uploader.start()
        try:
            assert wait_for(lambda: httpx.get(se.url + "/api/v1/info", headers=stack.headers())
                            .json()["in_flight_uploads"] == 1)
            response = stack.api("POST", f"/api/v1/storage-elements/{se.id}/mode",
                                 json={"target_mode": "ro"})
            saga = stack.wait_saga(response.json()["id"])
        finally:
            release.set()
            uploader.join()
        assert saga["state"] == "compensated", saga
        assert "in flight" in saga["error"]
        read = stack.api("GET", f"/api/v1/storage-elements/{se.id}").json()
        assert read["mode"] == "rw" and read["draining"] is False
        info = httpx.get(se.url + "/api/v1/info", headers=stack.headers()).json()
        assert info["mode"] == "rw"
        assert any(e["action"] == "storage_element.mode_change_failed"
                   for e in stack.audit(resource_id=str(se.id)))


class TestFinalize:
    def test_copy_verify_mark_then_delete_the_source(self, stack):
        data = b"draft that becomes a record " * 1000
        file_id = stack.upload(stack.edit, data)
        # uploaded by another account: only storage:admin may finalize it (issue 14)
        response = stack.api("POST", f"/api/v1/files/{file_id}/finalize", role="ADMIN")
        assert response.status_code == 202, response.text
        assert response.json()["type"] == "finalize"
        again = stack.api("POST", f"/api/v1/files/{file_id}/finalize")
        assert again.status_code == 202 and again.json()["id"] == response.json()["id"]
        saga = stack.wait_saga(response.json()["id"])
        assert saga["state"] == "completed", saga
        copy = stack.se_file(stack.rw, file_id)
        assert copy is not None
        assert copy["retention_policy"] == "permanent" and copy["expires_at"] is None
        assert copy["sha256"] == hashlib.sha256(data).hexdigest()
        assert stack.se_content(stack.rw, file_id) == data
        assert stack.se_file(stack.edit, file_id) is None
        actions = [e["action"] for e in stack.audit(resource_id=str(file_id))]
        assert {"file.finalize_requested", "file.finalized", "file.source_deleted"} <= set(actions)
        refused = stack.api("POST", f"/api/v1/files/{file_id}/finalize")
        assert refused.status_code == 409

    def test_checksum_mismatch_compensates_and_leaves_the_source(self, stack):
        data = b"bytes that will rot on disk " * 500
        file_id = stack.upload(stack.edit, data)
        victim = next(p for p in stack.edit.data_files() if str(file_id) in p.name)
        raw = bytearray(victim.read_bytes())
        raw[10] ^= 0xFF
        victim.write_bytes(bytes(raw))
        response = stack.api("POST", f"/api/v1/files/{file_id}/finalize")
        assert response.status_code == 202
        saga = stack.wait_saga(response.json()["id"])
        assert saga["state"] == "compensated", saga
        assert "checksum" in saga["error"].lower() or "quarantine" in saga["error"].lower()
        source = stack.se_file(stack.edit, file_id)
        assert source is not None and source["finalized_at"] is None
        assert source["retention_policy"] == "temporary"
        for rw in (stack.rw, stack.rw2):
            assert stack.se_file(rw, file_id) is None
        assert any(e["action"] == "file.finalize_failed"
                   for e in stack.audit(resource_id=str(file_id)))


class TestRetention:
    def test_expired_temporary_files_are_deleted_one_audit_entry_each(self, stack):
        past = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
        expired = [stack.upload(stack.edit, f"old {i}".encode(), expires_at=past)
                   for i in range(2)]
        fresh = stack.upload(stack.edit, b"still valid")
        permanent = stack.upload(stack.rw, b"permanent", retention="permanent")
        response = stack.api("POST", "/api/v1/sagas/retention-cleanup")
        assert response.status_code == 202, response.text
        saga = stack.wait_saga(response.json()["id"])
        assert saga["state"] == "completed", saga
        for file_id in expired:
            assert stack.se_file(stack.edit, file_id) is None
            entries = stack.audit(resource_id=str(file_id), action="file.expired_deleted")
            assert len(entries) == 1
        assert stack.se_file(stack.edit, fresh) is not None
        assert stack.se_file(stack.rw, permanent) is not None

    def test_files_being_finalized_or_finalized_are_never_touched(self, stack):
        import json

        import asyncpg
        from admin_control_stack import libpq, run_async

        past = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
        finalizing = stack.upload(stack.edit, b"copy in progress", expires_at=past)
        finalized = stack.upload(stack.edit, b"already finalized", expires_at=past)
        patched = httpx.patch(f"{stack.edit.url}/api/v1/files/{finalized}",
                              json={"finalized_at": datetime.now(UTC).isoformat()},
                              headers=stack.headers(), timeout=30)
        assert patched.status_code == 200, patched.text
        saga_id = uuid.uuid4()

        async def set_saga(state: str) -> None:
            conn = await asyncpg.connect(libpq(stack.admin_db))
            try:
                await conn.execute(
                    "INSERT INTO sagas (id, type, state, resource_id, current_step, payload, "
                    "steps, attempts, next_attempt_at, created_at, updated_at) VALUES "
                    "($1, 'finalize', $2, $3, 'copy', $4, '[]', 0, '2100-01-01', now(), now()) "
                    "ON CONFLICT (id) DO UPDATE SET state = EXCLUDED.state",
                    saga_id, state, str(finalizing), json.dumps({"file_id": str(finalizing)}))
            finally:
                await conn.close()

        run_async(lambda: set_saga("running"))  # a finalize that has not copied yet
        try:
            response = stack.api("POST", "/api/v1/sagas/retention-cleanup")
            assert response.status_code == 202, response.text
            saga = stack.wait_saga(response.json()["id"])
            assert saga["state"] == "completed", saga
        finally:
            run_async(lambda: set_saga("failed"))
        assert stack.se_file(stack.edit, finalizing) is not None
        assert stack.se_file(stack.edit, finalized) is not None
        assert stack.audit(resource_id=str(finalizing), action="file.expired_deleted") == []


class TestHealth:
    def test_a_stopped_se_goes_offline_in_registry_and_discovery_and_comes_back(self, stack):
        from artstore_common.testing import ServiceProcess

        se = stack.start_se("cp-flaky", "edit", priority=99)
        stack.register(se)
        se.stop()

        def status_is(expected: str):
            read = stack.api("GET", f"/api/v1/storage-elements/{se.id}").json()
            doc = discovery_doc(stack)
            published = doc and next((s for s in doc.storage_elements if s.id == se.id), None)
            return (read["status"] == expected and published is not None
                    and published.status == expected and read)

        offline = wait_for(lambda: status_is("offline"))
        assert offline and offline["last_error"]
        se.proc = ServiceProcess("storage_element.main:create_app", se.env, port=se.proc.port,
                                 log_path=se.proc.log_path, name=se.name).start(120)
        assert wait_for(lambda: status_is("online"))
        metrics = httpx.get(stack.admin.url + "/metrics").text
        assert 'artstore_storage_element_status{name="cp-flaky",' in metrics
        se.stop()
