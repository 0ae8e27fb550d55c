"""Domain metrics appear on /metrics with the artstore_ prefix."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.integration


async def test_identity_metrics_are_exported(admin):
    await admin.system_token()
    await admin.client.post("/api/v1/auth/token", json={"client_id": "admin-service",
                                                        "client_secret": "w" * 40})
    await admin.client.post("/api/v1/admin-auth/login", json={"username": "root",
                                                               "password": "nope"})
    await admin.client.post("/api/v1/jwt-keys/rotate", headers=await admin.headers())
    await admin.client.get("/api/v1/audit/verify", headers=await admin.headers())
    text = (await admin.client.get("/metrics")).text
    for sample in (
        'artstore_tokens_issued_total{grant="client_credentials",ptype="service_account"}',
        'artstore_token_failures_total{reason="wrong_secret"}',
        'artstore_admin_logins_total{outcome="failure"}',
        'artstore_jwt_key_rotations_total{reason="manual"}',
        'artstore_audit_chain_verifications_total{result="valid"}',
        "artstore_audit_chain_valid 1.0",
        "artstore_jwt_keys_published",
    ):
        assert sample in text, sample
