"""Issue 14's SE refusals in the audit chain and issue 15's records governance (legal holds,
retain_until) against the whole suite as real processes."""

from __future__ import annotations

import base64
import hashlib
import json
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from e2e_support import Api, assert_error, new_account, token_of, wait_for

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def admin_api(suite_env, admin_token) -> Api:
    return Api(suite_env, admin_token)


def audit_entries(admin_api: Api, **params) -> list[dict]:
    r = admin_api.admin("GET", "/api/v1/audit", params={"limit": 200, **params})
    assert r.status_code == 200, r.text
    return r.json()["items"]


class TestStorageElementRefusalsAudited:
    def test_refusals_reach_the_chain_aggregated(self, suite_env, admin_api):
        se_url = suite_env["SE_URLS"].split(",")[0]
        reader = new_account(admin_api, "READONLY")
        reader_headers = {"Authorization": f"Bearer {token_of(suite_env, reader)}"}
        missing = f"{se_url}/api/v1/files/{uuid.uuid4()}"
        for _ in range(7):
            assert_error(httpx.get(missing, headers={"Authorization": "Bearer forged"},
                                   timeout=30), 401, "INVALID_TOKEN")
        for _ in range(4):
            assert_error(httpx.delete(missing, headers=reader_headers, timeout=30), 403,
                         "INSUFFICIENT_SCOPE")

        def reports(code: str, subject: str | None) -> list[dict]:
            return [e for e in audit_entries(admin_api, action="security.requests_refused",
                                             resource_type="storage_element")
                    if e["details"]["code"] == code and e["actor"] == subject
                    and e["details"]["operation"].endswith("/api/v1/files/{file_id}")]

        # One burst → one entry per alike group and interval, the count carried in details.
        forged = wait_for(lambda: sum(e["details"]["count"] for e in reports(
            "INVALID_TOKEN", None) if e["details"]["operation"].startswith("GET")) >= 7 and
            reports("INVALID_TOKEN", None), "401 report in the audit log")
        assert all(e["outcome"] == "denied" and e["details"]["status"] == 401 for e in forged)
        scoped = wait_for(lambda: sum(e["details"]["count"] for e in reports(
            "INSUFFICIENT_SCOPE", reader["id"])) == 4 and reports(
            "INSUFFICIENT_SCOPE", reader["id"]), "403 report in the audit log")
        assert len(scoped) <= 2 and scoped[0]["details"]["operation"].startswith("DELETE")
        assert scoped[0]["details"]["source"] == "127.0.0.1"
        se_id = next(se["id"] for se in admin_api.storage_elements() if se["api_url"] == se_url)
        assert {e["resource_id"] for e in forged + scoped} == {se_id}
        verify = admin_api.admin("GET", "/api/v1/audit/verify")
        assert verify.status_code == 200 and verify.json()["valid"] is True, verify.text


def se_put(se_url: str, headers: dict, data: bytes, **attrs) -> str:
    file_id = str(uuid.uuid4())
    attrs.setdefault("original_filename", "record.txt")
    encoded = base64.urlsafe_b64encode(json.dumps(attrs).encode()).decode().rstrip("=")
    r = httpx.put(f"{se_url}/api/v1/files/{file_id}", content=data, timeout=60, headers={
        **headers, "X-ArtStore-Attributes": encoded,
        "X-ArtStore-Expected-SHA256": hashlib.sha256(data).hexdigest()})
    assert r.status_code == 201, r.text
    return file_id


def expired_upload(se_url: str, admin_headers: dict, data: bytes, **attrs) -> str:
    """A temporary file whose TTL is already over (provenance: the system account's token)."""
    past = datetime.now(UTC) - timedelta(hours=1)
    return se_put(se_url, admin_headers, data, retention_policy="temporary", ttl_days=1,
                  created_at=(past - timedelta(days=1)).isoformat(),
                  expires_at=past.isoformat(), **attrs)


class TestLegalHoldsEndToEnd:
    def test_held_file_survives_ttl_cleanup_and_delete_until_released(
            self, suite_env, admin_api):
        admin = admin_api.headers
        edit = admin_api.storage_element("se-edit-1")
        manager = new_account(admin_api, "RECORDS_MANAGER")
        rm = Api(suite_env, token_of(suite_env, manager))
        held = expired_upload(edit["api_url"], admin, b"evidence for case 17")
        control = expired_upload(edit["api_url"], admin, b"an ordinary expired draft")
        case_tag = f"case-{uuid.uuid4().hex[:6]}"
        tagged = admin_api.upload("contract.txt", b"tagged record", retention_policy="permanent",
                                  tags=case_tag)
        assert tagged.status_code == 201, tagged.text
        tagged_id = tagged.json()["file_id"]

        # An auditor reads holds and audit but changes nothing.
        auditor = Api(suite_env, token_of(suite_env, new_account(admin_api, "AUDITOR")))
        assert_error(auditor.admin("POST", "/api/v1/legal-holds",
                                   json={"name": "x", "reason": "y"}), 403, "INSUFFICIENT_SCOPE")

        r = rm.admin("POST", "/api/v1/legal-holds", json={
            "name": f"Case 2024-17 {uuid.uuid4().hex[:6]}", "reason": "court order 17"})
        assert r.status_code == 201, r.text
        hold = r.json()
        assert hold["owner"] == manager["name"] and hold["status"] == "active"
        r = rm.admin("POST", f"/api/v1/legal-holds/{hold['id']}/files",
                     json={"file_ids": [held, str(uuid.uuid4())]})
        assert r.status_code == 200, r.text
        assert r.json()["placed"] == [held] and len(r.json()["not_found"]) == 1
        r = rm.admin("POST", f"/api/v1/legal-holds/{hold['id']}/files", json={"tag": case_tag})
        assert r.status_code == 200 and r.json()["placed"] == [tagged_id], r.text
        tagged_copies = [se for se in admin_api.storage_elements()
                         if httpx.get(f"{se['api_url']}/api/v1/files/{tagged_id}",
                                      headers=admin, timeout=30).status_code == 200]
        assert tagged_copies
        for se in tagged_copies:
            meta = httpx.get(f"{se['api_url']}/api/v1/files/{tagged_id}", headers=admin,
                             timeout=30).json()
            assert meta["legal_holds"] == [hold["id"]]
        listed = auditor.admin("GET", f"/api/v1/legal-holds/{hold['id']}/files")
        assert {f["file_id"] for f in listed.json()["items"]} == {held, tagged_id}

        # TTL over + a retention cleanup run: the held file is skipped, the other deleted.
        saga = admin_api.admin("POST", "/api/v1/sagas/retention-cleanup")
        assert saga.status_code == 202, saga.text
        done = admin_api.wait_saga(saga.json()["id"])
        assert done["state"] == "completed", done
        assert {"file_id": held, "reason": "on_hold"} in done["payload"]["held"]
        assert control in done["payload"]["deleted"] and held not in done["payload"]["deleted"]
        se_file = f"{edit['api_url']}/api/v1/files/{held}"
        assert httpx.get(se_file, headers=admin, timeout=30).status_code == 200

        # A direct delete (even by an administrator) and a finalize are refused.
        err = assert_error(httpx.delete(se_file, headers=admin, timeout=30), 409, "FILE_ON_HOLD")
        assert err["details"]["legal_holds"] == [hold["id"]]
        assert_error(admin_api.admin("POST", f"/api/v1/files/{held}/finalize"), 409,
                     "FILE_ON_HOLD")
        err = assert_error(admin_api.admin("DELETE", f"/api/v1/files/{held}"), 409,
                           "FILE_ON_HOLD")  # the console's delete, every copy checked first
        assert err["details"]["legal_holds"] == [hold["id"]]
        refused = audit_entries(admin_api, action="file.change_refused", resource_id=held)
        assert [(e["details"]["operation"], e["details"]["reason"]) for e in refused] == [
            ("delete", "FILE_ON_HOLD")]

        # The SE index rebuilt from sidecars keeps the hold.
        r = httpx.post(f"{edit['api_url']}/api/v1/maintenance/rebuild", headers=admin,
                       timeout=120)
        assert r.status_code == 200, r.text
        assert httpx.get(se_file, headers=admin, timeout=30).json()["legal_holds"] == [
            hold["id"]]

        # Release (audited), then the delete goes through.
        assert_error(rm.admin("POST", f"/api/v1/legal-holds/{hold['id']}/release", json={}),
                     422)
        r = rm.admin("POST", f"/api/v1/legal-holds/{hold['id']}/release",
                     json={"reason": "court released case 17"})
        assert r.status_code == 200 and r.json()["status"] == "released", r.text
        assert httpx.get(se_file, headers=admin, timeout=30).json()["legal_holds"] == []
        assert httpx.delete(se_file, headers=admin, timeout=30).status_code == 204
        assert_error(rm.admin("POST", f"/api/v1/legal-holds/{hold['id']}/files",
                              json={"file_ids": [tagged_id]}), 409, "HOLD_RELEASED")

        actions = {(e["action"], e["resource_id"]) for e in audit_entries(
            admin_api, action_contains="hold")}
        assert {("legal_hold.created", hold["id"]), ("file.hold_placed", held),
                ("file.hold_placed", tagged_id), ("legal_hold.released", hold["id"]),
                ("file.hold_released", held)} <= actions
        released = audit_entries(admin_api, action="legal_hold.released",
                                 resource_id=hold["id"])[0]
        assert released["actor"] == manager["name"]
        assert released["details"]["reason"] == "court released case 17"
        verify = admin_api.admin("GET", "/api/v1/audit/verify")
        assert verify.json()["valid"] is True, verify.text


class TestRetainUntilOnlyLater:
    def test_admin_path_se_path_and_ingester_path(self, suite_env, admin_api):
        admin = admin_api.headers
        rm = Api(suite_env, token_of(suite_env, new_account(admin_api, "RECORDS_MANAGER")))
        user = Api(suite_env, token_of(suite_env, new_account(admin_api, "USER")))
        stored = admin_api.upload("ledger.txt", b"fiscal 2025 ledger",
                                  retention_policy="permanent")
        assert stored.status_code == 201, stored.text
        file_id = stored.json()["file_id"]
        url = f"/api/v1/files/{file_id}/retain-until"

        def copies() -> list[dict]:
            found = []
            for se in admin_api.storage_elements():
                r = httpx.get(f"{se['api_url']}/api/v1/files/{file_id}", headers=admin,
                              timeout=30)
                if r.status_code == 200:
                    found.append(dict(r.json(), api_url=se["api_url"]))
            return found

        assert_error(user.admin("PUT", url, json={"retain_until": "2031-01-01T00:00:00Z"}),
                     403, "INSUFFICIENT_SCOPE")
        r = rm.admin("PUT", url, json={"retain_until": "2031-01-01T00:00:00Z"})
        assert r.status_code == 200, r.text
        assert {c["retain_until"][:10] for c in copies()} == {"2031-01-01"}
        assert rm.admin("PUT", url, json={"retain_until": "2032-06-30T00:00:00Z"}
                        ).status_code == 200
        err = assert_error(rm.admin("PUT", url, json={"retain_until": "2031-12-31T00:00:00Z"}),
                           409, "RETAIN_UNTIL_EARLIER")
        assert err["details"]["retain_until"].startswith("2032-06-30")
        assert_error(rm.admin("PUT", url, json={"retain_until": "2032-06-30T00:00:00"}), 422)
        # Straight to a storage element: the same refusal, nothing changes.
        first = copies()[0]
        assert_error(httpx.put(f"{first['api_url']}{url}", headers=admin, timeout=30,
                               json={"retain_until": "2020-01-01T00:00:00Z"}),
                     409, "RETAIN_UNTIL_EARLIER")
        assert {c["retain_until"][:10] for c in copies()} == {"2032-06-30"}
        changes = audit_entries(admin_api, action="file.retain_until_set", resource_id=file_id)
        assert [e["details"]["to"][:10] for e in changes] == ["2032-06-30", "2031-01-01"]

        # Through the ingester: records:write may set it at upload, a USER may not.
        refused = user.upload("draft.txt", b"draft", retain_until="2030-01-01T00:00:00Z")
        assert_error(refused, 403, "INSUFFICIENT_SCOPE")
        kept = admin_api.upload("kept.txt", b"kept draft", ttl_days="1",
                                retain_until="2030-01-01T00:00:00Z")
        assert kept.status_code == 201, kept.text
        kept_id = kept.json()["file_id"]
        edit = admin_api.storage_element("se-edit-1")
        se_file = f"{edit['api_url']}/api/v1/files/{kept_id}"
        assert httpx.get(se_file, headers=admin, timeout=30).json()["retain_until"].startswith(
            "2030-01-01")
        assert_error(httpx.delete(se_file, headers=admin, timeout=30), 409,
                     "FILE_UNDER_RETENTION")
        assert_error(admin_api.upload("x.txt", b"x", retain_until="2030-01-01"), 422)


class TestRetentionSchedules:
    def test_a_class_computes_retain_until_from_a_metadata_date(self, suite_env, admin_api):
        admin = admin_api.headers
        rm = Api(suite_env, token_of(suite_env, new_account(admin_api, "RECORDS_MANAGER")))
        name = f"accounting-5y-{uuid.uuid4().hex[:6]}"
        assert_error(rm.admin("POST", "/api/v1/retention-schedules", json={
            "name": name, "period_days": 1826, "trigger": "metadata_date",
            "action": "destroy"}), 422)  # no date_field
        r = rm.admin("POST", "/api/v1/retention-schedules", json={
            "name": name, "period_days": 1826, "trigger": "metadata_date",
            "date_field": "fiscal_year_end", "action": "destroy"})
        assert r.status_code == 201, r.text
        short = f"short-{uuid.uuid4().hex[:6]}"
        assert rm.admin("POST", "/api/v1/retention-schedules", json={
            "name": short, "period_days": 30, "trigger": "upload", "action": "review",
        }).status_code == 201
        assert_error(rm.admin("POST", "/api/v1/retention-schedules", json={
            "name": short, "period_days": 5, "trigger": "upload", "action": "review"}),
            409, "RETENTION_SCHEDULE_NAME_TAKEN")
        listed = rm.admin("GET", "/api/v1/retention-schedules", params={"limit": 200}).json()
        assert {name, short} <= {s["name"] for s in listed["items"]}

        ledger = admin_api.upload("ledger-2025.txt", b"ledger", retention_policy="permanent",
                                  metadata=json.dumps({"fiscal_year_end": "2025-12-31"}))
        plain = admin_api.upload("memo.txt", b"memo", retention_policy="permanent")
        assert ledger.status_code == 201 and plain.status_code == 201
        ledger_id, plain_id = ledger.json()["file_id"], plain.json()["file_id"]

        r = rm.admin("PUT", f"/api/v1/files/{ledger_id}/retention-class",
                     json={"schedule": name})
        assert r.status_code == 200, r.text
        expected = (datetime(2025, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)
                    + timedelta(days=1826))
        assert datetime.fromisoformat(r.json()["retain_until"]) == expected
        assert r.json()["action"] == "destroy"
        copies = [httpx.get(f"{se['api_url']}/api/v1/files/{ledger_id}", headers=admin,
                            timeout=30) for se in admin_api.storage_elements()]
        found = [c.json() for c in copies if c.status_code == 200]
        assert found and all(c["retention_class"] == name for c in found)
        assert all(datetime.fromisoformat(c["retain_until"]) == expected for c in found)
        # A class that would end sooner cannot shorten it.
        assert_error(rm.admin("PUT", f"/api/v1/files/{ledger_id}/retention-class",
                              json={"schedule": short}), 409, "RETAIN_UNTIL_EARLIER")
        # No trigger date in the metadata: a clear 422, nothing changed.
        assert_error(rm.admin("PUT", f"/api/v1/files/{plain_id}/retention-class",
                              json={"schedule": name}), 422, "RETENTION_TRIGGER_MISSING")
        assert_error(rm.admin("PUT", f"/api/v1/files/{plain_id}/retention-class",
                              json={"schedule": "no-such-class"}), 404,
                     "RETENTION_SCHEDULE_NOT_FOUND")
        r = rm.admin("PUT", f"/api/v1/files/{plain_id}/retention-class", json={"schedule": short})
        assert r.status_code == 200, r.text
        trail = audit_entries(admin_api, action="file.retain_until_set", resource_id=ledger_id)
        assert trail[0]["details"]["retention_class"] == name


class TestHoldBySavedSearch:
    def test_hold_covers_what_the_callers_saved_search_finds(self, suite_env, admin_api):
        manager = new_account(admin_api, "RECORDS_MANAGER")
        rm = Api(suite_env, token_of(suite_env, manager))
        case_tag = f"matter-{uuid.uuid4().hex[:6]}"
        found = []
        for n in range(3):
            r = admin_api.upload(f"m{n}.txt", f"matter record {n}".encode(),
                                 retention_policy="permanent", tags=case_tag)
            assert r.status_code == 201, r.text
            found.append(r.json()["file_id"])
        other = admin_api.upload("other.txt", b"not in the matter", retention_policy="permanent")
        assert other.status_code == 201, other.text
        wait_for(lambda: rm.search(tags=case_tag)["total"] == 3, "the catalog to index")

        def save(api: Api, params: dict) -> str:
            r = api.admin("POST", "/api/v1/saved-searches",
                          json={"name": f"s-{uuid.uuid4().hex[:6]}", "params": params})
            assert r.status_code == 201, r.text
            return r.json()["id"]

        # The console's saved "limit" is a page size, not a bound on the hold: every page counts.
        mine = save(rm, {"tags": [case_tag], "limit": "1", "sort": "name"})
        theirs = save(admin_api, {"tags": [case_tag]})
        broken = save(rm, {"tags": [case_tag], "no_such_param": "x"})
        r = rm.admin("POST", "/api/v1/legal-holds", json={
            "name": f"Matter {uuid.uuid4().hex[:6]}", "reason": "litigation hold"})
        assert r.status_code == 201, r.text
        hold = r.json()
        place = f"/api/v1/legal-holds/{hold['id']}/files"

        auditor = Api(suite_env, token_of(suite_env, new_account(admin_api, "AUDITOR")))
        assert_error(auditor.admin("POST", place, json={"saved_search_id": mine}), 403,
                     "INSUFFICIENT_SCOPE")
        assert_error(rm.admin("POST", place, json={"saved_search_id": mine, "tag": case_tag}),
                     422)
        assert_error(rm.admin("POST", place, json={"saved_search_id": theirs}), 404,
                     "SAVED_SEARCH_NOT_FOUND")  # another's saved search is not the caller's
        assert_error(rm.admin("POST", place, json={"saved_search_id": str(uuid.uuid4())}), 404,
                     "SAVED_SEARCH_NOT_FOUND")
        err = assert_error(rm.admin("POST", place, json={"saved_search_id": broken}), 422,
                           "SAVED_SEARCH_INVALID")
        assert err["details"]["status"] == 422
        listed = rm.admin("GET", place)
        assert listed.status_code == 200 and listed.json()["items"] == [], listed.text

        r = rm.admin("POST", place, json={"saved_search_id": mine})
        assert r.status_code == 200, r.text
        assert sorted(r.json()["placed"]) == sorted(found) and r.json()["failed"] == []
        for file_id in found:
            copies = [se for se in admin_api.storage_elements()
                      if httpx.get(f"{se['api_url']}/api/v1/files/{file_id}",
                                   headers=admin_api.headers, timeout=30).status_code == 200]
            assert copies
            for se in copies:
                meta = httpx.get(f"{se['api_url']}/api/v1/files/{file_id}",
                                 headers=admin_api.headers, timeout=30).json()
                assert meta["legal_holds"] == [hold["id"]]
        other_id = other.json()["file_id"]
        assert audit_entries(admin_api, action="file.hold_placed", resource_id=other_id) == []
        placed = [e for e in audit_entries(admin_api, action="file.hold_placed")
                  if e["details"].get("hold_id") == hold["id"]]
        assert sorted(e["resource_id"] for e in placed) == sorted(found)
        assert {e["details"]["saved_search_id"] for e in placed} == {mine}
        assert {e["actor"] for e in placed} == {manager["name"]}

        r = rm.admin("POST", f"/api/v1/legal-holds/{hold['id']}/release",
                     json={"reason": "matter closed"})
        assert r.status_code == 200, r.text


class TestRetentionClassAtUpload:
    def test_class_goes_to_every_copy_and_to_disposition(self, suite_env, admin_api):
        rm = Api(suite_env, token_of(suite_env, new_account(admin_api, "RECORDS_MANAGER")))
        user = Api(suite_env, token_of(suite_env, new_account(admin_api, "USER")))

        def schedule(trigger: str, days: int, **extra) -> str:
            name = f"{trigger}-{uuid.uuid4().hex[:6]}"
            r = rm.admin("POST", "/api/v1/retention-schedules", json={
                "name": name, "period_days": days, "trigger": trigger, "action": "destroy",
                **extra})
            assert r.status_code == 201, r.text
            return name

        by_upload = schedule("upload", 10)
        by_date = schedule("metadata_date", 1, date_field="closed")
        by_event = schedule("event", 365)
        got = rm.admin("GET", f"/api/v1/retention-schedules/{by_date}")
        assert got.status_code == 200 and got.json()["date_field"] == "closed", got.text

        def upload(api: Api, cls: str, **fields) -> httpx.Response:
            return api.upload("rec.txt", b"a record", retention_policy="permanent",
                              retention_class=cls, **fields)

        def copies(file_id: str) -> list[dict]:
            found = [httpx.get(f"{se['api_url']}/api/v1/files/{file_id}",
                               headers=admin_api.headers, timeout=30)
                     for se in admin_api.storage_elements()]
            return [c.json() for c in found if c.status_code == 200]

        # Refused before any byte is stored, with the reason (USER may upload, not classify).
        assert_error(upload(user, by_upload), 403, "INSUFFICIENT_SCOPE")
        for unknown in ("no-such-class", f"{by_upload}?x=1", "..", f"{by_upload}/x"):
            assert_error(upload(admin_api, unknown), 422, "UNKNOWN_RETENTION_CLASS")
        assert_error(upload(admin_api, by_date), 422, "RETENTION_TRIGGER_MISSING")
        assert_error(upload(admin_api, by_upload, retain_until="2040-01-01T00:00:00Z"), 422)

        before = datetime.now(UTC)
        r = upload(admin_api, by_upload)
        assert r.status_code == 201, r.text
        found = copies(r.json()["file_id"])
        assert found and all(c["retention_class"] == by_upload for c in found)
        for c in found:
            until = datetime.fromisoformat(c["retain_until"])
            assert before + timedelta(days=10) <= until <= datetime.now(UTC) + timedelta(days=10)

        r = upload(admin_api, by_event)
        assert r.status_code == 201, r.text
        found = copies(r.json()["file_id"])
        assert found and all(c["retention_class"] == by_event and c["retain_until"] is None
                             for c in found)

        # A class whose period is already over: a disposition candidate once the admin module
        # has read the SEs' file events (a second or two after the 201).
        r = upload(admin_api, by_date, metadata=json.dumps({"closed": "2020-01-01"}))
        assert r.status_code == 201, r.text
        due_id = r.json()["file_id"]
        expected = datetime(2020, 1, 2, 23, 59, 59, 999999, tzinfo=UTC)
        assert all(datetime.fromisoformat(c["retain_until"]) == expected
                   for c in copies(due_id))

        def listed() -> list[dict]:
            r = rm.admin("GET", "/api/v1/disposition/candidates", params={"limit": 1000})
            assert r.status_code == 200, r.text
            return [c for c in r.json()["items"] if c["file_id"] == due_id]

        due = wait_for(listed, "the classed upload among the disposition candidates")
        assert len(due) == 1 and due[0]["retention_class"] == by_date, due
        assert datetime.fromisoformat(due[0]["retain_until"]) == expected
