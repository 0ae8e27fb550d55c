"""Copies, control plane: the copy policy endpoint, failure domains and redundant backends in
the registry and in discovery, and the SE accepting a copy set only from internal services."""

from __future__ import annotations

import base64
import hashlib
import json
import sys
import uuid
from pathlib import Path

import httpx
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from admin_control_stack import ControlStack  # noqa: E402
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
        stack.register(stack.edit)
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


def _put(stack, role: str, copies: list[str] | None) -> httpx.Response:
    data = b"copy provenance " + uuid.uuid4().bytes
    attrs = {"original_filename": "c.txt", "retention_policy": "permanent"}
    if copies is not None:
        attrs["copies"] = copies
    encoded = base64.urlsafe_b64encode(json.dumps(attrs).encode()).decode().rstrip("=")
    return httpx.put(f"{stack.rw.url}/api/v1/files/{uuid.uuid4()}", content=data, timeout=60,
                     headers={**stack.headers(role), "X-ArtStore-Attributes": encoded,
                              "X-ArtStore-Declared-Size": str(len(data)),
                              "X-ArtStore-Expected-SHA256": hashlib.sha256(data).hexdigest()})


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
