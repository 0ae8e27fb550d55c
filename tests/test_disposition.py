"""Issue 15's disposition with four eyes against the whole suite as real processes: candidates,
a batch proposed by one records manager and approved or rejected by another, the saga that
destroys every copy (two rw SEs), held files kept and reported, and the certificate of
destruction (JSON + PDF, stored in ArtStore, its audit range verifying)."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pypdfium2
import pytest
import redis
from e2e_support import Api, assert_error, new_account, sha256, token_of, wait_for

from artstore_common.contracts import RETENTION_SCHEDULES_KEY

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def admin_api(suite_env, admin_token) -> Api:
    return Api(suite_env, admin_token)


@pytest.fixture(scope="module")
def managers(suite_env, admin_api) -> tuple[Api, Api, dict, dict]:
    first, second = (new_account(admin_api, "RECORDS_MANAGER", "rm") for _ in range(2))
    return (Api(suite_env, token_of(suite_env, first)), Api(suite_env, token_of(suite_env, second)),
            first, second)


@pytest.fixture(scope="module")
def destroy_class(managers) -> str:
    """Keep one day after the fiscal year's end, then destroy: files of 2015 are long due."""
    name = f"ledger-1d-{uuid.uuid4().hex[:6]}"
    r = managers[0].admin("POST", "/api/v1/retention-schedules", json={
        "name": name, "period_days": 1, "trigger": "metadata_date",
        "date_field": "fiscal_year_end", "action": "destroy"})
    assert r.status_code == 201, r.text
    return name


def due_file(admin_api: Api, rm: Api, schedule: str, name: str, content: bytes) -> str:
    """A permanent file (two copies) whose class put its retain_until in the past."""
    r = admin_api.upload(name, content, retention_policy="permanent",
                         metadata=json.dumps({"fiscal_year_end": "2015-12-31"}))
    assert r.status_code == 201, r.text
    assert len(r.json()["copies"]) == 2
    file_id = r.json()["file_id"]
    r = rm.admin("PUT", f"/api/v1/files/{file_id}/retention-class", json={"schedule": schedule})
    assert r.status_code == 200, r.text
    return file_id


def copies_on_ses(admin_api: Api, file_id: str) -> dict[str, dict]:
    """SE id → sidecar of every copy the SEs still hold."""
    found = {}
    for se in admin_api.storage_elements():
        r = httpx.get(f"{se['api_url']}/api/v1/files/{file_id}", headers=admin_api.headers,
                      timeout=30)
        assert r.status_code in (200, 404), r.text
        if r.status_code == 200:
            found[se["id"]] = r.json()
    return found


def candidate_ids(api: Api) -> set[str]:
    r = api.admin("GET", "/api/v1/disposition/candidates", params={"limit": 1000})
    assert r.status_code == 200, r.text
    return {c["file_id"] for c in r.json()["items"]}


def audit_entries(api: Api, **params) -> list[dict]:
    r = api.admin("GET", "/api/v1/audit", params={"limit": 200, **params})
    assert r.status_code == 200, r.text
    return r.json()["items"]


def execute(admin_api: Api, approver: Api, batch_id: str) -> dict:
    r = approver.admin("POST", f"/api/v1/disposition/batches/{batch_id}/approve",
                       json={"reason": "checked against the schedule"})
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "approved"
    saga = admin_api.wait_saga(r.json()["saga_id"])
    assert saga["state"] == "completed", saga
    batch = approver.admin("GET", f"/api/v1/disposition/batches/{batch_id}").json()
    assert batch["status"] == "executed", batch
    return batch


class TestDispositionWithFourEyes:
    def test_approved_batch_destroys_every_copy_keeps_the_held_and_certifies(
            self, suite_env, admin_api, managers, destroy_class):
        proposer, approver, proposer_account, approver_account = managers
        auditor = Api(suite_env, token_of(suite_env, new_account(admin_api, "AUDITOR")))
        contents = {"Отчёт за 2015 год.txt": b"ledger 2015, part one",
                    "ledger-2015-b.txt": b"ledger 2015, part two",
                    "case-17-evidence.txt": b"ledger 2015, wanted by the court"}
        ids = {name: due_file(admin_api, proposer, destroy_class, name, body)
               for name, body in contents.items()}
        cyrillic, plain, held = ids.values()
        undue = admin_api.upload("fresh.txt", b"no class", retention_policy="permanent")
        assert undue.status_code == 201, undue.text

        assert set(ids.values()) <= candidate_ids(auditor)
        count = auditor.admin("GET", "/api/v1/disposition/candidates/count")
        assert count.status_code == 200 and count.json()["count"] >= 3
        assert_error(auditor.admin("POST", "/api/v1/disposition/batches", json={
            "file_ids": [cyrillic], "reason": "x"}), 403, "INSUFFICIENT_SCOPE")
        err = assert_error(proposer.admin("POST", "/api/v1/disposition/batches", json={
            "file_ids": [cyrillic, undue.json()["file_id"]], "reason": "due"}), 422,
            "NOT_DISPOSITION_CANDIDATES")
        assert err["details"]["file_ids"] == [undue.json()["file_id"]]

        r = proposer.admin("POST", "/api/v1/disposition/batches", json={
            "file_ids": list(ids.values()), "reason": "fiscal 2015 records past retention"})
        assert r.status_code == 201, r.text
        batch = r.json()
        assert batch["status"] == "proposed" and batch["counts"] == {"pending": 3}
        assert batch["proposed_by"] == proposer_account["name"]
        # A file in an open batch is no longer offered nor proposable twice.
        assert not set(ids.values()) & candidate_ids(auditor)
        assert_error(approver.admin("POST", "/api/v1/disposition/batches", json={
            "file_ids": [plain], "reason": "again"}), 422, "NOT_DISPOSITION_CANDIDATES")

        # Four eyes: the proposer cannot approve (nor reject) their own batch; nothing changes.
        url = f"/api/v1/disposition/batches/{batch['id']}"
        assert_error(proposer.admin("POST", f"{url}/approve"), 403, "FOUR_EYES_REQUIRED")
        assert_error(proposer.admin("POST", f"{url}/reject"), 403, "FOUR_EYES_REQUIRED")
        assert_error(auditor.admin("POST", f"{url}/approve"), 403, "INSUFFICIENT_SCOPE")
        assert proposer.admin("GET", url).json()["status"] == "proposed"
        refused = audit_entries(admin_api, action="disposition.approval_refused",
                                resource_id=batch["id"])
        assert refused and refused[0]["outcome"] == "denied"
        assert len(copies_on_ses(admin_api, cyrillic)) == 2

        # A hold placed between proposal and approval keeps its file.
        hold = approver.admin("POST", "/api/v1/legal-holds", json={
            "name": f"Case 17 {uuid.uuid4().hex[:6]}", "reason": "court order"}).json()
        r = approver.admin("POST", f"/api/v1/legal-holds/{hold['id']}/files",
                           json={"file_ids": [held]})
        assert r.json()["placed"] == [held], r.text

        done = execute(admin_api, approver, batch["id"])
        assert done["decided_by"] == approver_account["name"]
        assert done["counts"] == {"destroyed": 2, "skipped": 1}
        outcome = {i["file_id"]: i for i in done["items"]}
        assert outcome[held]["outcome"] == "skipped" and outcome[held]["reason"] == "on_hold"
        assert outcome[held]["record"]["legal_holds"] == [hold["id"]]
        assert copies_on_ses(admin_api, cyrillic) == {} and copies_on_ses(admin_api, plain) == {}
        assert len(copies_on_ses(admin_api, held)) == 2
        destroyed_entries = {e["resource_id"]: e for e in audit_entries(
            admin_api, action="file.destroyed", resource_type="file")
            if e["resource_id"] in ids.values()}
        assert set(destroyed_entries) == {cyrillic, plain}
        skipped = audit_entries(admin_api, action="disposition.file_skipped", resource_id=held)
        assert skipped and skipped[0]["details"]["reason"] == "on_hold"

        # The certificate: what went, with the hashes of the bytes that were uploaded.
        r = auditor.admin("GET", f"{url}/certificate")
        assert r.status_code == 200, r.text
        cert = r.json()
        assert cert["kind"] == "artstore.certificate_of_destruction"
        assert cert["proposed_by"]["name"] == proposer_account["name"]
        assert cert["approved_by"]["name"] == approver_account["name"]
        listed = {d["file_id"]: d for d in cert["destroyed"]}
        assert set(listed) == {cyrillic, plain}
        for name in ("Отчёт за 2015 год.txt", "ledger-2015-b.txt"):
            entry = listed[ids[name]]
            assert entry["original_filename"] == name
            assert entry["sha256"] == sha256(contents[name])
            assert entry["size"] == len(contents[name])
            assert entry["retention_class"] == destroy_class
            assert entry["retain_until"].startswith("2016-01-01T23:59:59")
            assert len(entry["storage_element_ids"]) == 2
        assert cert["skipped"][0]["file_id"] == held
        # The audit range covers proposal to execution and verifies.
        span = cert["audit"]
        assert span["seq_from"] <= min(e["seq"] for e in destroyed_entries.values())
        assert max(e["seq"] for e in destroyed_entries.values()) < span["seq_to"]
        check = auditor.admin("GET", f"{url}/certificate/verify")
        assert check.status_code == 200 and check.json()["valid"] is True, check.text
        assert check.json()["checked"] == span["seq_to"] - span["seq_from"] + 1
        pdf = auditor.admin("GET", f"{url}/certificate", params={"format": "pdf"})
        assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
        text = pypdfium2.PdfDocument(pdf.content)[0].get_textpage().get_text_range()
        assert "Отчёт за 2015 год.txt" in text and sha256(contents["ledger-2015-b.txt"]) in text

        # Both documents are permanent files in ArtStore, tagged, with the same bytes.
        for file_id, body in ((done["certificate_file_id"], r.content),
                              (done["certificate_pdf_file_id"], pdf.content)):
            stored = copies_on_ses(admin_api, file_id)
            assert len(stored) == 2, stored
            attrs = next(iter(stored.values()))
            assert attrs["retention_policy"] == "permanent"
            assert "disposition-certificate" in attrs["tags"]
            assert attrs["custom"]["disposition_batch_id"] == batch["id"]
            assert attrs["sha256"] == sha256(body)
        verify = admin_api.admin("GET", "/api/v1/audit/verify")
        assert verify.status_code == 200 and verify.json()["valid"] is True

        # Released, the held file is a candidate again and goes with the next batch.
        r = approver.admin("POST", f"/api/v1/legal-holds/{hold['id']}/release",
                           json={"reason": "case closed"})
        assert r.status_code == 200, r.text
        assert held in candidate_ids(auditor)
        r = approver.admin("POST", "/api/v1/disposition/batches", json={
            "file_ids": [held], "reason": "case 17 closed"})
        assert r.status_code == 201, r.text
        second = execute(admin_api, proposer, r.json()["id"])
        assert second["counts"] == {"destroyed": 1}
        assert copies_on_ses(admin_api, held) == {}
        assert held not in candidate_ids(auditor)

    def test_rejected_batch_destroys_nothing(self, admin_api, managers, destroy_class):
        proposer, approver, _, approver_account = managers
        body = b"a record someone still needs"
        file_id = due_file(admin_api, proposer, destroy_class, "kept.txt", body)
        r = proposer.admin("POST", "/api/v1/disposition/batches", json={
            "file_ids": [file_id], "reason": "due"})
        assert r.status_code == 201, r.text
        url = f"/api/v1/disposition/batches/{r.json()['id']}"
        r = approver.admin("POST", f"{url}/reject", json={"reason": "still needed by finance"})
        assert r.status_code == 200 and r.json()["status"] == "rejected", r.text
        assert r.json()["decided_by"] == approver_account["name"]
        assert_error(approver.admin("POST", f"{url}/approve"), 409, "BATCH_NOT_PROPOSED")
        assert_error(approver.admin("GET", f"{url}/certificate"), 404, "CERTIFICATE_NOT_READY")
        copies = copies_on_ses(admin_api, file_id)
        assert len(copies) == 2 and all(c["sha256"] == sha256(body) for c in copies.values())
        assert file_id in candidate_ids(approver)
        rejected = audit_entries(admin_api, action="disposition.batch_rejected",
                                 resource_id=r.json()["id"])
        assert rejected[0]["details"]["reason"] == "still needed by finance"

    def test_bad_input_is_refused_with_nothing_changed(self, admin_api, managers):
        proposer, approver, _, _ = managers
        for body in ({"file_ids": [], "reason": "x"}, {"file_ids": ["nope"], "reason": "x"},
                     {"file_ids": [str(uuid.uuid4())]}, {"reason": "x"},
                     {"file_ids": [str(uuid.uuid4())], "reason": "x", "extra": 1}):
            assert_error(proposer.admin("POST", "/api/v1/disposition/batches", json=body), 422)
        missing = f"/api/v1/disposition/batches/{uuid.uuid4()}"
        assert_error(approver.admin("POST", f"{missing}/approve"), 404,
                     "DISPOSITION_BATCH_NOT_FOUND")
        assert_error(approver.admin("GET", missing), 404, "DISPOSITION_BATCH_NOT_FOUND")

    def test_only_the_admin_module_disposes_on_a_storage_element(
            self, suite_env, admin_api, managers, destroy_class):
        proposer = managers[0]
        file_id = due_file(admin_api, proposer, destroy_class, "direct.txt", b"direct")
        se_id, _ = next(iter(copies_on_ses(admin_api, file_id).items()))
        se = next(s for s in admin_api.storage_elements() if s["id"] == se_id)
        # records:write alone (a records manager's token) cannot skip the four eyes at the SE:
        # dispose also needs the internal scope only the admin module's own token has.
        assert_error(httpx.post(f"{se['api_url']}/api/v1/files/{file_id}/dispose",
                                json={"batch_id": str(uuid.uuid4())}, headers=proposer.headers,
                                timeout=30), 403, "INSUFFICIENT_SCOPE")
        # An rw SE refuses the ordinary delete, whoever asks.
        assert_error(httpx.delete(f"{se['api_url']}/api/v1/files/{file_id}",
                                  headers=admin_api.headers, timeout=30), 409)
        assert len(copies_on_ses(admin_api, file_id)) == 2


class TestEventTrigger:
    def test_an_event_class_counts_from_the_recorded_event(self, suite_env, admin_api,
                                                           managers, destroy_class):
        rm = managers[0]
        name = f"contract-end-{uuid.uuid4().hex[:6]}"
        r = rm.admin("POST", "/api/v1/retention-schedules", json={
            "name": name, "period_days": 10, "trigger": "event", "action": "review"})
        assert r.status_code == 201, r.text
        assert_error(rm.admin("POST", "/api/v1/retention-schedules", json={
            "name": f"x-{name}", "period_days": 10, "trigger": "event",
            "date_field": "contract_end", "action": "review"}), 422)
        stored = admin_api.upload("contract.txt", b"a contract", retention_policy="permanent")
        assert stored.status_code == 201, stored.text
        file_id = stored.json()["file_id"]
        event = f"/api/v1/files/{file_id}/retention-event"
        # No class yet, then the class alone: no date until the event is recorded.
        assert_error(rm.admin("POST", event, json={"date": "2015-06-30"}), 409,
                     "RETENTION_TRIGGER_NOT_EVENT")
        r = rm.admin("PUT", f"/api/v1/files/{file_id}/retention-class", json={"schedule": name})
        assert r.status_code == 200 and r.json()["retain_until"] is None, r.text
        copies = copies_on_ses(admin_api, file_id).values()
        assert all(c["retention_class"] == name and c["retain_until"] is None for c in copies)
        assert file_id not in candidate_ids(rm)

        auditor = Api(suite_env, token_of(suite_env, new_account(admin_api, "AUDITOR")))
        assert_error(auditor.admin("POST", event, json={"date": "2015-06-30"}), 403,
                     "INSUFFICIENT_SCOPE")
        for body in ({"date": "2015-06-30T00:00:00"}, {"date": "someday"}, {},
                     {"date": "2015-06-30", "extra": 1}):
            assert_error(rm.admin("POST", event, json=body), 422)
        assert all(c["retain_until"] is None for c in copies_on_ses(admin_api, file_id).values())

        r = rm.admin("POST", event, json={"date": "2015-06-30"})
        assert r.status_code == 200, r.text
        assert r.json()["retain_until"].startswith("2015-07-10T23:59:59")
        assert r.json()["action"] == "review"
        for copy in copies_on_ses(admin_api, file_id).values():
            assert copy["retain_until"].startswith("2015-07-10T23:59:59")
        assert file_id in candidate_ids(rm)
        # An earlier event cannot shorten it; a later one moves it on.
        assert_error(rm.admin("POST", event, json={"date": "2015-01-01"}), 409,
                     "RETAIN_UNTIL_EARLIER")
        r = rm.admin("POST", event, json={"date": "2016-01-01T12:00:00+03:00"})
        assert r.status_code == 200, r.text
        assert datetime.fromisoformat(r.json()["retain_until"]) == datetime(
            2016, 1, 11, 9, 0, tzinfo=UTC)
        trail = audit_entries(admin_api, action="file.retention_event_recorded",
                              resource_id=file_id)
        assert [e["details"]["date"] for e in trail] == ["2016-01-01T12:00:00+03:00",
                                                        "2015-06-30"]
        # A class counting from something else takes no event.
        other = due_file(admin_api, rm, destroy_class, "ledger.txt", b"ledger")
        assert_error(rm.admin("POST", f"/api/v1/files/{other}/retention-event",
                              json={"date": "2015-06-30"}), 409, "RETENTION_TRIGGER_NOT_EVENT")


class TestClassGivenWhileAdminIsDown:
    def test_the_admin_indexes_the_class_from_the_file_events_when_back(
            self, suite, suite_env, admin_api, managers, destroy_class):
        """The ingester takes the schedule from Redis and the admin module reads the SEs' file
        events: an upload with a class while the admin module is stopped is no lost candidate."""
        rm = managers[0]
        r = rm.admin("POST", "/api/v1/retention-schedules", json={
            "name": f"offline-{uuid.uuid4().hex[:6]}", "period_days": 3650, "trigger": "upload",
            "action": "review"})
        assert r.status_code == 201, r.text
        later_class = r.json()["name"]
        published = redis.Redis.from_url(suite_env["REDIS_URL"])
        try:
            wait_for(lambda: published.hexists(RETENTION_SCHEDULES_KEY, destroy_class)
                     and published.hexists(RETENTION_SCHEDULES_KEY, later_class),
                     "the schedules published in Redis")
        finally:
            published.close()

        # The services already know the admin's signing key and hold their own tokens, as
        # they do when the admin module goes down in the middle of the day.
        warm = admin_api.upload("warm.txt", b"before the outage", retention_policy="permanent")
        assert warm.status_code == 201, warm.text
        suite.kill("admin")
        try:
            due = admin_api.upload("offline-ledger.txt", b"ledger 2015, uploaded offline",
                                   retention_policy="permanent", retention_class=destroy_class,
                                   metadata=json.dumps({"fiscal_year_end": "2015-12-31"}))
            assert due.status_code == 201, due.text
            kept = admin_api.upload("offline-fresh.txt", b"kept ten years",
                                    retention_policy="permanent", retention_class=later_class)
            assert kept.status_code == 201, kept.text
            # A class the ingester cannot know without the admin module: refused, nothing kept.
            assert_error(admin_api.upload("x.txt", b"x", retention_class="never-published"),
                         503, "SERVICE_UNAVAILABLE")
        finally:
            suite.restart("admin")
        due_id, kept_id = due.json()["file_id"], kept.json()["file_id"]
        expected = datetime(2016, 1, 1, 23, 59, 59, 999999, tzinfo=UTC)
        assert all(c["retention_class"] == destroy_class
                   and datetime.fromisoformat(c["retain_until"]) == expected
                   for c in copies_on_ses(admin_api, due_id).values())

        def listed() -> dict | None:
            r = rm.admin("GET", "/api/v1/disposition/candidates", params={"limit": 1000})
            assert r.status_code == 200, r.text
            return next((c for c in r.json()["items"] if c["file_id"] == due_id), None)

        candidate = wait_for(listed, "the file uploaded while the admin was down as a candidate")
        assert candidate["retention_class"] == destroy_class
        assert datetime.fromisoformat(candidate["retain_until"]) == expected
        assert candidate["original_filename"] == "offline-ledger.txt"
        # The upload-triggered class was computed from the published schedule too.
        assert all(c["retention_class"] == later_class and datetime.fromisoformat(
            c["retain_until"]) > datetime.now(UTC) + timedelta(days=3649)
            for c in copies_on_ses(admin_api, kept_id).values())
        assert kept_id not in candidate_ids(rm)
        r = rm.admin("POST", "/api/v1/disposition/batches", json={
            "file_ids": [due_id], "reason": "uploaded while the admin was down"})
        assert r.status_code == 201, r.text
