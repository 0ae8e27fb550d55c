"""Copies, control plane: the copy policy endpoint, failure domains and redundant backends in
the registry and in discovery, and the SE accepting a copy set only from internal services."""

from __future__ import annotations

import base64
import hashlib
import json
import sys
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from admin_control_stack import ControlStack, libpq, run_async  # noqa: E402
from test_admin_sagas_control import discovery_doc, wait_for  # noqa: E402

pytestmark = [pytest.mark.e2e]


@pytest.fixture(scope="module")
def stack(make_database, redis_url, tmp_path_factory):
    stack = ControlStack(make_database=make_database, redis_url=redis_url,
                         workdir=tmp_path_factory.mktemp("copies-control"))
    try:
        stack.start_admin()
        stack.edit = stack.start_se("cc-edit-1", "edit")
        stack.rw = stack.start_se("cc-rw-1", "rw")
        stack.rw2 = stack.start_se("cc-rw-2", "rw")
        stack.edit2 = stack.start_se("cc-edit-2", "edit")
        stack.register(stack.edit)
        stack.register(stack.edit2)
        stack.rw_row = stack.register(stack.rw, failure_domain="rack-a")
        stack.rw2_row = stack.register(stack.rw2)
        yield stack
    finally:
        stack.stop()


def test_defaults_and_bounds_of_the_copy_policy(stack):
    listed = stack.api("GET", "/api/v1/copy-policies", role="readonly")
    assert listed.status_code == 200, listed.text
    by_policy = {p["retention_policy"]: p for p in listed.json()}
    assert by_policy["permanent"]["target_copies"] == 2
    assert by_policy["permanent"]["write_quorum"] == 2
    assert by_policy["temporary"]["target_copies"] == 1
    assert by_policy["permanent"]["suitable_storage_elements"] == 2
    assert by_policy["permanent"]["failure_domains"] == 2

    too_high = stack.api("PUT", "/api/v1/copy-policies/permanent", json={"target_copies": 3})
    assert too_high.status_code == 422
    assert too_high.json()["error"]["code"] == "COPY_POLICY_TOO_HIGH"
    bad_quorum = stack.api("PUT", "/api/v1/copy-policies/permanent",
                           json={"target_copies": 1, "write_quorum": 2})
    assert bad_quorum.status_code == 422
    unknown = stack.api("PUT", "/api/v1/copy-policies/forever", json={"target_copies": 1})
    assert unknown.status_code == 422
    for role in ("readonly", "USER", "SERVICE"):
        denied = stack.api("PUT", "/api/v1/copy-policies/permanent", role=role,
                           json={"target_copies": 2})
        assert denied.status_code == 403, role
    assert stack.api("GET", "/api/v1/copy-policies", role=None).status_code == 401

    changed = stack.api("PUT", "/api/v1/copy-policies/permanent",
                        json={"target_copies": 2, "write_quorum": 1})
    assert changed.status_code == 200, changed.text
    assert changed.json()["write_quorum"] == 1
    doc = wait_for(lambda: (d := discovery_doc(stack)) and d.copy_policy(
        "permanent").write_quorum == 1 and d)
    assert doc.copy_policy("permanent").target_copies == 2
    assert stack.audit(action="copy_policy.updated")
    restored = stack.api("PUT", "/api/v1/copy-policies/permanent", json={"target_copies": 2})
    assert restored.json()["write_quorum"] == 2


def test_failure_domain_and_redundant_backend_are_published(stack):
    assert stack.rw_row["failure_domain"] == "rack-a"
    assert stack.rw2_row["failure_domain"] == stack.rw2_row["id"]  # its own domain
    assert stack.rw2_row["redundant_backend"] is False
    patched = stack.api("PATCH", f"/api/v1/storage-elements/{stack.rw2_row['id']}",
                        json={"redundant_backend": True, "failure_domain": "site-b"})
    assert patched.status_code == 200, patched.text
    bad = stack.api("PATCH", f"/api/v1/storage-elements/{stack.rw2_row['id']}",
                    json={"failure_domain": ""})
    assert bad.status_code == 422

    def published():
        doc = discovery_doc(stack)
        if doc is None:
            return None
        se = {str(s.id): s for s in doc.storage_elements}.get(stack.rw2_row["id"])
        return se if se is not None and se.redundant_backend else None

    se = wait_for(published)
    assert se is not None and se.failure_domain == "site-b" and se.domain == "site-b"
    stack.api("PATCH", f"/api/v1/storage-elements/{stack.rw2_row['id']}",
              json={"redundant_backend": False})


def _put(stack, role: str, copies: list[str] | None,
         voucher: str | None = None, caller: str | None = None,
         **provenance) -> httpx.Response:
    data = b"copy provenance " + uuid.uuid4().bytes
    attrs = {"original_filename": "c.txt", "retention_policy": "permanent", **provenance}
    if copies is not None:
        attrs["copies"] = copies
    encoded = base64.urlsafe_b64encode(json.dumps(attrs).encode()).decode().rstrip("=")
    vouched = ({"X-ArtStore-Copy-Set-Voucher": stack.headers(voucher)["Authorization"]}
               if voucher else {})
    return httpx.put(f"{stack.rw.url}/api/v1/files/{uuid.uuid4()}", content=data, timeout=60,
                     headers={**({"Authorization": f"Bearer {caller}"} if caller
                                 else stack.headers(role)),
                              **vouched, "X-ArtStore-Attributes": encoded,
                              "X-ArtStore-Declared-Size": str(len(data)),
                              "X-ArtStore-Expected-SHA256": hashlib.sha256(data).hexdigest()})


def test_a_voucher_lets_an_upload_state_its_own_uploader_and_time_only(stack):
    """The ingester tees one upload to two SEs with the caller's token: both copies must carry
    the same created_at/uploaded_by, which a files:replicate voucher may state — as the caller."""
    copies = [stack.rw_row["id"], stack.rw2_row["id"]]
    user = stack.token("USER")
    me = _put(stack, "USER", None, caller=user).json()["uploaded_by"]
    created = (datetime.now(UTC) - timedelta(seconds=3)).isoformat()
    mine = {"created_at": created, "uploaded_by": me}
    vouched = _put(stack, "USER", copies, "SERVICE", user, **mine)
    assert vouched.status_code == 201, vouched.text
    body = vouched.json()
    assert body["uploaded_by"] == me and body["copies"] == copies
    assert datetime.fromisoformat(body["created_at"]) == datetime.fromisoformat(created)
    someone_else = {"created_at": created, "uploaded_by": {"id": "other", "name": me["name"]}}
    for voucher in ("SERVICE", "USER", None):  # as someone else: never
        refused = _put(stack, "USER", copies if voucher == "SERVICE" else None, voucher, user,
                       **someone_else)
        assert refused.status_code == 403, (voucher, refused.text)
        assert refused.json()["error"]["code"] == "PROVENANCE_NOT_ALLOWED"
    for voucher in ("USER", None):  # a voucher without files:replicate vouches for nothing
        refused = _put(stack, "USER", None, voucher, user, **mine)
        assert refused.status_code == 403, (voucher, refused.text)
        assert refused.json()["error"]["code"] == "PROVENANCE_NOT_ALLOWED"
    other_fields = _put(stack, "USER", copies, "SERVICE", user, **mine,
                        retain_until=(datetime.now(UTC) + timedelta(days=1)).isoformat())
    assert other_fields.status_code == 403  # the caller's own rights apply to the rest
    future = _put(stack, "USER", copies, "SERVICE", user, uploaded_by=me,
                  created_at=(datetime.now(UTC) + timedelta(hours=1)).isoformat())
    assert future.status_code == 422, future.text


def test_only_internal_services_state_a_copy_set(stack):
    copies = [stack.rw_row["id"], stack.rw2_row["id"]]
    for role in ("USER", "ADMIN"):
        refused = _put(stack, role, copies)
        assert refused.status_code == 403, (role, refused.text)
        assert refused.json()["error"]["code"] == "REPLICATION_NOT_ALLOWED"
    plain = _put(stack, "USER", None)
    assert plain.status_code == 201 and plain.json()["copies"] == []
    stored = _put(stack, "SERVICE", copies)
    assert stored.status_code == 201, stored.text
    assert stored.json()["copies"] == copies
    sidecars = [json.loads(p.read_text()) for p in stack.rw.data_dir.rglob("*.attr.json")]
    assert any(s["file_id"] == stored.json()["file_id"] and s["copies"] == copies
               for s in sidecars)


def test_a_replicating_service_vouches_for_the_copy_set_of_a_users_upload(stack):
    copies = [stack.rw_row["id"], stack.rw2_row["id"]]
    vouched = _put(stack, "USER", copies, voucher="SERVICE")
    assert vouched.status_code == 201, vouched.text
    assert vouched.json()["copies"] == copies
    assert vouched.json()["uploaded_by"]["name"] == "test-user"  # still the user's upload
    for voucher in ("USER", "ADMIN"):
        refused = _put(stack, "USER", copies, voucher=voucher)
        assert refused.status_code == 403, (voucher, refused.text)
        assert refused.json()["error"]["code"] == "REPLICATION_NOT_ALLOWED"
    forged = httpx.put(f"{stack.rw.url}/api/v1/files/{uuid.uuid4()}", content=b"x", timeout=60,
                       headers={**stack.headers("USER"), "X-ArtStore-Copy-Set-Voucher": "Basic x"})
    assert forged.status_code == 401 and forged.json()["error"]["code"]


def _put_copies(stack, ses, data: bytes, copies: list[str], *, expired: bool = False,
                permanent: bool = False) -> str:
    """One file stored as a copy on each of ``ses`` (same id, same sidecar)."""
    file_id = str(uuid.uuid4())
    created = datetime.now(UTC) - timedelta(days=2)
    attrs = {"original_filename": "t.txt", "retention_policy": "temporary", "ttl_days": 1,
             "copies": copies, "created_at": created.isoformat(),
             "expires_at": (created + timedelta(days=1 if expired else 3)).isoformat()}
    if permanent:
        attrs.update(retention_policy="permanent", ttl_days=None, expires_at=None)
    encoded = base64.urlsafe_b64encode(json.dumps(attrs).encode()).decode().rstrip("=")
    for se in ses:
        stored = httpx.put(f"{se.url}/api/v1/files/{file_id}", content=data, timeout=60,
                           headers={**stack.headers("SERVICE"), "X-ArtStore-Attributes": encoded,
                                    "X-ArtStore-Declared-Size": str(len(data)),
                                    "X-ArtStore-Expected-SHA256":
                                        hashlib.sha256(data).hexdigest()})
        assert stored.status_code == 201, stored.text
    return file_id


def _edit_ids(stack) -> list[str]:
    return [se["id"] for se in stack.api("GET", "/api/v1/storage-elements",
                                         params={"mode": "edit"}).json()["items"]]


def test_finalize_makes_the_full_copy_set_and_removes_every_edit_copy(stack):
    data = b"a draft kept twice, then a record kept twice " * 300
    file_id = _put_copies(stack, [stack.edit, stack.edit2], data, _edit_ids(stack))
    started = stack.api("POST", f"/api/v1/files/{file_id}/finalize")
    assert started.status_code == 202, started.text
    saga = stack.wait_saga(started.json()["id"])
    assert saga["state"] == "completed", saga
    rw_ids = {stack.rw_row["id"], stack.rw2_row["id"]}
    assert set(saga["payload"]["target_se_ids"]) == rw_ids
    for se in (stack.rw, stack.rw2):
        copy = stack.se_file(se, uuid.UUID(file_id))
        assert copy is not None, se.name
        assert copy["retention_policy"] == "permanent" and copy["expires_at"] is None
        assert set(copy["copies"]) == rw_ids
        assert stack.se_content(se, uuid.UUID(file_id)) == data
    for se in (stack.edit, stack.edit2):
        assert stack.se_file(se, uuid.UUID(file_id)) is None, se.name
    entry = stack.audit(resource_id=file_id, action="file.source_deleted")[0]
    assert len(entry["details"]["deleted_on"]) == 2


def test_retention_cleanup_removes_every_copy_of_an_expired_file(stack):
    data = b"expired draft with two copies"
    expired = _put_copies(stack, [stack.edit, stack.edit2], data, _edit_ids(stack),
                          expired=True)
    fresh = _put_copies(stack, [stack.edit, stack.edit2], b"still valid", _edit_ids(stack))
    started = stack.api("POST", "/api/v1/sagas/retention-cleanup")
    assert started.status_code == 202, started.text
    saga = stack.wait_saga(started.json()["id"])
    assert saga["state"] == "completed", saga
    for se in (stack.edit, stack.edit2):
        assert stack.se_file(se, uuid.UUID(expired)) is None, se.name
        assert not [p for p in se.data_dir.rglob(f"*{expired}*")], se.name  # nothing left
        assert stack.se_file(se, uuid.UUID(fresh)) is not None, se.name
    entries = stack.audit(resource_id=expired, action="file.expired_deleted")
    assert len(entries) == 1 and len(entries[0]["details"]["deleted_on"]) == 2


def _repair(stack) -> dict:
    """A repair run that started after this call (not one already running before it)."""
    asked = datetime.now(UTC)
    while True:
        started = stack.api("POST", "/api/v1/copies/repair")
        assert started.status_code == 202, started.text
        saga = stack.wait_saga(started.json()["id"], timeout=180)
        assert saga["state"] == "completed", saga
        if datetime.fromisoformat(saga["created_at"]) >= asked:
            return stack.api("GET", "/api/v1/copies/report").json()


def _holders(stack, ses, file_id: str) -> set[str]:
    return {se.name for se in ses if stack.se_file(se, uuid.UUID(file_id)) is not None}


def test_an_offline_se_counts_as_lost_only_after_the_grace_period(stack):
    """Away < grace: its files are not judged. Away > grace: its copies are re-made."""
    stack.rw3 = stack.start_se("cc-rw-3", "rw")
    stack.rw3_row = stack.register(stack.rw3, failure_domain="rack-c")
    pair = [stack.rw_row["id"], stack.rw2_row["id"]]
    files = [_put_copies(stack, [stack.rw, stack.rw2], f"grace {i} ".encode() * 99, pair,
                         permanent=True) for i in range(2)]
    stack.rw2.stop()
    rw2 = stack.rw2_row["id"]
    assert wait_for(lambda: stack.api("GET", f"/api/v1/storage-elements/{rw2}")
                    .json()["status"] == "offline")
    report = _repair(stack)
    assert rw2 in report["unseen_storage_elements"]
    assert not {e["file_id"] for e in report["under_replicated"]} & set(files)
    assert all(stack.se_file(stack.rw3, uuid.UUID(f)) is None for f in files)

    stack.admin.stop()
    stack.start_admin(COPIES_OFFLINE_GRACE_SECONDS="1")
    report = _repair(stack)
    assert rw2 in report["lost_storage_elements"]
    assert rw2 not in report["unseen_storage_elements"]
    assert {e["file_id"] for e in report["under_replicated"]} >= set(files)
    for file_id in files:
        assert _holders(stack, [stack.rw, stack.rw3], file_id) == {"cc-rw-1", "cc-rw-3"}
    stack.rw2.start()
    assert wait_for(lambda: stack.api("GET", f"/api/v1/storage-elements/{rw2}")
                    .json()["status"] == "online")


def test_declare_se_lost_re_replicates_its_copies_then_it_may_be_deleted(stack):
    rw2 = stack.rw2_row["id"]
    def state() -> tuple:
        se = stack.api("GET", f"/api/v1/storage-elements/{rw2}").json()
        return se["lost_at"], se["draining"], se["updated_at"]

    before = state()
    # bad input, wrong scopes: refused with the error shape, nothing changed
    for body in ({}, {"reason": ""}, {"reason": "x" * 501}, {"reason": "ok", "extra": 1}):
        bad = stack.api("POST", f"/api/v1/storage-elements/{rw2}/lost", json=body)
        assert bad.status_code == 422, (body, bad.text)
        assert bad.json()["error"]["code"]
    unknown = stack.api("POST", f"/api/v1/storage-elements/{uuid.uuid4()}/lost",
                        json={"reason": "gone"})
    assert unknown.status_code == 404
    assert unknown.json()["error"]["code"] == "STORAGE_ELEMENT_NOT_FOUND"
    for role in ("readonly", "USER", "SERVICE"):
        denied = stack.api("POST", f"/api/v1/storage-elements/{rw2}/lost", role=role,
                           json={"reason": "gone"})
        assert denied.status_code == 403, role
    assert stack.api("POST", f"/api/v1/storage-elements/{rw2}/lost", role=None,
                     json={"reason": "gone"}).status_code == 401
    assert state() == before and before[0] is None
    not_empty = stack.api("DELETE", f"/api/v1/storage-elements/{rw2}")
    assert not_empty.status_code == 409
    assert not_empty.json()["error"]["code"] == "STORAGE_ELEMENT_NOT_EMPTY"

    # a file whose only copy is on the SE about to be declared lost: read from it, last
    sole = _put_copies(stack, [stack.rw2], b"only here " * 500, [rw2], permanent=True)
    declared = stack.api("POST", f"/api/v1/storage-elements/{rw2}/lost",
                         json={"reason": "disk controller burnt"})
    assert declared.status_code == 200, declared.text
    assert declared.json()["lost_at"] and declared.json()["draining"] is True
    again = stack.api("POST", f"/api/v1/storage-elements/{rw2}/lost", json={"reason": "x"})
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "STORAGE_ELEMENT_ALREADY_LOST"
    entry = stack.audit(action="storage_element.declared_lost")[0]
    assert entry["resource_id"] == rw2 and entry["details"]["reason"] == "disk controller burnt"

    report = {}
    for _ in range(4):  # one copy per file per run; a file with none left takes two runs
        report = _repair(stack)
        assert rw2 in report["lost_storage_elements"]
        if not report["under_replicated_count"] and not report["lost_count"]:
            break
    assert not report["under_replicated_count"] and not report["lost_count"], report
    assert _holders(stack, [stack.rw, stack.rw3], sole) == {"cc-rw-1", "cc-rw-3"}
    assert stack.se_content(stack.rw3, uuid.UUID(sole)) == b"only here " * 500
    deleted = stack.api("DELETE", f"/api/v1/storage-elements/{rw2}")
    assert deleted.status_code == 204, deleted.text
    assert stack.api("GET", f"/api/v1/storage-elements/{rw2}").status_code == 404


def test_a_repair_run_for_one_se_repairs_only_the_files_of_that_se(stack):
    """After the SE declared lost is gone: rw-1 and rw-3 remain, target 2 each."""
    rw1, rw3 = stack.rw_row["id"], stack.rw3_row["id"]
    mine = _put_copies(stack, [stack.rw3], b"scoped: on rw-3 " * 64, [rw3], permanent=True)
    other = _put_copies(stack, [stack.rw], b"scoped: on rw-1 " * 64, [rw1], permanent=True)
    # bad input, wrong scopes: refused with the error shape, no run started
    for body in ({"storage_element_id": "not-a-uuid"}, {"storage_element_id": rw3, "x": 1},
                 ["x"]):
        bad = stack.api("POST", "/api/v1/copies/repair", json=body)
        assert bad.status_code == 422, (body, bad.text)
        assert bad.json()["error"]["code"]
    unknown = stack.api("POST", "/api/v1/copies/repair",
                        json={"storage_element_id": str(uuid.uuid4())})
    assert unknown.status_code == 404
    assert unknown.json()["error"]["code"] == "STORAGE_ELEMENT_NOT_FOUND"
    for role in ("readonly", "USER", "SERVICE"):
        denied = stack.api("POST", "/api/v1/copies/repair", role=role,
                           json={"storage_element_id": rw3})
        assert denied.status_code == 403, role
    assert stack.api("POST", "/api/v1/copies/repair", role=None,
                     json={"storage_element_id": rw3}).status_code == 401
    assert _holders(stack, [stack.rw, stack.rw3], other) == {"cc-rw-1"}

    started = stack.api("POST", "/api/v1/copies/repair", json={"storage_element_id": rw3})
    assert started.status_code == 202, started.text
    assert started.json()["payload"]["storage_element_id"] == rw3
    saga = stack.wait_saga(started.json()["id"], timeout=180)
    assert saga["state"] == "completed", saga
    report = stack.api("GET", "/api/v1/copies/report", role="readonly").json()
    assert report["saga_id"] == saga["id"] and report["storage_element_id"] == rw3
    assert [r["file_id"] for r in report["repaired"]] == [mine]
    # the other SE's under-replicated file is reported, but left alone
    assert other in {e["file_id"] for e in report["under_replicated"]}
    assert _holders(stack, [stack.rw, stack.rw3], mine) == {"cc-rw-1", "cc-rw-3"}
    assert stack.se_content(stack.rw, uuid.UUID(mine)) == b"scoped: on rw-3 " * 64
    assert _holders(stack, [stack.rw, stack.rw3], other) == {"cc-rw-1"}

    report = _repair(stack)  # an unscoped run repairs the rest
    assert report["storage_element_id"] is None
    assert _holders(stack, [stack.rw, stack.rw3], other) == {"cc-rw-1", "cc-rw-3"}


def test_a_run_for_another_se_that_is_waiting_makes_a_scoped_request_busy(stack):
    """A run for rw-3 backing off (its next attempt in an hour): a request for rw-1, or for
    every file, is refused; one for rw-3 is answered with that run."""
    import asyncpg

    rw1, rw3 = stack.rw_row["id"], stack.rw3_row["id"]
    waiting = uuid.uuid4()

    async def put_back(sql: str, *args) -> None:
        conn = await asyncpg.connect(libpq(stack.admin_db))
        try:
            await conn.execute(sql, *args)
        finally:
            await conn.close()

    run_async(lambda: put_back(
        "INSERT INTO sagas (id, type, state, resource_id, payload, steps, attempts, "
        "next_attempt_at, created_by, created_at, updated_at) VALUES ($1, 'copy_repair', "
        "'running', 'copies', $2::jsonb, '[]'::jsonb, 1, now() + interval '1 hour', 'test', "
        "now(), now())", waiting, json.dumps({"storage_element_id": rw3})))
    try:
        for body in ({"storage_element_id": rw1}, {}):
            busy = stack.api("POST", "/api/v1/copies/repair", json=body)
            assert busy.status_code == 409, (body, busy.text)
            assert busy.json()["error"]["code"] == "COPY_REPAIR_BUSY"
            assert busy.json()["error"]["details"]["storage_element_id"] == rw3
        same = stack.api("POST", "/api/v1/copies/repair", json={"storage_element_id": rw3})
        assert same.status_code == 202 and same.json()["id"] == str(waiting), same.text
    finally:
        run_async(lambda: put_back("UPDATE sagas SET next_attempt_at = now() WHERE id = $1",
                                   waiting))
    assert stack.wait_saga(str(waiting), timeout=180)["state"] == "completed"
