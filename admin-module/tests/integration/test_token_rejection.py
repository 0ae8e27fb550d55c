"""Every kind of bad bearer token is refused with 401 and the SPEC error shape."""

from __future__ import annotations

import base64
import json
import time
import uuid

import jwt
import pytest
from cryptography.hazmat.primitives import serialization

from artstore_common.testing import TokenFactory

pytestmark = pytest.mark.integration

PROTECTED = "/api/v1/service-accounts"


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


async def _signed(admin, **overrides):
    """A token signed with the module's real active key, with claims overridden."""
    key = await admin.app.state.keys.active()
    now = int(time.time())
    claims = {"iss": "artstore-admin", "aud": "artstore", "sub": str(uuid.uuid4()),
              "iat": now, "nbf": now, "exp": now + 600, "jti": uuid.uuid4().hex,
              "role": "ADMIN", "scope": "accounts:read", "ptype": "service_account",
              "name": "x"}
    headers = {"kid": key.kid}
    headers.update(overrides.pop("_headers", {}))
    claims.update(overrides)
    return jwt.encode(claims, key.private_key, algorithm="RS256", headers=headers)


async def expired(admin):
    now = int(time.time())
    return await _signed(admin, iat=now - 4000, nbf=now - 4000, exp=now - 3600)


async def not_yet_valid(admin):
    return await _signed(admin, nbf=int(time.time()) + 3600)


async def wrong_issuer(admin):
    return await _signed(admin, iss="someone-else")


async def wrong_audience(admin):
    return await _signed(admin, aud="other-system")


async def alg_none(admin):
    good = await _signed(admin)
    claims = jwt.decode(good, options={"verify_signature": False})
    kid = jwt.get_unverified_header(good)["kid"]
    return f"{_b64({'alg': 'none', 'typ': 'JWT', 'kid': kid})}.{_b64(claims)}."


async def hs256_with_public_key(admin):
    key = await admin.app.state.keys.active()
    pem = key.private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    good = await _signed(admin)
    claims = jwt.decode(good, options={"verify_signature": False})
    header = _b64({"alg": "HS256", "typ": "JWT", "kid": key.kid})
    payload = _b64(claims)
    import hashlib
    import hmac

    sig = hmac.new(pem, f"{header}.{payload}".encode(), hashlib.sha256).digest()
    return f"{header}.{payload}.{base64.urlsafe_b64encode(sig).rstrip(b'=').decode()}"


async def tampered_signature(admin):
    token = await _signed(admin)
    head, payload, sig = token.split(".")
    flipped = ("A" if sig[10] != "A" else "B")
    return f"{head}.{payload}.{sig[:10]}{flipped}{sig[11:]}"


async def tampered_payload(admin):
    token = await _signed(admin, role="READONLY", scope="files:read")
    head, _, sig = token.split(".")
    claims = jwt.decode(token, options={"verify_signature": False})
    claims.update(role="ADMIN", scope="accounts:read")
    return f"{head}.{_b64(claims)}.{sig}"


async def unknown_kid(admin):
    return await _signed(admin, _headers={"kid": "no-such-key"})


async def foreign_key_same_kid(admin):
    key = await admin.app.state.keys.active()
    return TokenFactory(kid=key.kid).issue("ADMIN")


async def no_kid(admin):
    key = await admin.app.state.keys.active()
    claims = jwt.decode(await _signed(admin), options={"verify_signature": False})
    return jwt.encode(claims, key.private_key, algorithm="RS256")


async def garbage(admin):
    return "not.a.jwt"


async def random_bytes(admin):
    return base64.b64encode(uuid.uuid4().bytes * 3).decode()


async def missing_exp(admin):
    key = await admin.app.state.keys.active()
    claims = jwt.decode(await _signed(admin), options={"verify_signature": False})
    claims.pop("exp")
    return jwt.encode(claims, key.private_key, algorithm="RS256", headers={"kid": key.kid})


CASES = [expired, not_yet_valid, wrong_issuer, wrong_audience, alg_none, hs256_with_public_key,
         tampered_signature, tampered_payload, unknown_kid, foreign_key_same_kid, no_kid, garbage,
         random_bytes, missing_exp]


@pytest.mark.parametrize("make_token", CASES, ids=[c.__name__ for c in CASES])
async def test_bad_token_is_401_with_error_shape(admin, make_token):
    token = await make_token(admin)
    resp = await admin.client.get(PROTECTED, headers={"Authorization": f"Bearer {token}"})
    assert resp.status_code == 401, resp.text
    error = resp.json()["error"]
    assert error["code"] in {"INVALID_TOKEN", "TOKEN_EXPIRED"}
    assert error["message"]
    assert resp.headers["www-authenticate"].startswith("Bearer")


async def test_expired_token_says_token_expired(admin):
    resp = await admin.client.get(PROTECTED,
                                  headers={"Authorization": f"Bearer {await expired(admin)}"})
    assert resp.json()["error"]["code"] == "TOKEN_EXPIRED"


async def test_control_a_good_token_is_accepted(admin):
    resp = await admin.client.get(PROTECTED,
                                  headers={"Authorization": f"Bearer {await _signed(admin)}"})
    assert resp.status_code == 200


@pytest.mark.parametrize("header", ["", "Bearer", "Bearer ", "Basic abc", "Token abc"])
async def test_missing_or_malformed_authorization_is_401(admin, header):
    headers = {"Authorization": header} if header else {}
    resp = await admin.client.get(PROTECTED, headers=headers)
    assert resp.status_code == 401
    assert resp.json()["error"]["code"] == "UNAUTHORIZED"
