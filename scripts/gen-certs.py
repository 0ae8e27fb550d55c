#!/usr/bin/env python3
"""Create an internal CA and one TLS certificate per service (development / compose init step).

    python scripts/gen-certs.py OUT_DIR [NAME ...] [--san EXTRA] [--days N] [--force]

Writes ``ca.crt`` + ``ca.key`` (kept if present, so re-running adds services without
invalidating existing certificates) and ``<name>.crt`` + ``<name>.key`` for each name. Every
service certificate is valid for its name (the compose service name), ``localhost``,
``127.0.0.1`` and ``::1``, plus any ``--san``. Keys are EC P-256; files are mode 0640
(keys) / 0644 (certificates). Only ``cryptography`` is needed, so any service image can run it.

Production: use your own PKI if you have one; point ``TLS_CA_FILE`` at its bundle and
``TLS_CERT_FILE``/``TLS_KEY_FILE`` at each service's pair.
"""

from __future__ import annotations

import argparse
import datetime as dt
import ipaddress
import os
import secrets
import sys
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

DEFAULT_NAMES = (
    "admin-module", "storage-element-1", "storage-element-2", "storage-element-3",
    "ingester-module", "query-module", "admin-ui",
)
LOCAL_NAMES = ("localhost", "127.0.0.1", "::1")


def _write(path: Path, data: bytes, mode: int) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_bytes(data)
    os.chmod(tmp, mode)
    os.replace(tmp, path)


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _san(names: list[str]) -> x509.SubjectAlternativeName:
    entries: list[x509.GeneralName] = []
    for name in dict.fromkeys(names):
        try:
            entries.append(x509.IPAddress(ipaddress.ip_address(name)))
        except ValueError:
            entries.append(x509.DNSName(name))
    return x509.SubjectAlternativeName(entries)


def ensure_ca(out: Path, days: int = 3650, common_name: str = "ArtStore internal CA"):
    cert_path, key_path = out / "ca.crt", out / "ca.key"
    if cert_path.exists() and key_path.exists():
        key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
        return x509.load_pem_x509_certificate(cert_path.read_bytes()), key
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True, key_cert_sign=True, crl_sign=True,
                content_commitment=False, key_encipherment=False, data_encipherment=False,
                key_agreement=False, encipher_only=False, decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    out.mkdir(parents=True, exist_ok=True)
    _write(key_path, _key_pem(key), 0o600)
    _write(cert_path, cert.public_bytes(serialization.Encoding.PEM), 0o644)
    return cert, key


def issue(out: Path, name: str, ca_cert, ca_key, *, sans: list[str] | None = None,
          days: int = 825) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
        .issuer_name(ca_cert.subject).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_san([name, *LOCAL_NAMES, *(sans or [])]), critical=False)
        .add_extension(
            x509.ExtendedKeyUsage(
                [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]
            ),
            critical=False,
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    cert_path, key_path = out / f"{name}.crt", out / f"{name}.key"
    _write(key_path, _key_pem(key), 0o640)
    _write(cert_path, cert.public_bytes(serialization.Encoding.PEM), 0o644)
    return cert_path, key_path


def generate(out: Path, names: list[str], *, sans: list[str] | None = None,
             force: bool = False, days: int = 825) -> dict[str, tuple[Path, Path]]:
    out.mkdir(parents=True, exist_ok=True)
    ca_cert, ca_key = ensure_ca(out)
    issued = {}
    for name in names:
        cert_path, key_path = out / f"{name}.crt", out / f"{name}.key"
        if force or not (cert_path.exists() and key_path.exists()):
            issue(out, name, ca_cert, ca_key, sans=sans, days=days)
        issued[name] = (cert_path, key_path)
    return issued


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("names", nargs="*", default=list(DEFAULT_NAMES))
    parser.add_argument("--san", action="append", default=[], help="extra DNS name or IP")
    parser.add_argument("--days", type=int, default=825)
    parser.add_argument("--force", action="store_true", help="re-issue existing certificates")
    parser.add_argument("--metrics-token", action="store_true",
                        help="also write OUT/metrics-token (Prometheus's scrape bearer) if absent")
    args = parser.parse_args(argv)
    issued = generate(args.out, args.names, sans=args.san, force=args.force, days=args.days)
    token_path = args.out / "metrics-token"
    if args.metrics_token and not token_path.exists():
        # Readable by every container that mounts the volume: the services and Prometheus.
        _write(token_path, secrets.token_urlsafe(32).encode(), 0o644)
        print(f"gen-certs: scrape token {token_path}")
    for name in issued:
        print(f"gen-certs: {args.out / name}.crt")
    print(f"gen-certs: CA bundle {args.out / 'ca.crt'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
