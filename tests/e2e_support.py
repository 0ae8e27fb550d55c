"""Small clients for end-to-end tests: every call goes over HTTP to a real service."""

from __future__ import annotations

import hashlib
import time
import uuid
from collections.abc import Callable
from typing import Any

import httpx


def wait_for(condition: Callable[[], Any], what: str, timeout: float = 60.0,
             interval: float = 0.3) -> Any:
    """Poll until ``condition()`` is truthy. The timeout only stops a hung test; it is not a
    performance assertion."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = condition()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"gave up waiting for {what}; last value: {last!r}")


def catalog_diagnostics(env: dict[str, str], token: str, file_id: str) -> str:
    """What every layer holds for a file, for a failure message: the query catalog's row and
    copies, the metadata cache in Redis, each SE's sidecar, the query module's event counters."""
    import asyncio

    import asyncpg
    import redis

    lines = []

    async def catalog() -> None:
        conn = await asyncpg.connect(env["PG_DSN"].rsplit("/", 1)[0] + "/artstore_query")
        try:
            for table, columns in (("catalog_files", "storage_element_id, status, updated_at, "
                                    "event_at, indexed_at, tags, description, text_state"),
                                   ("catalog_copies", "*")):
                rows = await conn.fetch(f"SELECT {columns} FROM {table} WHERE file_id = $1",
                                        uuid.UUID(file_id))
                lines.append(f"{table}: {[dict(r) for r in rows]}")
        finally:
            await conn.close()

    try:
        asyncio.run(catalog())
        with redis.Redis.from_url(env["REDIS_URL"]) as client:
            for key in client.scan_iter(f"*{file_id}*"):
                kind = client.type(key)
                lines.append(f"redis {key!r} {kind!r} ttl={client.ttl(key)} "
                             f"{client.get(key)[:300] if kind == b'string' else ''!r}")
        for se in env["SE_URLS"].split(","):
            r = httpx.get(f"{se}/api/v1/files/{file_id}", timeout=10,
                          headers={"Authorization": f"Bearer {token}"})
            lines.append(f"SE {se}: {r.status_code} {r.text[:500]}")
        metrics = httpx.get(env["QUERY_URL"] + "/metrics", timeout=10).text
        lines += [m for m in metrics.splitlines() if m.startswith("artstore_query_events_total")]
    except Exception as exc:  # noqa: BLE001 - a diagnostic must not hide the failure
        lines.append(f"(diagnostics stopped: {exc!r})")
    return "\n".join(lines)


def client_token(admin_url: str, client_id: str, client_secret: str) -> str:
    response = httpx.post(admin_url + "/api/v1/auth/token", data={
        "grant_type": "client_credentials", "client_id": client_id,
        "client_secret": client_secret}, timeout=30.0)
    response.raise_for_status()
    return response.json()["access_token"]


def new_account(api: Api, role: str = "USER", prefix: str = "test") -> dict:
    """A fresh service account (its ``client_id``/``client_secret``) made by an admin's API."""
    r = api.admin("POST", "/api/v1/service-accounts",
                  json={"name": f"{prefix}-{uuid.uuid4().hex[:6]}", "role": role})
    assert r.status_code == 201, r.text
    return r.json()


def token_of(env: dict[str, str], account: dict) -> str:
    return client_token(env["ADMIN_URL"], account["client_id"], account["client_secret"])


class Api:
    def __init__(self, env: dict[str, str], token: str) -> None:
        self.env = env
        self.headers = {"Authorization": f"Bearer {token}"}

    def upload(self, name: str, content: bytes, *, timeout: float = 120.0,
               **fields: str) -> httpx.Response:
        data = {k: str(v) for k, v in fields.items()}
        return httpx.post(self.env["INGESTER_URL"] + "/api/v1/files", headers=self.headers,
                          data=data, files={"file": (name, content)}, timeout=timeout)

    def search(self, **params: Any) -> dict:
        response = httpx.get(self.env["QUERY_URL"] + "/api/v1/search", params=params,
                             headers=self.headers, timeout=30.0)
        response.raise_for_status()
        return response.json()

    def metadata(self, file_id: str) -> httpx.Response:
        return httpx.get(f"{self.env['QUERY_URL']}/api/v1/files/{file_id}",
                         headers=self.headers, timeout=30.0)

    def download(self, file_id: str, headers: dict[str, str] | None = None) -> httpx.Response:
        return httpx.get(f"{self.env['QUERY_URL']}/api/v1/files/{file_id}/download",
                         headers={**self.headers, **(headers or {})}, timeout=120.0)

    def admin(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        return httpx.request(method, self.env["ADMIN_URL"] + path, headers=self.headers,
                             timeout=60.0, **kwargs)

    def storage_elements(self) -> list[dict]:
        response = self.admin("GET", "/api/v1/storage-elements", params={"limit": 100})
        response.raise_for_status()
        return response.json()["items"]

    def storage_element(self, name: str) -> dict:
        return next(se for se in self.storage_elements() if se["name"] == name)

    def wait_saga(self, saga_id: str, *, until: Callable[[dict], bool] | None = None,
                  timeout: float = 90.0) -> dict:
        def check() -> dict | None:
            saga = self.admin("GET", f"/api/v1/sagas/{saga_id}").json()
            done = until(saga) if until else saga["state"] in (
                "completed", "compensated", "failed")
            return saga if done else None

        return wait_for(check, f"saga {saga_id}", timeout=timeout)

    def in_catalog(self, file_id: str) -> dict | None:
        response = self.metadata(file_id)
        return response.json() if response.status_code == 200 else None


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def assert_error(response: httpx.Response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"} and {"code", "message", "details"} <= set(body["error"])
    if code:
        assert body["error"]["code"] == code, body
    return body["error"]
