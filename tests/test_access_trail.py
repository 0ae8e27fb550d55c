"""Issue 15's access trail against the whole suite as real processes: uploads (ingester),
metadata reads, downloads and archive members (query module) and changes (admin module) of a
file become audit entries; the file's history is one call for an auditor."""

from __future__ import annotations

import uuid
from datetime import datetime

import httpx
import pytest
from e2e_support import Api, assert_error, new_account, token_of, wait_for

pytestmark = pytest.mark.e2e


def test_a_files_history_names_who_did_what_from_where(suite_env, api):
    user = new_account(api, "USER")
    owner = Api(suite_env, token_of(suite_env, user))
    content = f"minutes of the board {uuid.uuid4()}".encode()
    r = owner.upload("minutes.txt", content, retention_policy="permanent")
    assert r.status_code == 201, r.text
    file_id = r.json()["file_id"]
    wait_for(lambda: owner.in_catalog(file_id), "the file in the catalog")  # one read
    assert owner.metadata(file_id).status_code == 200  # and a second
    r = owner.download(file_id)
    assert r.status_code == 200 and r.content == content
    r = httpx.post(suite_env["QUERY_URL"] + "/api/v1/files/archive", headers=owner.headers,
                   json={"file_ids": [file_id]}, timeout=60)
    assert r.status_code == 200, r.text

    auditor = Api(suite_env, token_of(suite_env, new_account(api, "AUDITOR")))
    history_path = f"/api/v1/files/{file_id}/history"

    def history() -> list[dict] | None:
        r = auditor.admin("GET", history_path, params={"limit": 100})
        assert r.status_code == 200, r.text
        items = r.json()["items"]
        reads = [e for e in items if e["action"] == "file.metadata_read"]
        downloads = [e for e in items if e["action"] == "file.downloaded"]
        return items if len(reads) >= 2 and len(downloads) >= 2 else None

    wait_for(history, "upload, reads and downloads in the file's history")
    r = owner.admin("PATCH", f"/api/v1/files/{file_id}", json={"description": "approved"})
    assert r.status_code == 200, r.text
    items = history()
    assert items is not None and items[-1]["action"] == "file.updated"
    # Oldest first by when it happened (the services report independently).
    happened = [e["details"].get("occurred_at", e["created_at"]) for e in items]
    assert [datetime.fromisoformat(t) for t in happened] == sorted(
        datetime.fromisoformat(t) for t in happened)
    assert {e["resource_type"] for e in items} == {"file"}
    assert {e["resource_id"] for e in items} == {file_id}
    actions = [e["action"] for e in items]
    assert actions[0] == "file.uploaded"
    assert {"file.uploaded", "file.metadata_read", "file.downloaded",
            "file.updated"} <= set(actions)
    trail = [e for e in items if e["action"] in (
        "file.uploaded", "file.metadata_read", "file.downloaded")]
    assert len(trail) == 5  # the archive member counts as a download
    for entry in trail:
        assert entry["actor"] == user["name"], entry
        assert entry["details"]["subject"] == user["id"]
        assert entry["details"]["source"] == "127.0.0.1"
        assert entry["outcome"] == "success"
    uploaded = trail[0]
    assert uploaded["details"]["service"] == "ingester-module"
    assert uploaded["details"]["size"] == len(content)
    assert {e["details"]["service"] for e in trail[1:]} == {"query-module"}
    assert sum(1 for e in trail if e["details"].get("archive")) == 1
    updated = next(e for e in items if e["action"] == "file.updated")
    assert updated["actor"] == user["name"] and updated["details"]["source"] == "127.0.0.1"

    # Paged like /api/v1/audit.
    r = auditor.admin("GET", history_path, params={"limit": 2, "offset": 1})
    assert r.status_code == 200, r.text
    page = r.json()
    assert page["total"] == len(items) and page["limit"] == 2 and page["offset"] == 1
    assert [e["seq"] for e in page["items"]] == [e["seq"] for e in items[1:3]]

    # Searchable by account, too.
    r = auditor.admin("GET", "/api/v1/audit", params={"actor": user["name"], "limit": 100})
    assert r.status_code == 200, r.text
    assert {e["resource_id"] for e in r.json()["items"]} == {file_id}
    assert len(r.json()["items"]) == len(trail) + 1  # and the PATCH

    reader = Api(suite_env, token_of(suite_env, new_account(api, "READONLY")))
    assert_error(reader.admin("GET", history_path), 403, "INSUFFICIENT_SCOPE")
    assert_error(auditor.admin("GET", "/api/v1/files/not-a-uuid/history"), 422)

    verify = auditor.admin("GET", "/api/v1/audit/verify")
    assert verify.status_code == 200 and verify.json()["valid"] is True, verify.text
