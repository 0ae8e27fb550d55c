"""The admin module as a real process: its tokens verify in another process that knows only the
JWKS URL, and nothing secret reaches its log output."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import httpx
import jwt
import pytest

from artstore_common.testing import ServiceProcess

from ..conftest import (
    ADMIN_PASSWORD,
    AUDIT_SECRET,
    CLIENT_SECRET,
    FERNET_KEY,
    base_env,
)

pytestmark = [pytest.mark.integration, pytest.mark.e2e]

VERIFY_SCRIPT = textwrap.dedent("""
    import asyncio, json, sys
    from artstore_common.auth import TokenVerifier

    async def main():
        verifier = TokenVerifier(issuer="artstore-admin", audience="artstore",
                                 jwks_url=sys.argv[1])
        out = []
        for token in json.loads(sys.stdin.read()):
            try:
                p = await verifier.verify(token)
                out.append({"ok": True, "sub": p.subject, "role": p.role,
                            "scopes": sorted(p.scopes), "client_id": p.client_id})
            except Exception as exc:
                out.append({"ok": False, "code": getattr(exc, "code", type(exc).__name__)})
        print(json.dumps(out))

    asyncio.run(main())
""")


@pytest.fixture(scope="module")
def admin_process(admin_databases, redis_url, admin_template_db, tmp_path_factory):
    """One admin process for this module (starting one costs seconds on a busy machine)."""
    url = admin_databases.create("admin_e2e", template=admin_template_db)
    env = {**base_env(redis_url, url), "LOG_FORMAT": "json",
           "LOG_LEVEL": "DEBUG"}
    log_path = tmp_path_factory.mktemp("admin-e2e") / "admin.log"
    proc = ServiceProcess("admin_module.main:create_app", env, log_path=str(log_path),
                          name="admin")
    proc.start()
    try:
        yield proc
    finally:
        proc.stop()
        admin_databases.drop(url)


def verify_elsewhere(jwks_url: str, tokens: list[str]) -> list[dict]:
    result = subprocess.run([sys.executable, "-c", VERIFY_SCRIPT, jwks_url],
                            input=json.dumps(tokens), capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_token_verifies_in_a_separate_process_knowing_only_the_jwks_url(admin_process):
    url = admin_process.url
    resp = httpx.post(f"{url}/api/v1/auth/token", data={
        "grant_type": "client_credentials", "client_id": "admin-service",
        "client_secret": CLIENT_SECRET})
    assert resp.status_code == 200, resp.text
    token = resp.json()["access_token"]
    head, payload, sig = token.split(".")
    tampered = f"{head}.{payload}.{sig[:-4]}AAAA"
    results = verify_elsewhere(f"{url}/.well-known/jwks.json", [token, tampered])
    assert results[0]["ok"] is True
    assert results[0]["client_id"] == "admin-service" and results[0]["role"] == "ADMIN"
    assert "accounts:admin" in results[0]["scopes"]
    assert results[1] == {"ok": False, "code": "INVALID_TOKEN"}


LIVE_VERIFIER = textwrap.dedent("""
    import asyncio, sys
    from artstore_common.auth import TokenVerifier

    async def main():
        verifier = TokenVerifier(issuer="artstore-admin", audience="artstore",
                                 jwks_url=sys.argv[1])
        loop = asyncio.get_running_loop()
        while line := await loop.run_in_executor(None, sys.stdin.readline):
            try:
                p = await verifier.verify(line.strip())
                print("RESULT ok", p.client_id, flush=True)
            except Exception as exc:
                print("RESULT fail", getattr(exc, "code", type(exc).__name__), flush=True)

    asyncio.run(main())
""")


def test_long_lived_verifier_keeps_working_across_a_rotation(admin_process):
    """One verifier process with default cache and refetch-throttle settings: tokens from
    before and after a rotation verify at once, because the next key was published (and
    cached) before it started signing."""
    url = admin_process.url
    c = httpx.Client(base_url=url, timeout=30)

    def token() -> str:
        r = c.post("/api/v1/auth/token", data={"grant_type": "client_credentials",
                                              "client_id": "admin-service",
                                              "client_secret": CLIENT_SECRET})
        assert r.status_code == 200
        return r.json()["access_token"]

    proc = subprocess.Popen([sys.executable, "-c", LIVE_VERIFIER, f"{url}/api/v1/auth/jwks"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        def check(tok: str) -> str:
            proc.stdin.write(tok + "\n")
            proc.stdin.flush()
            while not (line := proc.stdout.readline()).startswith("RESULT "):
                assert line, "the verifier process ended"
            return line.removeprefix("RESULT ").strip()

        before = token()
        assert check(before) == "ok admin-service"
        h = {"Authorization": f"Bearer {before}"}
        assert c.post("/api/v1/jwt-keys/rotate", headers=h).status_code == 200
        after_one = token()
        assert check(after_one) == "ok admin-service"
        kids = {jwt.get_unverified_header(t)["kid"] for t in (before, after_one)}
        assert len(kids) == 2
        assert check(before) == "ok admin-service"
    finally:
        proc.stdin.close()
        proc.wait(timeout=30)
        c.close()


def test_no_secret_appears_in_any_log_line(admin_process):
    url = admin_process.url
    c = httpx.Client(base_url=url, timeout=30)
    secrets_seen: list[str] = [ADMIN_PASSWORD, CLIENT_SECRET, AUDIT_SECRET, FERNET_KEY]

    def token(**kwargs) -> str:
        r = c.post("/api/v1/auth/token", **kwargs)
        assert r.status_code == 200, r.text
        secrets_seen.append(r.json()["access_token"])
        return r.json()["access_token"]

    sys_token = token(data={"grant_type": "client_credentials", "client_id": "admin-service",
                            "client_secret": CLIENT_SECRET})
    h = {"Authorization": f"Bearer {sys_token}"}
    token(data={"grant_type": "client_credentials"}, auth=("admin-service", CLIENT_SECRET))
    wrong = "wrong-secret-guess-0123456789-abcdefghijklmn"
    secrets_seen.append(wrong)
    assert c.post("/api/v1/auth/token", json={"client_id": "admin-service",
                                              "client_secret": wrong}).status_code == 401
    created = c.post("/api/v1/service-accounts", json={"name": "logs", "role": "USER"},
                     headers=h).json()
    secrets_seen.append(created["client_secret"])
    token(json={"client_id": created["client_id"], "client_secret": created["client_secret"]})
    rotated = c.post(f"/api/v1/service-accounts/{created['id']}/rotate-secret", headers=h).json()
    secrets_seen.append(rotated["client_secret"])

    bad_guess = "Wrong-Password-Guess-1"
    secrets_seen.append(bad_guess)
    assert c.post("/api/v1/admin-auth/login",
                  json={"username": "root", "password": bad_guess}).status_code == 401
    login = c.post("/api/v1/admin-auth/login",
                   json={"username": "root", "password": ADMIN_PASSWORD}).json()
    secrets_seen += [login["access_token"], login["refresh_token"]]
    refreshed = c.post("/api/v1/admin-auth/refresh",
                       json={"refresh_token": login["refresh_token"]}).json()
    secrets_seen += [refreshed["access_token"], refreshed["refresh_token"]]
    new_password = "Brand-New-Password-77"
    secrets_seen.append(new_password)
    uh = {"Authorization": f"Bearer {refreshed['access_token']}"}
    r = c.post("/api/v1/admin-auth/change-password", headers=uh,
               json={"current_password": ADMIN_PASSWORD, "new_password": new_password})
    assert r.status_code == 204
    # a secret sent where it does not belong (a bad request) must not be echoed into the logs
    r = c.post("/api/v1/service-accounts", headers=h,
               json={"name": "x", "role": "USER", "client_secret": "leaky-secret-in-body-123"})
    assert r.status_code == 422
    secrets_seen.append("leaky-secret-in-body-123")
    c.close()

    # the whole log of this module's process, including the other tests' traffic
    log = open(admin_process.log_path, encoding="utf-8").read()
    assert "auth.token_issued" in log and "admin_auth.login" in log
    assert len(log.splitlines()) > 20
    leaked = [s[:12] + "..." for s in secrets_seen if s in log]
    assert leaked == [], f"secrets found in the log: {leaked}"
