"""Minting access tokens: the claims every ArtStore service relies on (see CLAUDE.md)."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass

import jwt

from admin_module.config import Settings
from admin_module.keys.service import KeyManager
from artstore_common.auth.scopes import INTERNAL_SCOPES, scopes_for_role


@dataclass(frozen=True)
class IssuedToken:
    access_token: str
    expires_in: int
    scope: str
    jti: str
    kid: str


async def issue_access_token(
    keys: KeyManager,
    settings: Settings,
    *,
    subject: uuid.UUID | str,
    role: str,
    ptype: str,
    name: str,
    client_id: str | None = None,
    scopes: frozenset[str] | None = None,
    internal: bool = False,
) -> IssuedToken:
    key = await keys.active()
    now = int(time.time())
    ttl = settings.ACCESS_TOKEN_TTL_SECONDS
    allowed = scopes_for_role(role) | (INTERNAL_SCOPES if internal else frozenset())
    granted = allowed if scopes is None else scopes & allowed
    scope = " ".join(sorted(granted))
    jti = uuid.uuid4().hex
    claims: dict[str, object] = {
        "iss": settings.JWT_ISSUER,
        "aud": settings.JWT_AUDIENCE,
        "sub": str(subject),
        "iat": now,
        "nbf": now,
        "exp": now + ttl,
        "jti": jti,
        "role": role,
        "scope": scope,
        "ptype": ptype,
        "name": name,
    }
    if client_id is not None:
        claims["client_id"] = client_id
    token = jwt.encode(claims, key.private_key, algorithm="RS256", headers={"kid": key.kid})
    return IssuedToken(token, ttl, scope, jti, key.kid)
