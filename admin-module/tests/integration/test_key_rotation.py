"""Signing-key rotation: old tokens keep working, new tokens carry the new kid, JWKS follows."""

from __future__ import annotations

from datetime import timedelta

import httpx
import jwt
import pytest
from sqlalchemy import update

from admin_module.models.base import utcnow
from admin_module.models.signing_key import SigningKey
from artstore_common.auth import TokenVerifier

pytestmark = pytest.mark.integration


async def kids(admin) -> list[str]:
    resp = await admin.client.get("/api/v1/auth/jwks")
    assert resp.status_code == 200
    return [k["kid"] for k in resp.json()["keys"]]


async def test_manual_rotation_keeps_old_tokens_valid_and_signs_with_new_kid(admin):
    old_token = await admin.system_token()
    old_kid = jwt.get_unverified_header(old_token)["kid"]
    headers = await admin.headers("ADMIN")

    resp = await admin.client.post("/api/v1/jwt-keys/rotate", headers=headers)
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["previous_kid"] == old_kid and body["kid"] != old_kid
    assert body["previous_publish_until"]

    new_token = await admin.system_token()
    assert jwt.get_unverified_header(new_token)["kid"] == body["kid"]
    published = set(await kids(admin))
    assert {old_kid, body["kid"]} < published and len(published) == 3  # + the next key
    for token in (old_token, new_token):
        r = await admin.client.get("/api/v1/service-accounts",
                                   headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 200


async def test_old_key_leaves_jwks_after_its_publish_window(admin):
    old_token = await admin.system_token()
    old_kid = jwt.get_unverified_header(old_token)["kid"]
    await admin.client.post("/api/v1/jwt-keys/rotate", headers=await admin.headers())
    async with admin.session() as s, s.begin():
        await s.execute(update(SigningKey).where(SigningKey.kid == old_kid)
                        .values(publish_until=utcnow() - timedelta(seconds=1)))
    assert old_kid not in await kids(admin)
    admin.app.state.keys.forget_cache()
    r = await admin.client.get("/api/v1/service-accounts",
                               headers={"Authorization": f"Bearer {old_token}"})
    assert r.status_code == 401


async def test_publish_window_covers_token_lifetime(admin):
    await admin.client.post("/api/v1/jwt-keys/rotate", headers=await admin.headers())
    resp = await admin.client.get("/api/v1/jwt-keys/status", headers=await admin.headers())
    assert resp.status_code == 200
    status = resp.json()
    retired = [k for k in status["published"] if k["status"] == "published"]
    assert len(retired) == 1
    from datetime import datetime

    window = (datetime.fromisoformat(retired[0]["publish_until"])
              - datetime.fromisoformat(retired[0]["retired_at"]))
    assert window >= timedelta(seconds=status["access_token_ttl_seconds"])


async def test_verifier_with_cached_jwks_picks_up_new_key_by_itself(admin):
    verifier = TokenVerifier(issuer="artstore-admin", audience="artstore",
                             jwks_url="http://admin.test/api/v1/auth/jwks",
                             http_client=admin.client, min_refetch_seconds=0,
                             cache_seconds=3600)
    first = await admin.system_token()
    assert (await verifier.verify(first)).client_id == "admin-service"
    cached = verifier.known_kids
    # two rotations: the key now signing was created after the verifier fetched the JWKS
    for _ in range(2):
        await admin.client.post("/api/v1/jwt-keys/rotate", headers=await admin.headers())
    second = await admin.system_token()
    new_kid = jwt.get_unverified_header(second)["kid"]
    assert new_kid not in cached
    assert (await verifier.verify(second)).client_id == "admin-service"
    assert new_kid in verifier.known_kids
    assert (await verifier.verify(first)).client_id == "admin-service"


async def test_next_key_is_published_before_it_signs(admin):
    before = set(await kids(admin))
    status = (await admin.client.get("/api/v1/jwt-keys/status",
                                     headers=await admin.headers())).json()
    assert status["next_kid"] in before
    await admin.client.post("/api/v1/jwt-keys/rotate", headers=await admin.headers())
    token = await admin.system_token()
    assert jwt.get_unverified_header(token)["kid"] == status["next_kid"]


async def test_verifier_that_may_not_refetch_still_accepts_tokens_after_rotation(admin):
    """A verifier throttled from refetching (or with the admin briefly unreachable) already
    holds the next key from its cached JWKS."""
    verifier = TokenVerifier(issuer="artstore-admin", audience="artstore",
                             jwks_url="http://admin.test/api/v1/auth/jwks",
                             http_client=admin.client, min_refetch_seconds=3600)
    assert await verifier.verify(await admin.system_token())
    await admin.client.post("/api/v1/jwt-keys/rotate", headers=await admin.headers())
    assert (await verifier.verify(await admin.system_token())).client_id == "admin-service"


async def test_scheduled_rotation_runs_when_due_and_only_once(admin):
    keys = admin.app.state.keys
    assert await keys.rotate_if_due() is None  # fresh key: not due
    async with admin.session() as s, s.begin():
        await s.execute(update(SigningKey).where(SigningKey.retired_at.is_(None),
                                                 SigningKey.activated_at.is_not(None))
                        .values(activated_at=utcnow() - timedelta(hours=25)))
    new_kid = await keys.rotate_if_due()
    assert new_kid is not None
    assert await keys.rotate_if_due() is None
    token = await admin.system_token()
    assert jwt.get_unverified_header(token)["kid"] == new_kid


async def test_scheduled_rotation_is_exclusive_across_instances(admin, make_admin):
    second = await make_admin()
    async with admin.session() as s, s.begin():
        await s.execute(update(SigningKey).where(SigningKey.retired_at.is_(None),
                                                 SigningKey.activated_at.is_not(None))
                        .values(activated_at=utcnow() - timedelta(hours=25)))
    import asyncio

    results = await asyncio.gather(admin.app.state.keys.rotate_if_due(),
                                   second.app.state.keys.rotate_if_due())
    assert sum(r is not None for r in results) == 1
    resp = await admin.client.get("/api/v1/jwt-keys/history", headers=await admin.headers())
    statuses = [k["status"] for k in resp.json()["items"]]
    assert statuses.count("active") == 1 and statuses.count("next") == 1


async def test_history_and_status_endpoints(admin):
    for _ in range(2):
        await admin.client.post("/api/v1/jwt-keys/rotate", headers=await admin.headers())
    resp = await admin.client.get("/api/v1/jwt-keys/history", params={"limit": 2},
                                  headers=await admin.headers())
    body = resp.json()
    assert body["total"] == 4 and body["limit"] == 2 and len(body["items"]) == 2
    assert [k["status"] for k in body["items"]] == ["next", "active"]
    assert all("private" not in str(k).lower() for k in body["items"])
    status = (await admin.client.get("/api/v1/jwt-keys/status",
                                     headers=await admin.headers())).json()
    assert status["next_kid"] == body["items"][0]["kid"]
    assert status["active_kid"] == body["items"][1]["kid"]
    assert status["rotation_interval_hours"] == 24


async def test_well_known_jwks_matches_api_jwks(admin):
    a = (await admin.client.get("/.well-known/jwks.json")).json()
    b = (await admin.client.get("/api/v1/auth/jwks")).json()
    assert a == b and len(a["keys"]) == 2  # the active key and the next one
    for key in a["keys"]:
        assert set(key) >= {"kty", "n", "e", "kid", "alg", "use"}
        assert "d" not in key


async def test_private_keys_are_encrypted_at_rest(admin):
    async with admin.session() as s:
        from sqlalchemy import select

        blobs = list(await s.scalars(select(SigningKey.private_key_encrypted)))
    assert blobs and all(b"PRIVATE KEY" not in blob for blob in blobs)


async def test_undecryptable_key_is_replaced_at_startup(admin, make_admin):
    from cryptography.fernet import Fernet

    old_kid = (await admin.app.state.keys.active()).kid
    other = await make_admin(JWT_KEYS_ENCRYPTION_KEY=Fernet.generate_key().decode())
    new_kid = (await other.app.state.keys.active()).kid
    assert new_kid != old_kid
    assert old_kid in await kids(other)  # still published for tokens it signed


def test_httpx_is_available():
    assert httpx.__version__
