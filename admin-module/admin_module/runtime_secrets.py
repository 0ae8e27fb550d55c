"""Secrets the module needs at startup, and the production refusal of missing/default ones.

In development, missing values are read back from the bootstrap file (``ARTSTORE_BOOTSTRAP_FILE``,
default ``.artstore/admin-bootstrap.env``) or generated and written there (mode 0600), so a
restart keeps the audit chain verifiable and the signing keys decryptable. In production every
one of them must be set and must not be a known default: the process refuses to start.
"""

from __future__ import annotations

import os
import secrets as pysecrets
from dataclasses import dataclass, field
from pathlib import Path

import structlog
from cryptography.fernet import Fernet

from admin_module.config import Settings

log = structlog.get_logger(__name__)

DEV_BOOTSTRAP_FILE = ".artstore/admin-bootstrap.env"
KNOWN_DEFAULTS = frozenset(
    {
        "", "admin", "password", "changeme", "change-me", "change_me", "secret", "default",
        "admin-secret", "admin-service", "artstore", "test", "dev", "development", "12345678",
        "please-change-me", "changeit", "insecure",
    }
)
MIN_SECRET_LENGTH = 32


class InsecureConfiguration(RuntimeError):
    pass


@dataclass
class RuntimeSecrets:
    audit_hmac_secret: str
    jwt_keys_encryption_key: str
    admin_password: str | None
    client_secret: str | None
    bootstrap_file: Path | None
    generated: dict[str, str] = field(default_factory=dict)


def is_weak(value: str | None, min_length: int = MIN_SECRET_LENGTH) -> bool:
    if value is None:
        return True
    stripped = value.strip()
    return stripped.lower() in KNOWN_DEFAULTS or len(stripped) < min_length


def _valid_fernet(value: str) -> bool:
    try:
        Fernet(value.encode())
    except (ValueError, TypeError):
        return False
    return True


def read_env_file(path: Path) -> dict[str, str]:
    values: dict[str, str] = {}
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError:
        return values
    for line in lines:
        key, sep, value = line.partition("=")
        if sep and not key.lstrip().startswith("#"):
            values[key.strip()] = value.strip()
    return values


def write_env_values(path: Path, updates: dict[str, str]) -> None:
    """Merge KEY=VALUE lines into ``path`` atomically; the file is created with mode 0600."""
    path.parent.mkdir(parents=True, exist_ok=True)
    existing = read_env_file(path)
    existing.update(updates)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.writelines(f"{k}={v}\n" for k, v in existing.items())
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)


def _check_production(settings: Settings) -> None:
    problems = []
    if is_weak(settings.AUDIT_HMAC_SECRET):
        problems.append("AUDIT_HMAC_SECRET (>= 32 characters, not a default)")
    key = settings.JWT_KEYS_ENCRYPTION_KEY
    if key is None or key.strip().lower() in KNOWN_DEFAULTS or not _valid_fernet(key):
        problems.append("JWT_KEYS_ENCRYPTION_KEY (a Fernet key: 32 url-safe base64 bytes)")
    if is_weak(settings.ARTSTORE_ADMIN_PASSWORD, 12):
        problems.append("ARTSTORE_ADMIN_PASSWORD (>= 12 characters, not a default)")
    if is_weak(settings.ARTSTORE_CLIENT_SECRET):
        problems.append("ARTSTORE_CLIENT_SECRET (>= 32 characters, not a default)")
    if problems:
        raise InsecureConfiguration(
            "refusing to start in production with missing or default secrets: "
            + "; ".join(problems)
        )


def resolve_runtime_secrets(settings: Settings) -> RuntimeSecrets:
    if settings.is_production:
        _check_production(settings)
        return RuntimeSecrets(
            audit_hmac_secret=settings.AUDIT_HMAC_SECRET or "",
            jwt_keys_encryption_key=settings.JWT_KEYS_ENCRYPTION_KEY or "",
            admin_password=settings.ARTSTORE_ADMIN_PASSWORD,
            client_secret=settings.ARTSTORE_CLIENT_SECRET,
            bootstrap_file=None,
        )
    path_value = settings.ARTSTORE_BOOTSTRAP_FILE or (
        DEV_BOOTSTRAP_FILE if settings.ENVIRONMENT == "development" else None
    )
    path = Path(path_value) if path_value else None
    stored = read_env_file(path) if path else {}
    generated: dict[str, str] = {}

    def pick(name: str, current: str | None, make) -> str:
        if current:
            return current
        if stored.get(name):
            return stored[name]
        generated[name] = make()
        return generated[name]

    audit_secret = pick("AUDIT_HMAC_SECRET", settings.AUDIT_HMAC_SECRET,
                        lambda: pysecrets.token_urlsafe(48))
    fernet_key = pick("JWT_KEYS_ENCRYPTION_KEY", settings.JWT_KEYS_ENCRYPTION_KEY,
                      lambda: Fernet.generate_key().decode())
    if path and generated:
        write_env_values(path, generated)
        log.warning("admin.dev_secrets_generated", names=sorted(generated), file=str(path))
    elif generated:
        log.warning("admin.dev_secrets_ephemeral", names=sorted(generated),
                    hint="set ARTSTORE_BOOTSTRAP_FILE to keep them across restarts")
    return RuntimeSecrets(
        audit_hmac_secret=audit_secret,
        jwt_keys_encryption_key=fernet_key,
        admin_password=settings.ARTSTORE_ADMIN_PASSWORD or stored.get("ARTSTORE_ADMIN_PASSWORD"),
        client_secret=settings.ARTSTORE_CLIENT_SECRET or stored.get("ARTSTORE_CLIENT_SECRET"),
        bootstrap_file=path,
        generated=generated,
    )
