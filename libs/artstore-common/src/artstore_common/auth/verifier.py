"""Local verification of RS256 access tokens against the admin module's JWKS.

The JWKS is cached for ``cache_seconds``; a token with an unknown ``kid`` triggers a refetch,
at most once every ``min_refetch_seconds``, so a flood of garbage tokens cannot hammer the
admin module. A static public-key file can stand in for the JWKS (offline use); both may be set.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import jwt
import structlog
from jwt import PyJWK

from artstore_common.auth.revocation import RevocationList
from artstore_common.auth.scopes import effective_scopes, is_internal
from artstore_common.errors import Unauthorized
from artstore_common.tls import client_verify

if TYPE_CHECKING:
    from artstore_common.settings import ArtStoreSettings

JWKS_PATH = "/api/v1/auth/jwks"

log = structlog.get_logger("artstore.auth")

ALGORITHMS = ["RS256"]


@dataclass(frozen=True)
class Principal:
    subject: str
    role: str
    scopes: frozenset[str]
    principal_type: str
    name: str | None = None
    client_id: str | None = None
    claims: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    def has(self, *scopes: str) -> bool:
        return all(s in self.scopes for s in scopes)

    @property
    def internal(self) -> bool:
        """An internal service principal (holds an internal scope; see ``auth.scopes``)."""
        return is_internal(self.scopes)


class InvalidToken(Unauthorized):
    code = "INVALID_TOKEN"
    message = "The access token is invalid"


class TokenExpired(Unauthorized):
    code = "TOKEN_EXPIRED"
    message = "The access token has expired"


class TokenRevoked(Unauthorized):
    code = "TOKEN_REVOKED"
    message = "The access token has been revoked"


class TokenVerifier:
    def __init__(
        self,
        *,
        issuer: str,
        audience: str,
        jwks_url: str | None = None,
        public_key_file: str | None = None,
        cache_seconds: float = 300.0,
        min_refetch_seconds: float = 10.0,
        leeway_seconds: int = 30,
        http_client: httpx.AsyncClient | None = None,
        verify: Any = True,
    ) -> None:
        if not jwks_url and not public_key_file:
            raise ValueError("TokenVerifier needs a JWKS URL or a public key file")
        self.issuer = issuer
        self.audience = audience
        self.jwks_url = jwks_url
        self.cache_seconds = cache_seconds
        self.min_refetch_seconds = min_refetch_seconds
        self.leeway = leeway_seconds
        self._client = http_client
        self._verify = verify
        self._keys: dict[str, Any] = {}
        self._fetched_at = 0.0
        self._last_attempt = float("-inf")  # monotonic() may be < min_refetch after boot
        self._lock = asyncio.Lock()
        self._static_keys: list[tuple[str | None, Any]] = []
        # The deny-list (set by ``create_base_app``); ``verify`` refuses what it names.
        self.revocations: RevocationList | None = None
        if public_key_file:
            self._static_keys = _load_static_keys(Path(public_key_file))

    @classmethod
    def from_settings(cls, settings: ArtStoreSettings,
                      http_client: httpx.AsyncClient | None = None) -> TokenVerifier:
        """The verifier every service builds the same way: ``JWKS_URL``, else (without a
        ``JWT_PUBLIC_KEY_FILE``) the JWKS of the admin module at ``ADMIN_URL``."""
        jwks_url = settings.JWKS_URL
        admin_url = getattr(settings, "ADMIN_URL", None)  # only services that call the admin
        if not jwks_url and not settings.JWT_PUBLIC_KEY_FILE and admin_url:
            jwks_url = admin_url.rstrip("/") + JWKS_PATH
        return cls(
            issuer=settings.JWT_ISSUER,
            audience=settings.JWT_AUDIENCE,
            jwks_url=jwks_url,
            public_key_file=settings.JWT_PUBLIC_KEY_FILE,
            verify=client_verify(settings),
            cache_seconds=settings.JWKS_CACHE_SECONDS,
            min_refetch_seconds=settings.JWKS_MIN_REFETCH_SECONDS,
            leeway_seconds=settings.JWT_LEEWAY_SECONDS,
            http_client=http_client,
        )

    @property
    def known_kids(self) -> set[str]:
        return set(self._keys)

    async def verify(self, token: str) -> Principal:
        claims = await self.decode(token)
        if self.revocations is not None and self.revocations.is_revoked(claims):
            raise TokenRevoked()
        role = claims.get("role")
        return Principal(
            subject=str(claims.get("sub", "")),
            role=role if isinstance(role, str) else "",
            scopes=effective_scopes(role, claims.get("scope")),
            principal_type=str(claims.get("ptype") or ""),
            name=claims.get("name"),
            client_id=claims.get("client_id"),
            claims=claims,
        )

    async def decode(self, token: str) -> dict[str, Any]:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise InvalidToken("Malformed access token") from exc
        if header.get("alg") not in ALGORITHMS:
            raise InvalidToken("Unsupported token algorithm")
        key = await self._key_for(header.get("kid"))
        try:
            return jwt.decode(
                token,
                key=key,
                algorithms=ALGORITHMS,
                audience=self.audience,
                issuer=self.issuer,
                leeway=self.leeway,
                options={"require": ["exp", "iat", "sub", "iss", "aud"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise TokenExpired() from exc
        except jwt.ImmatureSignatureError as exc:
            raise InvalidToken("The access token is not yet valid") from exc
        except jwt.InvalidAudienceError as exc:
            raise InvalidToken("The access token has the wrong audience") from exc
        except jwt.InvalidIssuerError as exc:
            raise InvalidToken("The access token has the wrong issuer") from exc
        except jwt.PyJWTError as exc:
            raise InvalidToken() from exc

    async def _key_for(self, kid: Any) -> Any:
        if not self.jwks_url:
            return self._static_key(kid)
        if kid is None or not isinstance(kid, str):
            if self._static_keys:
                return self._static_keys[0][1]
            raise InvalidToken("The access token has no key id")
        now = time.monotonic()
        if kid in self._keys and now - self._fetched_at < self.cache_seconds:
            return self._keys[kid]
        await self._refresh(force=kid not in self._keys)
        if kid in self._keys:
            return self._keys[kid]
        if self._static_keys:
            return self._static_key(kid)
        raise InvalidToken("The access token was signed with an unknown key")

    def _static_key(self, kid: Any) -> Any:
        for key_id, key in self._static_keys:
            if key_id in (None, kid):
                return key
        raise InvalidToken("The access token was signed with an unknown key")

    async def _refresh(self, *, force: bool) -> None:
        async with self._lock:
            now = time.monotonic()
            fresh = now - self._fetched_at < self.cache_seconds
            if (fresh and not force) or now - self._last_attempt < self.min_refetch_seconds:
                return
            self._last_attempt = now
            try:
                document = await self._fetch()
            except Exception as exc:  # keep serving the last good key set
                log.warning("auth.jwks_fetch_failed", url=self.jwks_url, error=str(exc))
                return
            keys: dict[str, Any] = {}
            for jwk in document.get("keys", []):
                if jwk.get("kty") != "RSA" or "kid" not in jwk:
                    continue
                try:
                    keys[jwk["kid"]] = PyJWK(jwk, algorithm="RS256").key
                except jwt.PyJWTError:
                    log.warning("auth.jwks_bad_key", kid=jwk.get("kid"))
            self._keys = keys
            self._fetched_at = now
            log.info("auth.jwks_refreshed", kids=sorted(keys))

    async def _fetch(self) -> dict[str, Any]:
        assert self.jwks_url
        if self._client is not None:
            response = await self._client.get(self.jwks_url, timeout=5.0)
        else:
            async with httpx.AsyncClient(verify=self._verify, timeout=5.0) as client:
                response = await client.get(self.jwks_url)
        response.raise_for_status()
        return response.json()


def _load_static_keys(path: Path) -> list[tuple[str | None, Any]]:
    """A PEM public key (matches any kid), or a JWKS JSON document saved to disk."""
    from cryptography.hazmat.primitives.serialization import load_pem_public_key

    raw = path.read_bytes()
    if raw.lstrip().startswith(b"{"):
        return [
            (jwk.get("kid"), PyJWK(jwk, algorithm="RS256").key)
            for jwk in json.loads(raw).get("keys", [])
        ]
    return [(None, load_pem_public_key(raw))]
