"""Saved searches on the server: each administrator sees, adds and deletes only their own;
every change is audited; bad input is a 4xx in the shared shape and changes nothing."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, select

from admin_module.models.audit import AuditEvent
from admin_module.models.saved_search import SavedSearch

pytestmark = pytest.mark.integration

URL = "/api/v1/saved-searches"


async def rows(admin) -> int:
    async with admin.session() as s:
        return await s.scalar(select(func.count()).select_from(SavedSearch))


async def test_own_searches_only_and_audited(admin):
    alice = await admin.headers("ADMIN", ptype="admin_user", subject="alice-id", name="alice")
    bob = await admin.headers("READONLY", ptype="admin_user", subject="bob-id", name="bob")
    params = {"q": "договор поставки", "tag": ["finance", "2026"], "sort": "size", "order": "asc"}
    created = await admin.client.post(URL, json={"name": "Договоры", "params": params},
                                      headers=alice)
    assert created.status_code == 201, created.text
    saved = created.json()
    assert saved["name"] == "Договоры" and saved["params"] == params
    assert (await admin.client.post(URL, json={"name": "Alpha", "params": {"q": "a"}},
                                    headers=alice)).status_code == 201
    assert (await admin.client.post(URL, json={"name": "Договоры", "params": {}},
                                    headers=bob)).status_code == 201  # same name, other owner

    listed = (await admin.client.get(URL, headers=alice)).json()["items"]
    assert [s["name"] for s in listed] == ["Alpha", "Договоры"]
    bobs = (await admin.client.get(URL, headers=bob)).json()["items"]
    assert [s["params"] for s in bobs] == [{}]

    # Bob cannot delete Alice's: it does not exist for him.
    refused = await admin.client.delete(f"{URL}/{saved['id']}", headers=bob)
    assert refused.status_code == 404
    assert refused.json()["error"]["code"] == "SAVED_SEARCH_NOT_FOUND"
    assert await rows(admin) == 3
    assert (await admin.client.delete(f"{URL}/{saved['id']}", headers=alice)).status_code == 204
    assert [s["name"] for s in (await admin.client.get(URL, headers=alice)).json()["items"]] \
        == ["Alpha"]

    async with admin.session() as s:
        events = (await s.scalars(select(AuditEvent).where(
            AuditEvent.action.like("saved_search.%")))).all()
    assert sorted((e.action, e.actor, e.details["name"]) for e in events) == [
        ("saved_search.created", "alice", "Alpha"), ("saved_search.created", "alice", "Договоры"),
        ("saved_search.created", "bob", "Договоры"), ("saved_search.deleted", "alice", "Договоры")]
    created = next(e for e in events
                   if e.resource_id == saved["id"] and e.action == "saved_search.created")
    assert created.details["params"] == params


async def test_bad_input_and_scopes(admin):
    alice = await admin.headers("ADMIN", ptype="admin_user", subject="alice-id", name="alice")
    assert (await admin.client.post(URL, json={"name": "x", "params": {}},
                                    headers=alice)).status_code == 201
    for body, status, code in (
        ({"name": "x", "params": {}}, 409, "SAVED_SEARCH_NAME_TAKEN"),
        ({"name": "", "params": {}}, 422, "VALIDATION_ERROR"),
        ({"name": "y", "params": {"q": 5}}, 422, "VALIDATION_ERROR"),
        ({"name": "y", "params": {"tag": ["a", {"b": 1}]}}, 422, "VALIDATION_ERROR"),
        ({"name": "y", "params": {"tag": ["t"] * 51}}, 422, "VALIDATION_ERROR"),
        ({"name": "y", "params": {"q": "a" * 2001}}, 422, "VALIDATION_ERROR"),
        ({"name": "y", "params": {f"p{i}": "v" for i in range(41)}}, 422, "VALIDATION_ERROR"),
        ({"name": "y", "params": {}, "owner": "bob-id"}, 422, "VALIDATION_ERROR"),
        ({"name": "bad\x00name", "params": {}}, 422, "VALIDATION_ERROR"),
    ):
        response = await admin.client.post(URL, json=body, headers=alice)
        assert response.status_code == status, (body, response.text)
        assert response.json()["error"]["code"] == code
    assert await rows(admin) == 1
    bad_id = await admin.client.delete(f"{URL}/not-a-uuid", headers=alice)
    assert bad_id.status_code == 422
    assert (await admin.client.delete(f"{URL}/{uuid.uuid4()}", headers=alice)).status_code \
        == 404

    assert (await admin.client.get(URL)).status_code == 401
    nobody = await admin.headers("UNKNOWN", ptype="admin_user", subject="x")
    assert (await admin.client.get(URL, headers=nobody)).status_code == 403
    assert (await admin.client.post(URL, json={"name": "z", "params": {}},
                                    headers=nobody)).status_code == 403
    assert await rows(admin) == 1


async def test_limit_per_owner(admin, monkeypatch):
    from admin_module.saved_searches import endpoints

    monkeypatch.setattr(endpoints, "MAX_PER_OWNER", 2)
    alice = await admin.headers("ADMIN", ptype="admin_user", subject="alice-id", name="alice")
    for name in ("a", "b"):
        assert (await admin.client.post(URL, json={"name": name, "params": {}},
                                        headers=alice)).status_code == 201
    third = await admin.client.post(URL, json={"name": "c", "params": {}}, headers=alice)
    assert third.status_code == 409 and third.json()["error"]["code"] == "SAVED_SEARCH_LIMIT"
