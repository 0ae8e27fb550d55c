from __future__ import annotations

import jwt
import pytest
from cryptography.fernet import Fernet

from admin_module.keys import crypto


@pytest.fixture(scope="module")
def private_key():
    return crypto.generate_private_key(2048)


def test_roundtrip_and_public_jwk(private_key):
    cipher = crypto.make_cipher(Fernet.generate_key().decode())
    blob = crypto.encrypt_private_key(cipher, private_key)
    assert b"PRIVATE KEY" not in blob
    restored = crypto.decrypt_private_key(cipher, blob)
    jwk = crypto.public_jwk(restored, "kid-1")
    assert jwk["kid"] == "kid-1" and jwk["alg"] == "RS256" and "d" not in jwk
    token = jwt.encode({"x": 1}, private_key, algorithm="RS256")
    assert jwt.decode(token, crypto.public_key_from_jwk(jwk), algorithms=["RS256"]) == {"x": 1}


def test_wrong_key_is_a_clear_error(private_key):
    blob = crypto.encrypt_private_key(crypto.make_cipher(Fernet.generate_key().decode()),
                                      private_key)
    with pytest.raises(crypto.KeyDecryptionError):
        crypto.decrypt_private_key(crypto.make_cipher(Fernet.generate_key().decode()), blob)


def test_encryption_key_rotation_with_a_list(private_key):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    blob = crypto.encrypt_private_key(crypto.make_cipher(old), private_key)
    assert crypto.decrypt_private_key(crypto.make_cipher(f"{new},{old}"), blob)


def test_kids_are_unique_and_sortable():
    kids = {crypto.new_kid() for _ in range(50)}
    assert len(kids) == 50
