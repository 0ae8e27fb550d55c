"""POST /api/v1/auth/token: the three request forms, every refusal, and no state change."""

from __future__ import annotations

import base64
from datetime import timedelta

import jwt
import pytest
from sqlalchemy import func, select, update

from admin_module.models.audit import AuditEvent
from admin_module.models.base import utcnow
from admin_module.models.service_account import ServiceAccount

pytestmark = pytest.mark.integration

TOKEN = "/api/v1/auth/token"


async def create_account(admin, role="USER", **extra):
    headers = await admin.headers("ADMIN")
    resp = await admin.client.post("/api/v1/service-accounts",
                                   json={"name": "client app", "role": role, **extra},
                                   headers=headers)
    assert resp.status_code == 201, resp.text
    return resp.json()


async def audit_count(admin) -> int:
    async with admin.session() as s:
        return int(await s.scalar(select(func.count()).select_from(AuditEvent)))


def basic(client_id: str, secret: str) -> dict[str, str]:
    raw = f"{client_id}:{secret}".encode()
    return {"Authorization": "Basic " + base64.b64encode(raw).decode()}


class TestIssue:
    async def test_form_body_returns_bearer_token_with_claims(self, admin):
        acc = await create_account(admin, role="USER")
        resp = await admin.client.post(TOKEN, data={
            "grant_type": "client_credentials", "client_id": acc["client_id"],
            "client_secret": acc["client_secret"]})
        assert resp.status_code == 200, resp.text
        body = resp.json()
        assert body["token_type"] == "Bearer"
        assert body["expires_in"] == 1800
        assert body["scope"] == "files:read files:write"
        assert resp.headers["cache-control"] == "no-store"
        claims = jwt.decode(body["access_token"], options={"verify_signature": False})
        header = jwt.get_unverified_header(body["access_token"])
        assert header["alg"] == "RS256" and header["kid"]
        assert claims["iss"] == "artstore-admin" and claims["aud"] == "artstore"
        assert claims["sub"] == acc["id"] and claims["client_id"] == acc["client_id"]
        assert claims["role"] == "USER" and claims["ptype"] == "service_account"
        assert claims["name"] == "client app" and claims["jti"]
        assert claims["exp"] - claims["iat"] == 1800 and claims["nbf"] == claims["iat"]

    async def test_http_basic_credentials(self, admin):
        acc = await create_account(admin)
        resp = await admin.client.post(TOKEN, data={"grant_type": "client_credentials"},
                                       headers=basic(acc["client_id"], acc["client_secret"]))
        assert resp.status_code == 200, resp.text

    async def test_json_body(self, admin):
        acc = await create_account(admin, role="AUDITOR")
        resp = await admin.client.post(TOKEN, json={"client_id": acc["client_id"],
                                                    "client_secret": acc["client_secret"]})
        assert resp.status_code == 200, resp.text
        assert resp.json()["scope"] == "audit:read files:read records:read"

    async def test_requested_scope_narrows_the_token(self, admin):
        acc = await create_account(admin, role="USER")
        resp = await admin.client.post(TOKEN, data={
            "grant_type": "client_credentials", "client_id": acc["client_id"],
            "client_secret": acc["client_secret"], "scope": "files:read"})
        assert resp.status_code == 200
        assert resp.json()["scope"] == "files:read"

    async def test_scope_beyond_role_is_invalid_scope(self, admin):
        acc = await create_account(admin, role="READONLY")
        resp = await admin.client.post(TOKEN, data={
            "grant_type": "client_credentials", "client_id": acc["client_id"],
            "client_secret": acc["client_secret"], "scope": "files:write"})
        assert resp.status_code == 400
        assert resp.json()["error"] == "invalid_scope"


class TestRefusals:
    async def test_wrong_secret_is_invalid_client_401(self, admin):
        acc = await create_account(admin)
        resp = await admin.client.post(TOKEN, json={"client_id": acc["client_id"],
                                                    "client_secret": "x" * 40})
        assert resp.status_code == 401
        assert resp.json()["error"] == "invalid_client"
        assert set(resp.json()) == {"error", "error_description"}
        assert resp.headers["www-authenticate"].startswith("Basic")

    async def test_unknown_client_is_invalid_client_401(self, admin):
        resp = await admin.client.post(TOKEN, json={"client_id": "nobody",
                                                    "client_secret": "x" * 40})
        assert resp.status_code == 401
        assert resp.json()["error"] == "invalid_client"

    async def test_suspended_account_is_unauthorized_client_403(self, admin):
        acc = await create_account(admin)
        headers = await admin.headers("ADMIN")
        r = await admin.client.post(f"/api/v1/service-accounts/{acc['id']}/suspend",
                                    headers=headers)
        assert r.status_code == 200
        resp = await admin.client.post(TOKEN, json={"client_id": acc["client_id"],
                                                    "client_secret": acc["client_secret"]})
        assert resp.status_code == 403
        assert resp.json()["error"] == "unauthorized_client"

    async def test_expired_secret_is_invalid_client_401(self, admin):
        acc = await create_account(admin)
        async with admin.session() as s, s.begin():
            await s.execute(update(ServiceAccount).where(ServiceAccount.client_id ==
                                                         acc["client_id"])
                            .values(secret_expires_at=utcnow() - timedelta(seconds=1)))
        resp = await admin.client.post(TOKEN, json={"client_id": acc["client_id"],
                                                    "client_secret": acc["client_secret"]})
        assert resp.status_code == 401
        assert resp.json() == {"error": "invalid_client",
                               "error_description": "The client secret has expired"}

    async def test_deleted_account_is_invalid_client_401(self, admin):
        acc = await create_account(admin)
        headers = await admin.headers("ADMIN")
        r = await admin.client.delete(f"/api/v1/service-accounts/{acc['id']}", headers=headers)
        assert r.status_code == 204
        resp = await admin.client.post(TOKEN, json={"client_id": acc["client_id"],
                                                    "client_secret": acc["client_secret"]})
        assert resp.status_code == 401
        assert resp.json()["error"] == "invalid_client"

    async def test_failures_are_audited(self, admin):
        acc = await create_account(admin)
        await admin.client.post(TOKEN, json={"client_id": acc["client_id"],
                                             "client_secret": "y" * 40})
        headers = await admin.headers("AUDITOR")
        resp = await admin.client.get("/api/v1/audit", params={"action": "auth.token_failed"},
                                      headers=headers)
        items = resp.json()["items"]
        assert len(items) == 1
        assert items[0]["actor"] == acc["client_id"]
        assert items[0]["outcome"] == "failure"
        assert items[0]["details"] == {"reason": "wrong_secret"}


BAD_REQUESTS = [
    ("unknown grant_type", "form", "grant_type=password&client_id=a&client_secret=b",
     400, "unsupported_grant_type"),
    ("missing grant_type", "form", "client_id=a&client_secret=b", 400, "invalid_request"),
    ("missing secret", "form", "grant_type=client_credentials&client_id=a", 400,
     "invalid_request"),
    ("repeated parameter", "form",
     "grant_type=client_credentials&client_id=a&client_id=b&client_secret=c", 400,
     "invalid_request"),
    ("malformed JSON", "json", '{"client_id": "a", ', 400, "invalid_request"),
    ("JSON array", "json", '["a"]', 400, "invalid_request"),
    ("wrong JSON type", "json", '{"client_id": 5, "client_secret": "x"}', 400,
     "invalid_request"),
    ("unknown JSON field", "json", '{"client_id": "a", "client_secret": "b", "role": "ADMIN"}',
     400, "invalid_request"),
    ("oversize client_id", "json", '{"client_id": "' + "a" * 65 + '", "client_secret": "b"}',
     400, "invalid_request"),
    ("oversize body", "json", '{"client_id": "' + "a" * 9000 + '"}', 400, "invalid_request"),
    ("other content type", "text", "client_id=a", 400, "invalid_request"),
    ("JSON unsupported grant", "json",
     '{"grant_type": "authorization_code", "client_id": "a", "client_secret": "b"}', 400,
     "unsupported_grant_type"),
]
CONTENT_TYPES = {"form": "application/x-www-form-urlencoded", "json": "application/json",
                 "text": "text/plain"}


@pytest.mark.parametrize(("case", "kind", "body", "status", "error"), BAD_REQUESTS,
                         ids=[c[0] for c in BAD_REQUESTS])
async def test_bad_token_request_is_rfc6749_4xx_without_state_change(
        admin, case, kind, body, status, error):
    before = await audit_count(admin)
    resp = await admin.client.post(TOKEN, content=body.encode(),
                                   headers={"Content-Type": CONTENT_TYPES[kind]})
    assert resp.status_code == status, resp.text
    assert resp.json()["error"] == error
    assert resp.json()["error_description"]
    assert await audit_count(admin) == before


async def test_basic_and_body_secret_together_is_invalid_request(admin):
    resp = await admin.client.post(TOKEN, data={"grant_type": "client_credentials",
                                                "client_secret": "z"},
                                   headers=basic("a", "b"))
    assert resp.status_code == 400
    assert resp.json()["error"] == "invalid_request"


class TestRateLimit:
    async def test_limit_stored_on_account_answers_429_with_retry_after(self, admin):
        acc = await create_account(admin, rate_limit_per_minute=3)
        creds = {"client_id": acc["client_id"], "client_secret": acc["client_secret"]}
        for _ in range(3):
            assert (await admin.client.post(TOKEN, json=creds)).status_code == 200
        resp = await admin.client.post(TOKEN, json=creds)
        assert resp.status_code == 429
        assert resp.json()["error"] == "rate_limited"
        assert 1 <= int(resp.headers["retry-after"]) <= 60

    async def test_limit_is_per_client(self, admin):
        limited = await create_account(admin, rate_limit_per_minute=1)
        other = await create_account(admin, rate_limit_per_minute=1)
        for acc in (limited, other):
            creds = {"client_id": acc["client_id"], "client_secret": acc["client_secret"]}
            assert (await admin.client.post(TOKEN, json=creds)).status_code == 200
        creds = {"client_id": limited["client_id"], "client_secret": limited["client_secret"]}
        assert (await admin.client.post(TOKEN, json=creds)).status_code == 429
