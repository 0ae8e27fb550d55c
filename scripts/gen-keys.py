#!/usr/bin/env python3
"""Fill the secrets of a compose ``.env`` with fresh random values.

    python scripts/gen-keys.py --write .env            # creates .env from .env.example if absent
    python scripts/gen-keys.py --write .env --production   # also sets ENVIRONMENT=production
    python scripts/gen-keys.py                         # print fresh values, change nothing

Only empty values and development placeholders (``dev-...``) are replaced, so running it again
keeps secrets already in use; ``--rotate-all`` replaces every one (never do that on a running
system for AUDIT_HMAC_SECRET or JWT_KEYS_ENCRYPTION_KEY: old audit rows and stored signing keys
could no longer be verified or decrypted). The file is written with mode 0600.
"""

from __future__ import annotations

import argparse
import base64
import os
import secrets
import sys
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def _token(n: int) -> Callable[[], str]:
    return lambda: secrets.token_urlsafe(n)


def _fernet() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()


def _password() -> str:
    # Meets any password policy (upper, lower, digit, symbol) and is URL-safe.
    return "Aa1-" + secrets.token_urlsafe(18)


SECRETS: dict[str, Callable[[], str]] = {
    "ARTSTORE_ADMIN_PASSWORD": _password,
    "ARTSTORE_CLIENT_SECRET": _token(36),
    "AUDIT_HMAC_SECRET": _token(48),
    "JWT_KEYS_ENCRYPTION_KEY": _fernet,
    "POSTGRES_PASSWORD": _token(24),
    "REDIS_PASSWORD": _token(24),
    "MINIO_ROOT_PASSWORD": _token(24),
    "PGADMIN_DEFAULT_PASSWORD": _password,
    "GRAFANA_ADMIN_PASSWORD": _password,
}


def needs_value(value: str) -> bool:
    return not value.strip() or value.strip().startswith("dev-")


def fill(text: str, *, rotate_all: bool = False, production: bool = False) -> tuple[str, list[str]]:
    """Return ``text`` with secrets filled in, and the names that changed."""
    lines, changed, seen = [], [], set()
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        name = key.strip()
        if sep and not name.startswith("#"):
            seen.add(name)
            if name in SECRETS and (rotate_all or needs_value(value)):
                line, value = f"{name}={SECRETS[name]()}", None
                changed.append(name)
            elif name == "ENVIRONMENT" and production and value.strip() != "production":
                line = "ENVIRONMENT=production"
                changed.append(name)
        lines.append(line)
    for name in SECRETS:
        if name not in seen:
            lines.append(f"{name}={SECRETS[name]()}")
            changed.append(name)
    if production and "ENVIRONMENT" not in seen:
        lines.append("ENVIRONMENT=production")
        changed.append("ENVIRONMENT")
    return "\n".join(lines) + "\n", changed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", type=Path, help="the .env file to update (created if absent)")
    parser.add_argument("--production", action="store_true", help="set ENVIRONMENT=production")
    parser.add_argument("--rotate-all", action="store_true", help="replace every secret")
    args = parser.parse_args(argv)
    if args.write is None:
        for name, make in SECRETS.items():
            print(f"{name}={make()}")
        return 0
    source = args.write if args.write.exists() else REPO / ".env.example"
    text, changed = fill(source.read_text(encoding="utf-8"), rotate_all=args.rotate_all,
                         production=args.production)
    tmp = args.write.with_name(args.write.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.replace(tmp, args.write)
    print(f"gen-keys: {args.write}: set {', '.join(changed) if changed else 'nothing'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
