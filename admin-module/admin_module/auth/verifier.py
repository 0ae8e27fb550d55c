"""The module verifies its own endpoints' tokens with artstore_common's TokenVerifier, but takes
the public keys straight from its key store instead of fetching its own JWKS over HTTP."""

from __future__ import annotations

from typing import Any

from admin_module.config import Settings
from admin_module.keys.service import KeyManager
from artstore_common.auth.verifier import InvalidToken, TokenVerifier


class KeyStoreVerifier(TokenVerifier):
    def __init__(self, settings: Settings, keys: KeyManager) -> None:
        super().__init__(
            issuer=settings.JWT_ISSUER,
            audience=settings.JWT_AUDIENCE,
            jwks_url="internal:signing-keys",
            leeway_seconds=settings.JWT_LEEWAY_SECONDS,
        )
        self._keystore = keys

    async def _key_for(self, kid: Any) -> Any:
        if not isinstance(kid, str) or not kid:
            raise InvalidToken("The access token has no key id")
        key = await self._keystore.public_key(kid)
        if key is None:
            raise InvalidToken("The access token was signed with an unknown key")
        return key
