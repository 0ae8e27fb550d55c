"""RSA key generation, encryption at rest (Fernet) and the public JWK form."""

from __future__ import annotations

import json
import secrets
from datetime import UTC, datetime
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm


class KeyDecryptionError(Exception):
    pass


def make_cipher(keys: str) -> MultiFernet:
    """``JWT_KEYS_ENCRYPTION_KEY`` may list several comma-separated Fernet keys: the first
    encrypts, all decrypt (so the encryption key itself can be rotated)."""
    parts = [k.strip() for k in keys.split(",") if k.strip()]
    if not parts:
        raise ValueError("JWT_KEYS_ENCRYPTION_KEY is empty")
    return MultiFernet([Fernet(p.encode()) for p in parts])


def new_kid(now: datetime | None = None) -> str:
    now = now or datetime.now(UTC)
    return f"{now:%Y%m%dT%H%M%S}-{secrets.token_hex(4)}"


def generate_private_key(key_size: int) -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=key_size)


def encrypt_private_key(cipher: MultiFernet, key: rsa.RSAPrivateKey) -> bytes:
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return cipher.encrypt(pem)


def decrypt_private_key(cipher: MultiFernet, blob: bytes) -> rsa.RSAPrivateKey:
    try:
        pem = cipher.decrypt(blob)
    except InvalidToken as exc:
        raise KeyDecryptionError("signing key cannot be decrypted with JWT_KEYS_ENCRYPTION_KEY") \
            from exc
    key = serialization.load_pem_private_key(pem, password=None)
    assert isinstance(key, rsa.RSAPrivateKey)
    return key


def public_jwk(key: rsa.RSAPrivateKey, kid: str) -> dict[str, Any]:
    jwk = json.loads(RSAAlgorithm.to_jwk(key.public_key()))
    jwk.update({"kid": kid, "use": "sig", "alg": "RS256"})
    return jwk


def public_key_from_jwk(jwk: dict[str, Any]) -> rsa.RSAPublicKey:
    key = RSAAlgorithm.from_jwk(json.dumps(jwk))
    assert isinstance(key, rsa.RSAPublicKey)
    return key
