"""Admin users: login, refresh rotation and reuse, logout, me, passwords, lockout, CRUD."""

from __future__ import annotations

import uuid

import jwt
import pytest
from sqlalchemy import func, select

from admin_module.models.admin_user import AdminUser, PasswordHistory
from admin_module.models.audit import AuditEvent

pytestmark = pytest.mark.integration

AUTH = "/api/v1/admin-auth"
USERS = "/api/v1/admin-users"
GOOD_PASSWORD = "Correct-Horse-Battery-9"


def bearer(tokens) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens['access_token']}"}


async def make_user(admin, username="alice", role="admin", password=GOOD_PASSWORD):
    root = await admin.login()
    resp = await admin.client.post(USERS, json={"username": username, "password": password,
                                                "role": role}, headers=bearer(root))
    assert resp.status_code == 201, resp.text
    return resp.json()


async def audit(admin, action):
    headers = await admin.headers("AUDITOR")
    resp = await admin.client.get("/api/v1/audit", params={"action": action}, headers=headers)
    return resp.json()["items"]


class TestLogin:
    async def test_login_returns_tokens_with_admin_claims(self, admin):
        tokens = await admin.login()
        assert tokens["token_type"] == "Bearer" and tokens["expires_in"] == 1800
        assert tokens["refresh_token"]
        claims = jwt.decode(tokens["access_token"], options={"verify_signature": False})
        assert claims["ptype"] == "admin_user" and claims["role"] == "super_admin"
        assert claims["name"] == "root" and "client_id" not in claims
        me = await admin.client.get(f"{AUTH}/me", headers=bearer(tokens))
        assert me.status_code == 200
        assert me.json()["username"] == "root" and me.json()["id"] == claims["sub"]
        assert "password_hash" not in me.json()

    async def test_wrong_password_is_401(self, admin):
        resp = await admin.client.post(f"{AUTH}/login",
                                       json={"username": "root", "password": "nope"})
        assert resp.status_code == 401
        assert resp.json()["error"]["code"] == "INVALID_CREDENTIALS"

    async def test_unknown_user_is_the_same_401(self, admin):
        resp = await admin.client.post(f"{AUTH}/login",
                                       json={"username": "ghost", "password": "nope"})
        assert resp.status_code == 401
        assert resp.json()["error"]["code"] == "INVALID_CREDENTIALS"

    async def test_sixth_failure_in_window_locks_with_423_and_is_audited(self, admin):
        await make_user(admin, "bob")
        codes = []
        for _ in range(6):
            r = await admin.client.post(f"{AUTH}/login",
                                        json={"username": "bob", "password": "wrong-one"})
            codes.append(r.status_code)
        assert codes == [401] * 5 + [423]
        assert r.json()["error"]["code"] == "ACCOUNT_LOCKED"
        assert int(r.headers["retry-after"]) > 14 * 60
        # even the right password is refused while locked
        r = await admin.client.post(f"{AUTH}/login",
                                    json={"username": "bob", "password": GOOD_PASSWORD})
        assert r.status_code == 423
        locked = await audit(admin, "admin_user.locked")
        assert len(locked) == 1 and locked[0]["details"]["username"] == "bob"
        failures = [e for e in await audit(admin, "admin_auth.login")
                    if e["actor"] == "bob"]
        assert len(failures) == 7
        assert {e["outcome"] for e in failures} == {"failure", "denied"}

    async def test_unlock_by_super_admin(self, admin):
        user = await make_user(admin, "carol")
        for _ in range(5):
            await admin.client.post(f"{AUTH}/login",
                                    json={"username": "carol", "password": "wrong-one"})
        root = await admin.login()
        r = await admin.client.post(f"{USERS}/{user['id']}/unlock", headers=bearer(root))
        assert r.status_code == 200 and r.json()["locked_until"] is None
        await admin.login("carol", GOOD_PASSWORD)

    async def test_login_rate_limit_is_429_with_retry_after(self, make_admin):
        admin = await make_admin(LOGIN_RATE_LIMIT_PER_MINUTE=3)
        for _ in range(3):
            await admin.client.post(f"{AUTH}/login", json={"username": "x", "password": "y"})
        r = await admin.client.post(f"{AUTH}/login", json={"username": "x", "password": "y"})
        assert r.status_code == 429
        assert r.json()["error"]["code"] == "RATE_LIMITED"
        assert int(r.headers["retry-after"]) >= 1
        # another username from the same address is a separate window
        r = await admin.client.post(f"{AUTH}/login", json={"username": "z", "password": "y"})
        assert r.status_code == 401

    async def test_disabled_user_is_403(self, admin):
        user = await make_user(admin, "dave")
        root = await admin.login()
        r = await admin.client.patch(f"{USERS}/{user['id']}", json={"status": "disabled"},
                                     headers=bearer(root))
        assert r.status_code == 200
        r = await admin.client.post(f"{AUTH}/login",
                                    json={"username": "dave", "password": GOOD_PASSWORD})
        assert r.status_code == 403
        assert r.json()["error"]["code"] == "ACCOUNT_DISABLED"


class TestRefresh:
    async def test_refresh_rotates_the_token(self, admin):
        first = await admin.login()
        r = await admin.client.post(f"{AUTH}/refresh",
                                    json={"refresh_token": first["refresh_token"]})
        assert r.status_code == 200
        second = r.json()
        assert second["refresh_token"] != first["refresh_token"]
        assert (await admin.client.get(f"{AUTH}/me", headers=bearer(second))).status_code == 200

    async def test_reuse_of_rotated_token_revokes_the_family_and_is_audited(self, admin):
        first = await admin.login()
        second = (await admin.client.post(f"{AUTH}/refresh",
                                          json={"refresh_token": first["refresh_token"]})).json()
        reuse = await admin.client.post(f"{AUTH}/refresh",
                                        json={"refresh_token": first["refresh_token"]})
        assert reuse.status_code == 401
        assert reuse.json()["error"]["code"] == "INVALID_REFRESH_TOKEN"
        # the legitimate newer token of the same family is dead too
        r = await admin.client.post(f"{AUTH}/refresh",
                                    json={"refresh_token": second["refresh_token"]})
        assert r.status_code == 401
        events = await audit(admin, "admin_auth.refresh_reuse")
        assert len(events) == 1 and events[0]["outcome"] == "denied"

    async def test_other_sessions_survive_a_reuse(self, admin):
        a = await admin.login()
        b = await admin.login()
        await admin.client.post(f"{AUTH}/refresh", json={"refresh_token": a["refresh_token"]})
        await admin.client.post(f"{AUTH}/refresh", json={"refresh_token": a["refresh_token"]})
        r = await admin.client.post(f"{AUTH}/refresh", json={"refresh_token": b["refresh_token"]})
        assert r.status_code == 200

    @pytest.mark.parametrize("body", [{"refresh_token": "garbage"}, {"refresh_token": ""},
                                      {}, {"refresh_token": "x" * 300}, {"token": "x"}])
    async def test_bad_refresh_is_4xx(self, admin, body):
        r = await admin.client.post(f"{AUTH}/refresh", json=body)
        assert r.status_code in (401, 422)
        assert "error" in r.json()


class TestLogout:
    async def test_logout_revokes_the_refresh_token(self, admin):
        tokens = await admin.login()
        r = await admin.client.post(f"{AUTH}/logout",
                                    json={"refresh_token": tokens["refresh_token"]},
                                    headers=bearer(tokens))
        assert r.status_code == 204
        r = await admin.client.post(f"{AUTH}/refresh",
                                    json={"refresh_token": tokens["refresh_token"]})
        assert r.status_code == 401
        assert len(await audit(admin, "admin_auth.logout")) == 1

    async def test_logout_without_body_revokes_every_session(self, admin):
        a = await admin.login()
        b = await admin.login()
        assert (await admin.client.post(f"{AUTH}/logout", headers=bearer(a))).status_code == 204
        r = await admin.client.post(f"{AUTH}/refresh", json={"refresh_token": b["refresh_token"]})
        assert r.status_code == 401

    async def test_service_account_cannot_use_admin_session_endpoints(self, admin):
        h = {"Authorization": f"Bearer {await admin.system_token()}"}
        r = await admin.client.get(f"{AUTH}/me", headers=h)
        assert r.status_code == 403
        assert r.json()["error"]["code"] == "NOT_AN_ADMIN_USER"


class TestPasswords:
    async def test_change_password(self, admin):
        await make_user(admin, "erin")
        tokens = await admin.login("erin", GOOD_PASSWORD)
        new = "Another-Strong-Pass-77"
        r = await admin.client.post(f"{AUTH}/change-password", headers=bearer(tokens),
                                    json={"current_password": GOOD_PASSWORD,
                                          "new_password": new})
        assert r.status_code == 204
        await admin.login("erin", new)
        r = await admin.client.post(f"{AUTH}/refresh",
                                    json={"refresh_token": tokens["refresh_token"]})
        assert r.status_code == 401  # sessions end with the password change

    async def test_wrong_current_password_and_reuse_and_policy(self, admin):
        await make_user(admin, "frank")
        tokens = await admin.login("frank", GOOD_PASSWORD)
        url = f"{AUTH}/change-password"
        r = await admin.client.post(url, headers=bearer(tokens), json={
            "current_password": "wrong", "new_password": "Totally-New-Pass-1"})
        assert r.status_code == 403
        r = await admin.client.post(url, headers=bearer(tokens), json={
            "current_password": GOOD_PASSWORD, "new_password": GOOD_PASSWORD})
        assert r.status_code == 422 and r.json()["error"]["code"] == "SECRET_REUSED"
        r = await admin.client.post(url, headers=bearer(tokens), json={
            "current_password": GOOD_PASSWORD, "new_password": "short"})
        assert r.status_code == 422 and r.json()["error"]["code"] == "PASSWORD_POLICY"
        assert r.json()["error"]["details"]["problems"]
        await admin.login("frank", GOOD_PASSWORD)

    async def test_password_history_keeps_only_what_is_compared(self, admin):
        user = await make_user(admin, "hank")
        tokens = await admin.login("hank", GOOD_PASSWORD)
        size = admin.settings.PASSWORD_HISTORY_SIZE
        passwords = [f"Rotating-Strong-Pass-{i}x" for i in range(size + 3)]
        current = GOOD_PASSWORD
        for new in passwords:
            r = await admin.client.post(f"{AUTH}/change-password", headers=bearer(tokens),
                                        json={"current_password": current, "new_password": new})
            assert r.status_code == 204, r.text
            tokens, current = await admin.login("hank", new), new
        async with admin.session() as s:
            kept = await s.scalar(select(func.count()).select_from(PasswordHistory)
                                  .where(PasswordHistory.user_id == uuid.UUID(user["id"])))
        assert kept == size
        # The newest ones are what is kept: reusing one of them is still refused.
        r = await admin.client.post(f"{AUTH}/change-password", headers=bearer(tokens), json={
            "current_password": current, "new_password": passwords[-size]})
        assert r.status_code == 422 and r.json()["error"]["code"] == "SECRET_REUSED"

    async def test_passwords_are_stored_with_argon2(self, admin):
        await make_user(admin, "gina")
        async with admin.session() as s:
            hashed = await s.scalar(select(AdminUser.password_hash)
                                    .where(AdminUser.username == "gina"))
        assert hashed.startswith("$argon2id$") and GOOD_PASSWORD not in hashed


class TestCrud:
    async def test_create_list_read_update_delete(self, admin):
        root = await admin.login()
        h = bearer(root)
        user = await make_user(admin, "Heidi", role="readonly")
        assert user["username"] == "heidi"
        r = await admin.client.get(USERS, params={"role": "readonly"}, headers=h)
        assert [u["username"] for u in r.json()["items"]] == ["heidi"]
        r = await admin.client.get(USERS, params={"q": "EID"}, headers=h)
        assert r.json()["total"] == 1
        r = await admin.client.patch(f"{USERS}/{user['id']}",
                                     json={"role": "admin", "full_name": "Heidi K"}, headers=h)
        assert r.json()["role"] == "admin" and r.json()["full_name"] == "Heidi K"
        assert (await admin.client.delete(f"{USERS}/{user['id']}", headers=h)).status_code == 204
        assert (await admin.client.get(f"{USERS}/{user['id']}", headers=h)).status_code == 404
        r = await admin.client.post(f"{AUTH}/login",
                                    json={"username": "heidi", "password": GOOD_PASSWORD})
        assert r.status_code == 401

    async def test_last_super_admin_and_self_are_protected(self, admin):
        root = await admin.login()
        h = bearer(root)
        me = (await admin.client.get(f"{AUTH}/me", headers=h)).json()
        r = await admin.client.delete(f"{USERS}/{me['id']}", headers=h)
        assert r.status_code == 409
        r = await admin.client.patch(f"{USERS}/{me['id']}", json={"role": "admin"}, headers=h)
        assert r.status_code == 409
        other = await make_user(admin, "ivan", role="super_admin")
        tokens = await admin.login("ivan", GOOD_PASSWORD)
        r = await admin.client.delete(f"{USERS}/{me['id']}", headers=bearer(tokens))
        assert r.status_code == 204
        r = await admin.client.patch(f"{USERS}/{other['id']}", json={"role": "admin"},
                                     headers=await admin.headers("ADMIN"))
        assert r.status_code == 409
        assert r.json()["error"]["code"] == "LAST_SUPER_ADMIN"

    @pytest.mark.parametrize("body", [
        {"username": "ab", "password": GOOD_PASSWORD, "role": "admin"},
        {"username": "has space", "password": GOOD_PASSWORD, "role": "admin"},
        {"username": "okname", "password": GOOD_PASSWORD, "role": "ADMIN"},
        {"username": "okname", "password": "weakpassword", "role": "admin"},
        {"username": "okname", "password": "okname-Strong-123", "role": "admin"},
        {"username": "okname", "password": GOOD_PASSWORD, "role": "admin", "is_system": True},
        {"username": "okname", "password": GOOD_PASSWORD, "role": "admin", "email": "nope"},
        {"username": "okname", "password": "P" * 300, "role": "admin"},
    ])
    async def test_bad_create_is_422_without_state_change(self, admin, body):
        h = await admin.headers("ADMIN")
        async with admin.session() as s:
            before = (await s.scalar(select(func.count()).select_from(AdminUser)),
                      await s.scalar(select(func.count()).select_from(AuditEvent)))
        r = await admin.client.post(USERS, json=body, headers=h)
        assert r.status_code == 422, r.text
        async with admin.session() as s:
            after = (await s.scalar(select(func.count()).select_from(AdminUser)),
                     await s.scalar(select(func.count()).select_from(AuditEvent)))
        assert after == before

    async def test_duplicate_username_is_409(self, admin):
        await make_user(admin, "judy")
        root = await admin.login()
        r = await admin.client.post(USERS, json={"username": "JUDY", "password": GOOD_PASSWORD,
                                                 "role": "admin"}, headers=bearer(root))
        assert r.status_code == 409


@pytest.mark.parametrize("body", [
    b'{"username": "root", "password":',
    b'{"username": "root"}',
    b'{"username": "root", "password": 12345}',
    b'{"username": "' + b"r" * 65 + b'", "password": "x"}',
    b'{"username": "root", "password": "' + b"p" * 257 + b'"}',
    b'{"username": "root", "password": "x", "role": "super_admin"}',
    b'[]',
])
async def test_bad_login_body_is_422_and_counts_no_failure(admin, body):
    async def snapshot():
        async with admin.session() as s:
            user = await s.scalar(select(AdminUser).where(AdminUser.username == "root"))
            events = await s.scalar(select(func.count()).select_from(AuditEvent))
            return user.failed_login_count, user.locked_until, events

    before = await snapshot()
    r = await admin.client.post(f"{AUTH}/login", content=body,
                                headers={"Content-Type": "application/json"})
    assert r.status_code == 422, r.text
    assert r.json()["error"]["code"] == "VALIDATION_ERROR"
    assert await snapshot() == before


async def test_expired_refresh_tokens_are_purged(admin):
    from datetime import timedelta

    from sqlalchemy import update

    from admin_module.admin_users import repository
    from admin_module.models.admin_user import RefreshToken
    from admin_module.models.base import utcnow

    old = await admin.login()
    live = await admin.login()
    from admin_module.admin_users.auth_service import hash_refresh_token

    async with admin.session() as s, s.begin():
        await s.execute(update(RefreshToken)
                        .where(RefreshToken.token_hash == hash_refresh_token(old["refresh_token"]))
                        .values(expires_at=utcnow() - timedelta(days=2)))
    async with admin.session() as s, s.begin():
        removed = await repository.purge_expired_refresh_tokens(s, utcnow() - timedelta(days=1))
    assert removed == 1
    r = await admin.client.post(f"{AUTH}/refresh", json={"refresh_token": live["refresh_token"]})
    assert r.status_code == 200
