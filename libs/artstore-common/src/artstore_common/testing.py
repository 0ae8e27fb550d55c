"""Test helpers: a token factory with a throwaway RSA key, and its JWKS."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from artstore_common.auth.scopes import scopes_for_role


class TokenFactory:
    def __init__(
        self, issuer: str = "artstore-admin", audience: str = "artstore", kid: str | None = None
    ) -> None:
        self.issuer = issuer
        self.audience = audience
        self.kid = kid or f"test-{uuid.uuid4().hex[:8]}"
        self.private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    @property
    def public_pem(self) -> bytes:
        return self.private_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    def jwks(self) -> dict[str, Any]:
        jwk = json.loads(RSAAlgorithm.to_jwk(self.private_key.public_key()))
        jwk.update({"kid": self.kid, "use": "sig", "alg": "RS256"})
        return {"keys": [jwk]}

    def issue(
        self,
        role: str = "ADMIN",
        *,
        subject: str | None = None,
        scopes: list[str] | None = None,
        ttl: int = 1800,
        not_before: int | None = None,
        ptype: str = "service_account",
        extra: dict[str, Any] | None = None,
        name: str | None = None,
    ) -> str:
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "aud": self.audience,
            "sub": subject or str(uuid.uuid4()),
            "iat": now,
            "nbf": not_before if not_before is not None else now,
            "exp": now + ttl,
            "jti": uuid.uuid4().hex,
            "role": role,
            "scope": " ".join(sorted(scopes if scopes is not None else scopes_for_role(role))),
            "ptype": ptype,
            "name": name or f"test-{role.lower()}",
        }
        claims.update(extra or {})
        return jwt.encode(claims, self.private_key, algorithm="RS256", headers={"kid": self.kid})

    def headers(self, role: str = "ADMIN", **kwargs: Any) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.issue(role, **kwargs)}"}
