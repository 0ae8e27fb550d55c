"""Issue 14 (admin side): no lockout of other clients at the token endpoint, no username
enumeration through login lockout, the access-token deny-list, aggregated 429 audit rows.

The app runs in-process on the real PostgreSQL and Redis; a second ASGI transport gives the
requests another source address.
"""

from __future__ import annotations

import uuid
from contextlib import asynccontextmanager

import httpx
import jwt
import pytest
from sqlalchemy import select

from admin_module.models.audit import AuditEvent
from artstore_common.contracts import REVOCATIONS_KEY

pytestmark = pytest.mark.integration

TOKEN = "/api/v1/auth/token"
LOGIN = "/api/v1/admin-auth/login"
GOOD_PASSWORD = "Correct-Horse-Battery-9"


@asynccontextmanager
async def from_address(admin, host: str):
    transport = httpx.ASGITransport(app=admin.app, client=(host, 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://admin.test") as client:
        yield client


async def create_account(admin, **extra) -> dict:
    resp = await admin.client.post("/api/v1/service-accounts",
                                   json={"name": "app", "role": "USER", **extra},
                                   headers=await admin.headers("ADMIN"))
    assert resp.status_code == 201, resp.text
    return resp.json()


async def audit_rows(admin, action: str) -> list[AuditEvent]:
    async with admin.session() as s:
        return list(await s.scalars(select(AuditEvent).where(AuditEvent.action == action)))


async def revocations(admin) -> dict[str, float]:
    raw = await admin.app.state.redis.hgetall(REVOCATIONS_KEY)
    return {k.decode(): float(v) for k, v in raw.items()}


class TestTokenEndpointLockout:
    async def test_wrong_secrets_from_one_address_never_lock_out_the_client_elsewhere(
            self, make_admin):
        admin = await make_admin(TOKEN_FAILURES_PER_CLIENT_SOURCE=5)
        acc = await create_account(admin)
        wrong = {"client_id": acc["client_id"], "client_secret": "not-the-secret-at-all"}
        async with from_address(admin, "198.51.100.7") as attacker:
            codes = [(await attacker.post(TOKEN, json=wrong)).status_code for _ in range(20)]
            assert codes[:5] == [401] * 5 and set(codes[5:]) == {429}
            refused = await attacker.post(TOKEN, json={**wrong, "client_secret":
                                                       acc["client_secret"]})
            assert refused.status_code == 429 and refused.json()["error"] == "rate_limited"
            assert int(refused.headers["retry-after"]) >= 1
        right = {"client_id": acc["client_id"], "client_secret": acc["client_secret"]}
        ok = await admin.client.post(TOKEN, json=right)  # the client's own address
        assert ok.status_code == 200, ok.text
        # 15 refusals from one source and window: a single aggregated audit row
        rows = await audit_rows(admin, "auth.token_rate_limited")
        assert len(rows) == 1 and rows[0].details["source"] == "198.51.100.7"

    async def test_unknown_client_ids_are_limited_per_source(self, make_admin):
        admin = await make_admin(TOKEN_FAILURES_PER_SOURCE=8)
        acc = await create_account(admin)
        async with from_address(admin, "203.0.113.9") as sprayer:
            codes = [(await sprayer.post(TOKEN, json={
                "client_id": f"guess-{i}", "client_secret": "x" * 20})).status_code
                for i in range(12)]
            assert codes[:8] == [401] * 8 and set(codes[8:]) == {429}
            # a known client behind the same address is not held up by the spraying
            ok = await sprayer.post(TOKEN, json={"client_id": acc["client_id"],
                                                 "client_secret": acc["client_secret"]})
            assert ok.status_code == 200, ok.text

    async def test_system_account_token_carries_the_internal_scope_and_others_do_not(
            self, admin):
        system = jwt.decode(await admin.system_token(), options={"verify_signature": False})
        assert "files:replicate" in system["scope"].split()
        acc = await create_account(admin, role="ADMIN")
        resp = await admin.client.post(TOKEN, json={"client_id": acc["client_id"],
                                                    "client_secret": acc["client_secret"]})
        assert "files:replicate" not in resp.json()["scope"].split()
        asked = await admin.client.post(TOKEN, json={
            "client_id": acc["client_id"], "client_secret": acc["client_secret"],
            "scope": "files:replicate"})
        assert asked.status_code == 400 and asked.json()["error"] == "invalid_scope"


class TestLoginEnumeration:
    async def attempts(self, admin, username: str, n: int = 7) -> list[httpx.Response]:
        return [await admin.client.post(LOGIN, json={"username": username,
                                                     "password": "wrong-password-1"})
                for _ in range(n)]

    @staticmethod
    def shape(response: httpx.Response) -> tuple:
        error = response.json()["error"]
        return (response.status_code, error["code"], error["message"],
                sorted(error["details"]), "retry-after" in response.headers,
                response.headers.get("www-authenticate"))

    async def test_existing_and_unknown_usernames_lock_alike(self, admin):
        root = await admin.login()
        created = await admin.client.post(
            "/api/v1/admin-users", headers={"Authorization": f"Bearer {root['access_token']}"},
            json={"username": "erin", "password": GOOD_PASSWORD, "role": "readonly"})
        assert created.status_code == 201, created.text
        known = await self.attempts(admin, "erin")
        unknown = await self.attempts(admin, "nobody-by-this-name")
        assert [self.shape(r) for r in known] == [self.shape(r) for r in unknown]
        assert [r.status_code for r in unknown] == [401] * 5 + [423] * 2
        retry_known = int(known[-1].headers["retry-after"])
        retry_unknown = int(unknown[-1].headers["retry-after"])
        assert abs(retry_known - retry_unknown) <= 2 and retry_unknown > 14 * 60
        # while "locked", even a right password for the existing user is refused alike
        r = await admin.client.post(LOGIN, json={"username": "erin", "password": GOOD_PASSWORD})
        assert r.status_code == 423


class TestRevocation:
    async def test_suspend_and_delete_revoke_the_subject(self, admin):
        headers = await admin.headers("ADMIN")
        acc = await create_account(admin)
        r = await admin.client.post(f"/api/v1/service-accounts/{acc['id']}/suspend",
                                    headers=headers)
        assert r.status_code == 200
        assert f"sub:{acc['id']}" in await revocations(admin)
        other = await create_account(admin)
        r = await admin.client.delete(f"/api/v1/service-accounts/{other['id']}",
                                      headers=headers)
        assert r.status_code == 204
        assert f"sub:{other['id']}" in await revocations(admin)

    async def test_admin_reads_the_list_and_refuses_a_revoked_token(self, admin):
        acc = await create_account(admin, role="ADMIN")
        token = (await admin.client.post(TOKEN, json={
            "client_id": acc["client_id"], "client_secret": acc["client_secret"]})).json()[
            "access_token"]
        bearer = {"Authorization": f"Bearer {token}"}
        assert (await admin.client.get("/api/v1/audit", headers=bearer)).status_code == 200
        jti = jwt.decode(token, options={"verify_signature": False})["jti"]
        r = await admin.client.post("/api/v1/auth/revocations", headers=await admin.headers(),
                                    json={"jti": jti, "reason": "leaked in a log"})
        assert r.status_code == 201 and r.json()["revoked"] is True
        await admin.app.state.revocations.refresh(admin.app.state.redis)  # the poll, now
        r = await admin.client.get("/api/v1/audit", headers=bearer)
        assert r.status_code == 401 and r.json()["error"]["code"] == "TOKEN_REVOKED"
        rows = await audit_rows(admin, "auth.token_revoked")
        assert len(rows) == 1 and rows[0].resource_id == jti

    @pytest.mark.parametrize("body", [{}, {"jti": "a", "subject": str(uuid.uuid4())},
                                      {"jti": "bad jti!"}, {"subject": "not-a-uuid"},
                                      {"jti": "a", "extra": 1}])
    async def test_bad_revocation_requests_are_422_and_change_nothing(self, admin, body):
        before = await revocations(admin)
        r = await admin.client.post("/api/v1/auth/revocations", headers=await admin.headers(),
                                    json=body)
        assert r.status_code == 422 and set(r.json()) == {"error"}
        assert await revocations(admin) == before

    async def test_revocation_needs_accounts_admin(self, admin):
        r = await admin.client.post("/api/v1/auth/revocations",
                                    headers=await admin.headers("AUDITOR"), json={"jti": "abc"})
        assert r.status_code == 403
        assert "jti:abc" not in await revocations(admin)

    async def test_logout_revokes_the_access_token(self, admin):
        session = await admin.login()
        bearer = {"Authorization": f"Bearer {session['access_token']}"}
        r = await admin.client.post("/api/v1/admin-auth/logout", headers=bearer,
                                    json={"refresh_token": session["refresh_token"]})
        assert r.status_code == 204
        jti = jwt.decode(session["access_token"], options={"verify_signature": False})["jti"]
        assert f"jti:{jti}" in await revocations(admin)
        await admin.app.state.revocations.refresh(admin.app.state.redis)
        r = await admin.client.get("/api/v1/admin-auth/me", headers=bearer)
        assert r.status_code == 401 and r.json()["error"]["code"] == "TOKEN_REVOKED"
