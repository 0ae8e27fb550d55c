"""Changing a file through the admin module (issue 16's file-page actions), against the real
suite: ``PATCH /api/v1/files/{id}`` changes every copy's metadata, ``DELETE`` removes every copy
of a file on an edit SE; both audited, scope- and owner-checked, and a refusal changes nothing.

Set ARTSTORE_UI_RUN_ENV=<run.env> to use a suite that is already running.
"""

from __future__ import annotations

import uuid

import httpx
import pytest
from e2e_support import Api, assert_error, new_account, token_of, wait_for

pytestmark = pytest.mark.e2e


def account(system: Api, role: str) -> Api:
    return Api(system.env, token_of(system.env, new_account(system, role, prefix="i16")))


def upload(api: Api, policy: str = "temporary", **fields: str) -> dict:
    r = api.upload(f"i16-{uuid.uuid4().hex[:6]}.txt", b"file change " + uuid.uuid4().bytes,
                   retention_policy=policy, **fields)
    assert r.status_code == 201, r.text
    return r.json()


def stored_copies(system: Api, file_id: str) -> dict[str, dict]:
    """SE name → the sidecar attributes each SE holds for the file (asked directly)."""
    out = {}
    for se in system.storage_elements():
        r = httpx.get(f"{se['api_url']}/api/v1/files/{file_id}", headers=system.headers,
                      timeout=30)
        if r.status_code == 200:
            out[se["name"]] = r.json()
    return out


def audit_of(system: Api, action: str, file_id: str) -> list[dict]:
    r = system.admin("GET", "/api/v1/audit", params={"action": action, "resource_id": file_id})
    assert r.status_code == 200, r.text
    return r.json()["items"]


class TestEditMetadata:
    def test_every_copy_of_a_permanent_file_changes_and_the_change_is_audited(self, system):
        stored = upload(system, "permanent")
        file_id = stored["file_id"]
        r = system.admin("PATCH", f"/api/v1/files/{file_id}", json={
            "description": "Договор поставки, подписан", "tags": ["договор", "2026"],
            "custom": {"contract": "№5"}})
        assert r.status_code == 200, r.text
        assert r.json()["tags"] == ["договор", "2026"]
        copies = stored_copies(system, file_id)
        assert len(copies) == 2
        for attrs in copies.values():
            assert attrs["description"] == "Договор поставки, подписан"
            assert attrs["tags"] == ["договор", "2026"] and attrs["custom"] == {"contract": "№5"}
        entry = audit_of(system, "file.updated", file_id)[0]
        assert entry["details"]["fields"] == ["custom", "description", "tags"]
        assert len(entry["details"]["storage_element_ids"]) == 2
        # The catalogue follows the SEs' events.
        wait_for(lambda: (system.in_catalog(file_id) or {}).get("tags") == ["договор", "2026"],
                 "the catalogue to show the new tags")

    def test_fields_left_out_keep_their_values(self, system):
        file_id = upload(system, description="kept", tags='["a"]')["file_id"]
        r = system.admin("PATCH", f"/api/v1/files/{file_id}", json={"version": "2"})
        assert r.status_code == 200, r.text
        (attrs,) = stored_copies(system, file_id).values()
        assert (attrs["description"], attrs["tags"], attrs["version"]) == ("kept", ["a"], "2")

    @pytest.mark.parametrize("body", [
        {"original_filename": "renamed.txt"},
        {"tags": ["x"] * 51},
        {"description": "x" * 2001},
        {"custom": ["not", "an", "object"]},
    ])
    def test_bad_input_is_refused_and_changes_nothing(self, system, body):
        file_id = upload(system, description="before")["file_id"]
        before = stored_copies(system, file_id)
        assert_error(system.admin("PATCH", f"/api/v1/files/{file_id}", json=body), 422)
        assert stored_copies(system, file_id) == before

    def test_a_change_the_se_refuses_keeps_its_status_and_changes_nothing(self, system):
        file_id = upload(system, description="small")["file_id"]
        before = stored_copies(system, file_id)
        big = {"description": "д" * 2000, "custom": {"note": "ж" * 3000}}  # sidecar > 4 KiB
        error = assert_error(system.admin("PATCH", f"/api/v1/files/{file_id}", json=big), 422,
                             "FILE_CHANGE_REJECTED")
        assert error["details"]["upstream_code"]
        assert stored_copies(system, file_id) == before

    def test_another_accounts_file_is_refused_and_the_refusal_audited(self, system):
        owner, other = account(system, "USER"), account(system, "USER")
        file_id = upload(owner, description="mine")["file_id"]
        assert_error(other.admin("PATCH", f"/api/v1/files/{file_id}",
                                 json={"description": "theirs"}), 403, "NOT_FILE_OWNER")
        (attrs,) = stored_copies(system, file_id).values()
        assert attrs["description"] == "mine"
        assert any(e["outcome"] == "denied" and e["details"]["operation"] == "edit"
                   for e in audit_of(system, "file.change_refused", file_id))
        r = owner.admin("PATCH", f"/api/v1/files/{file_id}", json={"description": "still mine"})
        assert r.status_code == 200, r.text

    def test_a_readonly_token_is_refused(self, system):
        file_id = upload(system)["file_id"]
        reader = account(system, "READONLY")
        assert_error(reader.admin("PATCH", f"/api/v1/files/{file_id}", json={"version": "x"}),
                     403)
        assert_error(reader.admin("DELETE", f"/api/v1/files/{file_id}"), 403)
        assert len(stored_copies(system, file_id)) == 1

    def test_an_unknown_file_is_404(self, system):
        missing = uuid.uuid4()
        assert_error(system.admin("PATCH", f"/api/v1/files/{missing}", json={"version": "1"}),
                     404, "FILE_NOT_FOUND")
        assert_error(system.admin("DELETE", f"/api/v1/files/{missing}"), 404, "FILE_NOT_FOUND")


class TestDelete:
    def test_a_temporary_file_is_removed_everywhere_and_audited(self, system):
        stored = upload(system)
        file_id = stored["file_id"]
        wait_for(lambda: system.in_catalog(file_id), "the catalogue to have the file")
        r = system.admin("DELETE", f"/api/v1/files/{file_id}")
        assert r.status_code == 204, r.text
        assert stored_copies(system, file_id) == {}
        entry = audit_of(system, "file.deleted", file_id)[0]
        assert entry["details"]["sha256"] == stored["sha256"]
        wait_for(lambda: system.download(file_id).status_code == 404,
                 "downloads to answer 404")
        assert_error(system.admin("DELETE", f"/api/v1/files/{file_id}"), 404, "FILE_NOT_FOUND")

    def test_a_permanent_file_is_not_deleted(self, system):
        file_id = upload(system, "permanent")["file_id"]
        r = system.admin("DELETE", f"/api/v1/files/{file_id}")
        error = assert_error(r, 409, "FILE_NOT_CHANGEABLE")
        assert error["details"]["reason"] == "storage_mode"
        assert len(stored_copies(system, file_id)) == 2

    def test_a_token_without_files_delete_is_refused_even_for_its_own_file(self, system):
        owner = account(system, "USER")  # files:read and files:write only
        file_id = upload(owner)["file_id"]
        assert_error(owner.admin("DELETE", f"/api/v1/files/{file_id}"), 403)
        assert len(stored_copies(system, file_id)) == 1
