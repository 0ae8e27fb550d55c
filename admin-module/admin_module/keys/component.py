"""Lifespan component: the key store, the module's own token verifier, scheduled rotation."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from admin_module.auth.verifier import KeyStoreVerifier
from admin_module.background import periodic
from admin_module.keys.service import KeyManager


@asynccontextmanager
async def signing_keys(app: FastAPI) -> AsyncIterator[None]:
    settings = app.state.settings
    keys = KeyManager(settings, app.state.sessionmaker,
                      app.state.secrets.jwt_keys_encryption_key)
    await keys.ensure_active()
    app.state.keys = keys
    app.state.token_verifier = KeyStoreVerifier(settings, keys)
    async with periodic("jwt-key-rotation", settings.JWT_ROTATION_CHECK_SECONDS,
                        keys.rotate_if_due):
        yield
