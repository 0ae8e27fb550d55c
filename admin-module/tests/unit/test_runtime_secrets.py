from __future__ import annotations

import os
import stat

import pytest
from cryptography.fernet import Fernet

from admin_module.config import Settings
from admin_module.runtime_secrets import (
    InsecureConfiguration,
    read_env_file,
    resolve_runtime_secrets,
    write_env_values,
)

GOOD = {"AUDIT_HMAC_SECRET": "a" * 40, "JWT_KEYS_ENCRYPTION_KEY": Fernet.generate_key().decode(),
        "ARTSTORE_ADMIN_PASSWORD": "Admin-Password-123", "ARTSTORE_CLIENT_SECRET": "s" * 40}


def test_production_accepts_strong_values():
    rs = resolve_runtime_secrets(Settings(ENVIRONMENT="production", **GOOD))
    assert rs.audit_hmac_secret == GOOD["AUDIT_HMAC_SECRET"] and not rs.generated


@pytest.mark.parametrize("name", list(GOOD))
def test_production_refuses_each_missing_value(name):
    values = {**GOOD}
    values.pop(name)
    with pytest.raises(InsecureConfiguration, match=name):
        resolve_runtime_secrets(Settings(ENVIRONMENT="production", **values, **{name: None}))


def test_production_refuses_short_secret():
    with pytest.raises(InsecureConfiguration, match="AUDIT_HMAC_SECRET"):
        resolve_runtime_secrets(Settings(ENVIRONMENT="production",
                                         **{**GOOD, "AUDIT_HMAC_SECRET": "short"}))


def test_development_generates_once_and_reuses(tmp_path):
    path = tmp_path / "boot.env"
    first = resolve_runtime_secrets(Settings(ENVIRONMENT="development",
                                             ARTSTORE_BOOTSTRAP_FILE=str(path)))
    assert set(first.generated) == {"AUDIT_HMAC_SECRET", "JWT_KEYS_ENCRYPTION_KEY"}
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    second = resolve_runtime_secrets(Settings(ENVIRONMENT="development",
                                              ARTSTORE_BOOTSTRAP_FILE=str(path)))
    assert not second.generated
    assert second.audit_hmac_secret == first.audit_hmac_secret
    Fernet(second.jwt_keys_encryption_key.encode())


def test_env_file_merge_keeps_other_lines(tmp_path):
    path = tmp_path / "run.env"
    path.write_text("PG_DSN=postgresql://x\n# comment\n")
    write_env_values(path, {"A": "1"})
    write_env_values(path, {"A": "2", "B": "3"})
    assert read_env_file(path) == {"PG_DSN": "postgresql://x", "A": "2", "B": "3"}
