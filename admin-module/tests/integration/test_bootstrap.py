"""Initial accounts from the environment; generated ones in development; production refusals."""

from __future__ import annotations

import os
import stat

import pytest
from cryptography.fernet import Fernet

from admin_module.config import Settings
from admin_module.main import create_app
from admin_module.runtime_secrets import InsecureConfiguration, read_env_file

pytestmark = pytest.mark.integration


async def test_initial_accounts_from_environment(admin):
    tokens = await admin.login("root")
    assert tokens["access_token"]
    assert await admin.system_token()


async def test_restart_keeps_accounts_keys_and_chain(admin, make_admin):
    kid = (await admin.app.state.keys.active()).kid
    again = await make_admin()
    assert (await again.app.state.keys.active()).kid == kid
    await again.login("root")
    resp = await again.client.get("/api/v1/audit/verify", headers=await again.headers("AUDITOR"))
    assert resp.json()["valid"] is True


async def test_missing_credentials_are_generated_printed_once_and_written_0600(
        make_admin, tmp_path, capsys):
    boot = tmp_path / "run.env"
    admin = await make_admin(ARTSTORE_ADMIN_PASSWORD="", ARTSTORE_CLIENT_SECRET="",
                             AUDIT_HMAC_SECRET="", JWT_KEYS_ENCRYPTION_KEY="",
                             ARTSTORE_BOOTSTRAP_FILE=str(boot))
    out = capsys.readouterr().out
    values = read_env_file(boot)
    assert stat.S_IMODE(os.stat(boot).st_mode) == 0o600
    for key in ("ARTSTORE_ADMIN_PASSWORD", "ARTSTORE_CLIENT_SECRET", "AUDIT_HMAC_SECRET",
                "JWT_KEYS_ENCRYPTION_KEY"):
        assert values.get(key), key
    assert "ARTSTORE INITIAL CREDENTIALS" in out
    assert values["ARTSTORE_ADMIN_PASSWORD"] in out
    await admin.login("root", values["ARTSTORE_ADMIN_PASSWORD"])
    resp = await admin.client.post("/api/v1/auth/token", json={
        "client_id": "admin-service", "client_secret": values["ARTSTORE_CLIENT_SECRET"]})
    assert resp.status_code == 200

    # second start: nothing new is generated or printed; the stored secrets are reused
    again = await make_admin(ARTSTORE_ADMIN_PASSWORD="", ARTSTORE_CLIENT_SECRET="",
                             AUDIT_HMAC_SECRET="", JWT_KEYS_ENCRYPTION_KEY="",
                             ARTSTORE_BOOTSTRAP_FILE=str(boot))
    assert "ARTSTORE INITIAL CREDENTIALS" not in capsys.readouterr().out
    assert read_env_file(boot) == values
    resp = await again.client.get("/api/v1/audit/verify", headers=await again.headers("AUDITOR"))
    assert resp.json()["valid"] is True


GOOD = {
    "AUDIT_HMAC_SECRET": "p" * 48,
    "JWT_KEYS_ENCRYPTION_KEY": Fernet.generate_key().decode(),
    "ARTSTORE_ADMIN_PASSWORD": "Production-Admin-Pass-1",
    "ARTSTORE_CLIENT_SECRET": "c" * 48,
}


@pytest.mark.parametrize(("name", "bad"), [
    ("AUDIT_HMAC_SECRET", ""), ("AUDIT_HMAC_SECRET", "changeme"),
    ("JWT_KEYS_ENCRYPTION_KEY", ""), ("JWT_KEYS_ENCRYPTION_KEY", "not-a-fernet-key"),
    ("ARTSTORE_ADMIN_PASSWORD", ""), ("ARTSTORE_ADMIN_PASSWORD", "admin"),
    ("ARTSTORE_CLIENT_SECRET", ""), ("ARTSTORE_CLIENT_SECRET", "secret"),
])
async def test_production_refuses_missing_or_default_secrets(admin_env, name, bad):
    env = {**admin_env, **GOOD, "ENVIRONMENT": "production", name: bad}
    app = create_app(Settings(**env))
    with pytest.raises(InsecureConfiguration, match=name):
        async with app.router.lifespan_context(app):
            pass


async def test_production_starts_with_proper_secrets(make_admin):
    admin = await make_admin(ENVIRONMENT="production", LOG_FORMAT="json", **GOOD)
    await admin.login("root", GOOD["ARTSTORE_ADMIN_PASSWORD"])


async def test_readiness_reports_database_and_redis(admin, make_admin):
    body = (await admin.client.get("/health/ready")).json()
    assert body["status"] == "ok"
    assert body["checks"]["database"]["status"] == "ok"
    down = await make_admin(REDIS_URL="redis://127.0.0.1:1/0")
    body = (await down.client.get("/health/ready")).json()
    assert body["status"] == "degraded"
    assert body["checks"]["redis"]["status"] == "degraded"


async def test_rate_limiter_fails_open_when_redis_is_down(make_admin):
    admin = await make_admin(REDIS_URL="redis://127.0.0.1:1/0", LOGIN_RATE_LIMIT_PER_MINUTE=1)
    for _ in range(3):
        assert await admin.system_token()
    from prometheus_client import REGISTRY

    assert (REGISTRY.get_sample_value("artstore_rate_limit_errors_total", {"scope": "token"})
            or 0) >= 3
