"""Issue 14's SE refusals in the audit chain and issue 15's records governance (legal holds,
retain_until) against the whole suite as real processes."""

from __future__ import annotations

import uuid

import httpx
import pytest
from e2e_support import Api, assert_error, client_token, wait_for

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def admin_api(suite_env, admin_token) -> Api:
    return Api(suite_env, admin_token)


def new_account(admin_api: Api, role: str = "USER") -> dict:
    r = admin_api.admin("POST", "/api/v1/service-accounts",
                        json={"name": f"h15-{uuid.uuid4().hex[:6]}", "role": role})
    assert r.status_code == 201, r.text
    return r.json()


def token_of(env: dict[str, str], account: dict) -> str:
    return client_token(env["ADMIN_URL"], account["client_id"], account["client_secret"])


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
