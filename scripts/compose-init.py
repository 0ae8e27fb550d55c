#!/usr/bin/env python3
"""One-shot bootstrap step of docker-compose.yml (service ``bootstrap``), idempotent.

Once the admin module is healthy it:
1. registers every storage element in ``SE_URLS`` (comma-separated ``api_url``s), or re-syncs
   the ones already registered;
2. makes sure the internal service accounts exist — ``ingester-module`` (role SERVICE:
   files and their copies) and ``query-module`` (role READONLY) — and writes their credentials to
   ``$BOOTSTRAP_DIR/ingester.json`` and ``query.json`` (mode 0600). The ingester and the query
   module read them through ``CONFIG_FILE``. Credentials that still work are kept.

Environment: ``ADMIN_URL``, ``ARTSTORE_CLIENT_ID``, ``ARTSTORE_CLIENT_SECRET``, ``SE_URLS``,
``BOOTSTRAP_DIR`` (default /bootstrap), ``TLS_CA_FILE`` (verify HTTPS against the internal CA).
In development the admin secret may be left empty: the admin module then generates it into
``ARTSTORE_BOOTSTRAP_FILE`` (its state volume), which this step reads.
"""

from __future__ import annotations

import json
import os
import ssl
import sys
import time
from pathlib import Path

import httpx

ACCOUNTS = (("INGESTER", "ingester-module", "SERVICE", "ingester.json"),
            ("QUERY", "query-module", "READONLY", "query.json"))


def verify() -> ssl.SSLContext | bool:
    ca = os.environ.get("TLS_CA_FILE")
    return ssl.create_default_context(cafile=ca) if ca else True


def wait_ready(client: httpx.Client, timeout: float = 180.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            if client.get("/health/ready").status_code == 200:
                return
        except httpx.HTTPError as exc:
            if time.monotonic() > deadline:
                raise SystemExit(f"compose-init: admin module not ready: {exc}") from exc
        if time.monotonic() > deadline:
            raise SystemExit("compose-init: admin module not ready")
        time.sleep(2)


def admin_credentials() -> tuple[str, str]:
    client_id = os.environ.get("ARTSTORE_CLIENT_ID") or "admin-service"
    secret = os.environ.get("ARTSTORE_CLIENT_SECRET")
    bootstrap = os.environ.get("ARTSTORE_BOOTSTRAP_FILE")
    if not secret and bootstrap and Path(bootstrap).exists():
        for line in Path(bootstrap).read_text().splitlines():
            key, sep, value = line.partition("=")
            if sep and key.strip() == "ARTSTORE_CLIENT_SECRET":
                secret = value.strip()
    if not secret:
        raise SystemExit("compose-init: ARTSTORE_CLIENT_SECRET is not set and not in the "
                         "admin bootstrap file")
    return client_id, secret


def token(client: httpx.Client, client_id: str, client_secret: str) -> str:
    response = client.post("/api/v1/auth/token", data={
        "grant_type": "client_credentials", "client_id": client_id,
        "client_secret": client_secret})
    response.raise_for_status()
    return response.json()["access_token"]


def register_storage_elements(client: httpx.Client, urls: list[str]) -> None:
    listing = client.get("/api/v1/storage-elements", params={"limit": 1000})
    listing.raise_for_status()
    known = {item["api_url"].rstrip("/"): item for item in listing.json()["items"]}
    for url in urls:
        if url in known:
            client.post(f"/api/v1/storage-elements/{known[url]['id']}/sync").raise_for_status()
            print(f"compose-init: storage element {url} already registered (synced)")
            continue
        for attempt in range(30):  # the SE may still be starting
            response = client.post("/api/v1/storage-elements", json={"api_url": url})
            if response.status_code in (200, 201, 409):
                print(f"compose-init: registered storage element {url}")
                break
            if attempt == 29:
                raise SystemExit(f"compose-init: registering {url} failed: {response.text}")
            time.sleep(2)


def ensure_account(client: httpx.Client, admin: httpx.Client, prefix: str, name: str,
                   role: str, path: Path) -> None:
    if path.exists():
        saved = json.loads(path.read_text())
        try:
            token(admin, saved[f"{prefix}_CLIENT_ID"], saved[f"{prefix}_CLIENT_SECRET"])
            print(f"compose-init: {name} credentials still valid")
            return
        except (httpx.HTTPStatusError, KeyError):
            pass
    existing = client.get("/api/v1/service-accounts", params={"search": name, "limit": 100})
    existing.raise_for_status()
    match = [a for a in existing.json()["items"]
             if a["name"] == name and a.get("status") != "deleted"]
    if match:
        response = client.post(f"/api/v1/service-accounts/{match[0]['id']}/rotate-secret")
    else:
        response = client.post("/api/v1/service-accounts", json={
            "name": name, "role": role, "description": "internal account (compose bootstrap)"})
    response.raise_for_status()
    body = response.json()
    secret = body.get("client_secret") or body["new_client_secret"]
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({f"{prefix}_CLIENT_ID": body["client_id"],
                               f"{prefix}_CLIENT_SECRET": secret}))
    tmp.chmod(0o600)
    tmp.replace(path)
    print(f"compose-init: wrote {path} for {name}")


def main() -> int:
    admin_url = os.environ["ADMIN_URL"].rstrip("/")
    out = Path(os.environ.get("BOOTSTRAP_DIR", "/bootstrap"))
    urls = [u.strip().rstrip("/") for u in os.environ.get("SE_URLS", "").split(",") if u.strip()]
    with httpx.Client(base_url=admin_url, verify=verify(), timeout=30.0) as admin:
        wait_ready(admin)
        bearer = token(admin, *admin_credentials())
        with httpx.Client(base_url=admin_url, verify=verify(), timeout=30.0,
                          headers={"Authorization": f"Bearer {bearer}"}) as client:
            register_storage_elements(client, urls)
            out.mkdir(parents=True, exist_ok=True)
            for prefix, name, role, filename in ACCOUNTS:
                ensure_account(client, admin, prefix, name, role, out / filename)
    return 0


if __name__ == "__main__":
    sys.exit(main())
