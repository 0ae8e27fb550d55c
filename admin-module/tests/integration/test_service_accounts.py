"""Service accounts: one-time secret, list/filter/search, lifecycle, system account, history."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from admin_module.models.audit import AuditEvent
from admin_module.models.service_account import ServiceAccount, ServiceAccountSecret

pytestmark = pytest.mark.integration

BASE = "/api/v1/service-accounts"


async def create(admin, headers, **body):
    body = {"name": "app", "role": "USER", **body}
    resp = await admin.client.post(BASE, json=body, headers=headers)
    assert resp.status_code == 201, resp.text
    return resp.json()


async def state(admin):
    async with admin.session() as s:
        return (int(await s.scalar(select(func.count()).select_from(ServiceAccount))),
                int(await s.scalar(select(func.count()).select_from(ServiceAccountSecret))),
                int(await s.scalar(select(func.count()).select_from(AuditEvent))))


async def system_id(admin, headers) -> str:
    resp = await admin.client.get(BASE, params={"q": "admin-service"}, headers=headers)
    return resp.json()["items"][0]["id"]


class TestCreate:
    async def test_secret_is_shown_once_and_stored_as_argon2(self, admin):
        h = await admin.headers()
        acc = await create(admin, h, name="Scanner", role="USER", description="floor 3")
        assert len(acc["client_secret"]) >= 32 and acc["client_id"].startswith("sa-")
        assert acc["status"] == "active" and acc["is_system"] is False
        assert acc["secret_expires_at"] is not None
        again = (await admin.client.get(f"{BASE}/{acc['id']}", headers=h)).json()
        assert "client_secret" not in again and "secret_hash" not in again
        async with admin.session() as s:
            hashed = await s.scalar(select(ServiceAccount.secret_hash)
                                    .where(ServiceAccount.id == acc["id"]))
        assert hashed.startswith("$argon2id$") and acc["client_secret"] not in hashed

    async def test_secret_expires_after_configured_days(self, make_admin):
        admin = await make_admin(SECRET_TTL_DAYS=7)
        acc = await create(admin, await admin.headers())
        from datetime import datetime

        created = datetime.fromisoformat(acc["secret_created_at"])
        expires = datetime.fromisoformat(acc["secret_expires_at"])
        assert (expires - created).days == 7

    async def test_duplicate_client_id_is_409(self, admin):
        h = await admin.headers()
        await create(admin, h, client_id="erp-main")
        resp = await admin.client.post(BASE, json={"name": "x", "role": "USER",
                                                   "client_id": "erp-main"}, headers=h)
        assert resp.status_code == 409
        assert resp.json()["error"]["code"] == "ALREADY_EXISTS"


BAD_BODIES = [
    ("unknown role", {"name": "a", "role": "GOD"}),
    ("lower-case role", {"name": "a", "role": "admin"}),
    ("missing name", {"role": "USER"}),
    ("empty name", {"name": "  ", "role": "USER"}),
    ("oversize name", {"name": "n" * 129, "role": "USER"}),
    ("oversize description", {"name": "a", "role": "USER", "description": "d" * 1001}),
    ("wrong type", {"name": 5, "role": "USER"}),
    ("rate limit zero", {"name": "a", "role": "USER", "rate_limit_per_minute": 0}),
    ("rate limit string", {"name": "a", "role": "USER", "rate_limit_per_minute": "many"}),
    ("bad client_id", {"name": "a", "role": "USER", "client_id": "has space"}),
    ("unknown field", {"name": "a", "role": "USER", "is_system": True}),
    ("unknown secret field", {"name": "a", "role": "USER", "client_secret": "x" * 40}),
]


@pytest.mark.parametrize(("case", "body"), BAD_BODIES, ids=[c for c, _ in BAD_BODIES])
async def test_bad_create_is_422_without_state_change(admin, case, body):
    h = await admin.headers()
    before = await state(admin)
    resp = await admin.client.post(BASE, json=body, headers=h)
    assert resp.status_code == 422, resp.text
    assert resp.json()["error"]["code"] == "VALIDATION_ERROR"
    assert await state(admin) == before


async def test_malformed_json_is_422_without_state_change(admin):
    h = await admin.headers()
    before = await state(admin)
    resp = await admin.client.post(BASE, content=b'{"name": "a", "role":',
                                   headers={**h, "Content-Type": "application/json"})
    assert resp.status_code == 422
    assert "error" in resp.json()
    assert await state(admin) == before


class TestList:
    async def test_filters_search_and_paging(self, admin):
        h = await admin.headers()
        await create(admin, h, name="Invoice scanner", role="USER")
        await create(admin, h, name="Auditor bot", role="AUDITOR")
        ro = await create(admin, h, name="Reader 100%", role="READONLY")
        await admin.client.post(f"{BASE}/{ro['id']}/suspend", headers=h)

        def names(resp):
            return sorted(i["name"] for i in resp.json()["items"])

        r = await admin.client.get(BASE, params={"role": "AUDITOR"}, headers=h)
        assert names(r) == ["Auditor bot"]
        r = await admin.client.get(BASE, params={"status": "suspended"}, headers=h)
        assert names(r) == ["Reader 100%"]
        r = await admin.client.get(BASE, params={"q": "SCAN"}, headers=h)
        assert names(r) == ["Invoice scanner"]
        r = await admin.client.get(BASE, params={"q": "100%"}, headers=h)
        assert names(r) == ["Reader 100%"]
        r = await admin.client.get(BASE, params={"q": "%"}, headers=h)
        assert names(r) == ["Reader 100%"]
        r = await admin.client.get(BASE, params={"limit": 2, "offset": 1}, headers=h)
        body = r.json()
        assert body["total"] == 4 and body["limit"] == 2 and body["offset"] == 1
        assert len(body["items"]) == 2

    @pytest.mark.parametrize("params", [{"role": "GOD"}, {"status": "gone"}, {"limit": 0},
                                        {"limit": 5000}, {"offset": -1}, {"q": "x" * 200}])
    async def test_bad_query_is_422(self, admin, params):
        resp = await admin.client.get(BASE, params=params, headers=await admin.headers())
        assert resp.status_code == 422


class TestLifecycle:
    async def test_update_suspend_activate_delete(self, admin):
        h = await admin.headers()
        acc = await create(admin, h)
        r = await admin.client.patch(f"{BASE}/{acc['id']}",
                                     json={"role": "READONLY", "rate_limit_per_minute": 10},
                                     headers=h)
        assert r.status_code == 200
        assert r.json()["role"] == "READONLY" and r.json()["rate_limit_per_minute"] == 10
        r = await admin.client.post(f"{BASE}/{acc['id']}/suspend", headers=h)
        assert r.json()["status"] == "suspended"
        r = await admin.client.post(f"{BASE}/{acc['id']}/suspend", headers=h)
        assert r.status_code == 409
        r = await admin.client.post(f"{BASE}/{acc['id']}/activate", headers=h)
        assert r.json()["status"] == "active"
        assert (await admin.client.delete(f"{BASE}/{acc['id']}", headers=h)).status_code == 204
        assert (await admin.client.get(f"{BASE}/{acc['id']}", headers=h)).status_code == 404
        r = await admin.client.get(BASE, params={"status": "deleted"}, headers=h)
        assert [i["id"] for i in r.json()["items"]] == [acc["id"]]
        actions = [e["action"] for e in (await admin.client.get(
            "/api/v1/audit", params={"resource_id": acc["id"]}, headers=h)).json()["items"]]
        assert actions == ["service_account.deleted", "service_account.activated",
                           "service_account.suspended", "service_account.updated",
                           "service_account.created"]

    async def test_unknown_id_is_404_and_bad_id_is_422(self, admin):
        h = await admin.headers()
        r = await admin.client.get(f"{BASE}/00000000-0000-0000-0000-000000000000", headers=h)
        assert r.status_code == 404
        assert r.json()["error"]["code"] == "ACCOUNT_NOT_FOUND"
        assert (await admin.client.get(f"{BASE}/not-a-uuid", headers=h)).status_code == 422

    async def test_patch_with_unknown_field_changes_nothing(self, admin):
        h = await admin.headers()
        acc = await create(admin, h)
        before = await state(admin)
        r = await admin.client.patch(f"{BASE}/{acc['id']}",
                                     json={"role": "ADMIN", "status": "deleted"}, headers=h)
        assert r.status_code == 422
        assert await state(admin) == before
        r = await admin.client.get(f"{BASE}/{acc['id']}", headers=h)
        assert r.json()["role"] == "USER"


class TestSystemAccount:
    @pytest.mark.parametrize(("method", "suffix", "body"), [
        ("delete", "", None),
        ("post", "/suspend", None),
        ("patch", "", {"role": "USER"}),
    ])
    async def test_cannot_be_deleted_disabled_or_demoted(self, admin, method, suffix, body):
        h = await admin.headers()
        sid = await system_id(admin, h)
        kwargs = {"headers": h}
        if body is not None:
            kwargs["json"] = body
        resp = await getattr(admin.client, method)(f"{BASE}/{sid}{suffix}", **kwargs)
        assert resp.status_code == 403
        assert resp.json()["error"]["code"] == "SYSTEM_ACCOUNT_PROTECTED"
        assert (await admin.system_token())

    async def test_system_secret_follows_the_environment(self, admin, make_admin):
        new_secret = "rotated-through-env-0123456789-abcdefghijkl"
        other = await make_admin(ARTSTORE_CLIENT_SECRET=new_secret)
        resp = await other.client.post("/api/v1/auth/token", json={
            "client_id": "admin-service", "client_secret": new_secret})
        assert resp.status_code == 200


class TestSecrets:
    async def test_rotate_secret_replaces_it_and_records_history(self, admin):
        h = await admin.headers()
        acc = await create(admin, h)
        r = await admin.client.post(f"{BASE}/{acc['id']}/rotate-secret", headers=h)
        assert r.status_code == 200
        new_secret = r.json()["client_secret"]
        assert new_secret != acc["client_secret"]
        token = "/api/v1/auth/token"
        old = await admin.client.post(token, json={"client_id": acc["client_id"],
                                                   "client_secret": acc["client_secret"]})
        assert old.status_code == 401
        new = await admin.client.post(token, json={"client_id": acc["client_id"],
                                                   "client_secret": new_secret})
        assert new.status_code == 200
        hist = (await admin.client.get(f"{BASE}/{acc['id']}/secret-history", headers=h)).json()
        assert hist["total"] == 2
        assert [i["current"] for i in hist["items"]] == [True, False]
        assert [i["reason"] for i in hist["items"]] == ["rotated", "created"]
        assert all("hash" not in key for item in hist["items"] for key in item)
        assert "argon2" not in str(hist)

    async def test_last_five_secrets_cannot_be_reused(self, admin):
        h = await admin.headers()
        acc = await create(admin, h)
        url = f"{BASE}/{acc['id']}/rotate-secret"
        supplied = "caller-chosen-secret-0123456789-abcdefghij"
        r = await admin.client.post(url, json={"client_secret": supplied}, headers=h)
        assert r.status_code == 200 and r.json()["client_secret"] == supplied
        before = await state(admin)
        r = await admin.client.post(url, json={"client_secret": acc["client_secret"]}, headers=h)
        assert r.status_code == 422
        assert r.json()["error"]["code"] == "SECRET_REUSED"
        assert await state(admin) == before
        r = await admin.client.post(url, json={"client_secret": "short"}, headers=h)
        assert r.status_code == 422
