"""RBAC matrix: every admin endpoint × every role (plus an unknown role and no token).

The allowed roles are written out here by hand (not derived from the scope map), so a change
to the permission model that widens or narrows access shows up as a failing cell.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from admin_module.config import Settings
from admin_module.main import create_app

from ..conftest import AdminHarness, base_env

pytestmark = pytest.mark.integration

ACCOUNTS_READ = {"ADMIN", "super_admin", "admin", "readonly"}
ACCOUNTS_ADMIN = {"ADMIN", "super_admin"}
KEYS_ADMIN = {"ADMIN", "super_admin"}
AUDIT_READ = {"ADMIN", "AUDITOR", "RECORDS_MANAGER", "super_admin", "admin", "records_manager",
              "auditor"}
RECORDS_READ = {"ADMIN", "AUDITOR", "RECORDS_MANAGER", "super_admin", "admin", "records_manager",
                "auditor"}
RECORDS_WRITE = {"ADMIN", "RECORDS_MANAGER", "super_admin", "records_manager"}
# the person's own session
ADMIN_USER_SESSION = {"super_admin", "admin", "readonly", "records_manager", "auditor"}
STORAGE_READ = {"ADMIN", "super_admin", "admin", "readonly"}
STORAGE_ADMIN = {"ADMIN", "super_admin", "admin"}
FILES_WRITE = {"ADMIN", "USER", "super_admin", "admin"}

# caller name -> (role claim, ptype)
CALLERS: dict[str, tuple[str, str] | None] = {
    "ADMIN": ("ADMIN", "service_account"),
    "USER": ("USER", "service_account"),
    "AUDITOR": ("AUDITOR", "service_account"),
    "READONLY": ("READONLY", "service_account"),
    "RECORDS_MANAGER": ("RECORDS_MANAGER", "service_account"),
    "super_admin": ("super_admin", "admin_user"),
    "admin": ("admin", "admin_user"),
    "readonly": ("readonly", "admin_user"),
    "records_manager": ("records_manager", "admin_user"),
    "auditor": ("auditor", "admin_user"),
    "unknown_role": ("GOD", "service_account"),
    "unknown_user_role": ("root", "admin_user"),
    "no_token": None,
}
PASSWORD = "Matrix-Password-123"


@dataclass
class Endpoint:
    method: str
    path: str
    allowed: set[str]
    ok: int = 200
    body: Any = None
    needs: str = ""  # "suspended" target, etc.

    @property
    def id(self) -> str:
        return f"{self.method} {self.path}"


ENDPOINTS = [
    Endpoint("GET", "/service-accounts", ACCOUNTS_READ),
    Endpoint("POST", "/service-accounts", ACCOUNTS_ADMIN, 201, {"name": "m", "role": "USER"}),
    Endpoint("GET", "/service-accounts/{sa}", ACCOUNTS_READ),
    Endpoint("PATCH", "/service-accounts/{sa}", ACCOUNTS_ADMIN, 200, {"description": "x"}),
    Endpoint("POST", "/service-accounts/{sa}/suspend", ACCOUNTS_ADMIN),
    Endpoint("POST", "/service-accounts/{sa}/activate", ACCOUNTS_ADMIN, needs="suspended"),
    Endpoint("POST", "/service-accounts/{sa}/rotate-secret", ACCOUNTS_ADMIN),
    Endpoint("DELETE", "/service-accounts/{sa}", ACCOUNTS_ADMIN, 204),
    Endpoint("GET", "/service-accounts/{sa}/secret-history", ACCOUNTS_READ),
    Endpoint("GET", "/admin-users", ACCOUNTS_READ),
    Endpoint("POST", "/admin-users", ACCOUNTS_ADMIN, 201,
             {"username": "new-{n}", "password": PASSWORD, "role": "readonly"}),
    Endpoint("GET", "/admin-users/{user}", ACCOUNTS_READ),
    Endpoint("PATCH", "/admin-users/{user}", ACCOUNTS_ADMIN, 200, {"full_name": "X"}),
    Endpoint("DELETE", "/admin-users/{user}", ACCOUNTS_ADMIN, 204),
    Endpoint("POST", "/admin-users/{user}/reset-password", ACCOUNTS_ADMIN, 200,
             {"new_password": "Reset-Password-456"}),
    Endpoint("POST", "/admin-users/{user}/unlock", ACCOUNTS_ADMIN),
    Endpoint("POST", "/jwt-keys/rotate", KEYS_ADMIN),
    Endpoint("GET", "/jwt-keys/status", KEYS_ADMIN),
    Endpoint("GET", "/jwt-keys/history", KEYS_ADMIN),
    Endpoint("GET", "/audit", AUDIT_READ),
    Endpoint("GET", "/audit/verify", AUDIT_READ),
    Endpoint("GET", "/audit/export", AUDIT_READ),
    Endpoint("GET", "/files/{n_uuid}/history", AUDIT_READ),
    Endpoint("GET", "/legal-holds", RECORDS_READ),
    Endpoint("POST", "/legal-holds", RECORDS_WRITE, 201, {"name": "h-{n}", "reason": "case"}),
    Endpoint("GET", "/legal-holds/{hold}", RECORDS_READ),
    Endpoint("GET", "/legal-holds/{hold}/files", RECORDS_READ),
    Endpoint("POST", "/legal-holds/{hold}/files", RECORDS_WRITE, 200,
             {"file_ids": ["{n_uuid}"]}),
    Endpoint("POST", "/legal-holds/{hold}/files/{n_uuid}/release", RECORDS_WRITE, 404,
             {"reason": "placed by mistake"}),
    Endpoint("POST", "/legal-holds/{hold}/release", RECORDS_WRITE, 200, {"reason": "closed"}),
    Endpoint("PUT", "/files/{n_uuid}/retain-until", RECORDS_WRITE, 404,
             {"retain_until": "2031-01-01T00:00:00Z"}),
    Endpoint("GET", "/retention-schedules", RECORDS_READ),
    Endpoint("GET", "/retention-schedules/none-{n}", RECORDS_READ, 404),
    Endpoint("POST", "/retention-schedules", RECORDS_WRITE, 201,
             {"name": "s-{n}", "period_days": 10, "trigger": "upload", "action": "review"}),
    Endpoint("PUT", "/files/{n_uuid}/retention-class", RECORDS_WRITE, 404,
             {"schedule": "none-{n}"}),
    Endpoint("POST", "/files/{n_uuid}/retention-event", RECORDS_WRITE, 404,
             {"date": "2015-06-30"}),
    Endpoint("GET", "/disposition/candidates", RECORDS_READ),
    Endpoint("GET", "/disposition/candidates/count", RECORDS_READ),
    Endpoint("GET", "/disposition/batches", RECORDS_READ),
    Endpoint("POST", "/disposition/batches", RECORDS_WRITE, 422,
             {"file_ids": ["{n_uuid}"], "reason": "due"}),
    Endpoint("GET", "/disposition/batches/{n_uuid}", RECORDS_READ, 404),
    Endpoint("POST", "/disposition/batches/{n_uuid}/approve", RECORDS_WRITE, 404),
    Endpoint("POST", "/disposition/batches/{n_uuid}/reject", RECORDS_WRITE, 404),
    Endpoint("GET", "/disposition/batches/{n_uuid}/certificate", RECORDS_READ, 404),
    Endpoint("GET", "/disposition/batches/{n_uuid}/certificate/verify", RECORDS_READ, 404),
    Endpoint("POST", "/files/{n_uuid}/verify", STORAGE_ADMIN, 404),
    Endpoint("PUT", "/files/{n_uuid}/expires-at", FILES_WRITE, 404,
             {"expires_at": "2031-01-01T00:00:00Z"}),
    Endpoint("GET", "/dashboard/capacity", STORAGE_READ),
    Endpoint("GET", "/dashboard/fixity", STORAGE_READ),
    Endpoint("GET", "/dashboard/activity", STORAGE_READ),
    Endpoint("GET", "/dashboard/links", STORAGE_READ),
    Endpoint("GET", "/admin-auth/me", ADMIN_USER_SESSION),
    Endpoint("POST", "/admin-auth/change-password", ADMIN_USER_SESSION, 204,
             {"current_password": PASSWORD, "new_password": "Changed-Password-789"}),
    Endpoint("POST", "/admin-auth/logout", ADMIN_USER_SESSION, 204),
]


@pytest.fixture(scope="module")
async def matrix_admin(admin_databases, redis_url, admin_template_db):
    url = admin_databases.create("admin_rbac", template=admin_template_db)
    settings = Settings(**base_env(redis_url, url))
    app = create_app(settings)
    lifespan = app.router.lifespan_context(app)
    await lifespan.__aenter__()
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                               base_url="http://admin.test")
    try:
        yield AdminHarness(app, client, settings)
    finally:
        await client.aclose()
        await lifespan.__aexit__(None, None, None)
        admin_databases.drop(url)


async def _caller_headers(h: AdminHarness, caller: str) -> dict[str, str]:
    spec = CALLERS[caller]
    if spec is None:
        return {}
    role, ptype = spec
    if ptype == "service_account":
        return await h.headers(role, name=f"matrix-{caller}")
    # An admin-user caller is a real user (its own session endpoints load it from the DB).
    n = uuid.uuid4().hex[:8]
    sys_headers = await h.headers("ADMIN")
    real_role = role if role in ADMIN_USER_SESSION else "readonly"
    resp = await h.client.post("/api/v1/admin-users", headers=sys_headers, json={
        "username": f"caller-{n}", "password": PASSWORD, "role": real_role})
    assert resp.status_code == 201, resp.text
    return await h.headers(role, ptype="admin_user", subject=resp.json()["id"],
                           name=f"caller-{n}")


async def _targets(h: AdminHarness, needs: str) -> dict[str, str]:
    sys_headers = await h.headers("ADMIN")
    sa = (await h.client.post("/api/v1/service-accounts", headers=sys_headers,
                              json={"name": "target", "role": "USER"})).json()
    if needs == "suspended":
        await h.client.post(f"/api/v1/service-accounts/{sa['id']}/suspend", headers=sys_headers)
    user = (await h.client.post("/api/v1/admin-users", headers=sys_headers, json={
        "username": f"target-{uuid.uuid4().hex[:8]}", "password": PASSWORD,
        "role": "readonly"})).json()
    hold = (await h.client.post("/api/v1/legal-holds", headers=sys_headers, json={
        "name": f"target-{uuid.uuid4().hex[:8]}", "reason": "matrix"})).json()
    return {"sa": sa["id"], "user": user["id"], "hold": hold["id"], "n": uuid.uuid4().hex[:8],
            "n_uuid": str(uuid.uuid4())}


def _fill(value: Any, targets: dict[str, str]) -> Any:
    if isinstance(value, str):
        return value.format(**targets)
    if isinstance(value, dict):
        return {k: _fill(v, targets) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, targets) for v in value]
    return value


@pytest.mark.parametrize("caller", list(CALLERS))
@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=[e.id for e in ENDPOINTS])
async def test_rbac(matrix_admin, endpoint: Endpoint, caller: str):
    h = matrix_admin
    targets = await _targets(h, endpoint.needs)
    headers = await _caller_headers(h, caller)
    kwargs: dict[str, Any] = {"headers": headers}
    if endpoint.body is not None:
        kwargs["json"] = _fill(endpoint.body, targets)
    resp = await h.client.request(endpoint.method, "/api/v1" + _fill(endpoint.path, targets),
                                  **kwargs)
    if caller == "no_token":
        expected = 401
    elif caller in endpoint.allowed:
        expected = endpoint.ok
    else:
        expected = 403
    assert resp.status_code == expected, f"{caller} {endpoint.id}: {resp.text[:300]}"
    if expected >= 400:
        assert resp.json()["error"]["code"]
