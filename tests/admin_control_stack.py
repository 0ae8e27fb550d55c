"""A control-plane test stack of real processes: the admin module and storage elements, each
with its own database, talking over loopback HTTP (imported by path from the saga tests)."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import threading
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import jwt
from cryptography.fernet import Fernet

from artstore_common.auth.scopes import INTERNAL_SCOPES, scopes_for_role
from artstore_common.testing import ServiceProcess, free_port

ADMIN_REDIS_DB = 9
SE_REDIS_DB = 10
TERMINAL = ("completed", "compensated", "failed")
WAIT = 90.0  # an upper bound for failure, never a speed requirement


def run_async(fn: Any) -> Any:
    """Run a coroutine function to completion from sync code (even under a running loop)."""
    result: list[Any] = []
    errors: list[BaseException] = []

    def target() -> None:
        try:
            result.append(asyncio.run(fn()))
        except BaseException as exc:
            errors.append(exc)

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if errors:
        raise errors[0]
    return result[0] if result else None


def with_db(redis_url: str, db: int) -> str:
    return redis_url.rsplit("/", 1)[0] + f"/{db}"


def libpq(sqlalchemy_url: str) -> str:
    return "postgresql://" + sqlalchemy_url.split("://", 1)[1]


class SEProcess:
    def __init__(self, name: str, mode: str, env: dict[str, str], data_dir: Path,
                 log_path: str) -> None:
        self.name, self.mode, self.env, self.data_dir = name, mode, env, data_dir
        self.id = uuid.UUID(env["SE_ID"])
        self.proc = ServiceProcess("storage_element.main:create_app", env, port=free_port(),
                                   log_path=log_path, name=name)

    @property
    def url(self) -> str:
        return self.proc.url

    def start(self) -> SEProcess:
        self.proc.start(120)
        return self

    def stop(self) -> None:
        self.proc.stop()

    def data_files(self) -> list[Path]:
        return [p for p in self.data_dir.rglob("*")
                if p.is_file() and not p.name.endswith(".attr.json") and ".wal" not in p.parts
                and "state" not in p.parts and not p.name.startswith(".")]


class ControlStack:
    def __init__(self, *, make_database: Any, redis_url: str, workdir: Path,
                 admin_overrides: dict[str, str] | None = None) -> None:
        self.make_database = make_database
        self.redis_url = redis_url
        self.workdir = workdir
        self.fernet = Fernet.generate_key().decode()
        self.admin_db = make_database("cp_admin")
        self.admin_port = free_port()
        self.admin_overrides = admin_overrides or {}
        self.admin: ServiceProcess | None = None
        self.ses: list[SEProcess] = []
        self._key: tuple[str, Any] | None = None

    # ---- processes -----------------------------------------------------------------------
    def admin_env(self, **overrides: str) -> dict[str, str]:
        env = {
            "DATABASE_URL": self.admin_db,
            "REDIS_URL": with_db(self.redis_url, ADMIN_REDIS_DB),
            "ENVIRONMENT": "test",
            "ARTSTORE_ADMIN_PASSWORD": "Admin-password-123!",
            "ARTSTORE_CLIENT_SECRET": "control-plane-secret-0123456789abcdef",
            "AUDIT_HMAC_SECRET": "audit-hmac-secret-for-tests-0123456789",
            "JWT_KEYS_ENCRYPTION_KEY": self.fernet,
            "ARGON2_TIME_COST": "1", "ARGON2_MEMORY_COST_KIB": "64", "ARGON2_PARALLELISM": "1",
            "LOG_LEVEL": "INFO",
            "SAGA_POLL_SECONDS": "0.3",
            "SAGA_RETRY_BASE_SECONDS": "0.3",
            "SAGA_RETRY_MAX_SECONDS": "1",
            "SAGA_MAX_ATTEMPTS": "6",
            "MODE_DRAIN_SETTLE_SECONDS": "0.2",
            "FINALIZE_SAFETY_MARGIN_SECONDS": "1",
            "SE_HEALTH_INTERVAL_SECONDS": "3",
            "SE_BREAKER_FAIL_MAX": "2",
            "SE_BREAKER_RESET_SECONDS": "1",
            "SE_REQUEST_TIMEOUT_SECONDS": "5",
            "DISCOVERY_REPUBLISH_SECONDS": "5",
            "RETENTION_CLEANUP_INTERVAL_SECONDS": "3600",
            # runs are started by the tests; a scheduled one would change saga counts
            "REPAIR_INTERVAL_SECONDS": "3600",
        }
        env.update(self.admin_overrides)
        env.update(overrides)
        return env

    def start_admin(self, **overrides: str) -> ServiceProcess:
        self.admin = ServiceProcess(
            "admin_module.main:create_app", self.admin_env(**overrides), port=self.admin_port,
            log_path=str(self.workdir / "admin.log"), name="admin",
        ).start(120)
        return self.admin

    def kill_admin(self) -> None:
        assert self.admin is not None
        self.admin.kill()

    def wait_admin_exit(self, timeout: float = WAIT) -> int | None:
        """For the crash hook: the process ends itself right after a step."""
        assert self.admin is not None and self.admin.proc is not None
        try:
            return self.admin.proc.wait(timeout=timeout)
        finally:
            self.admin.stop()

    def start_se(self, name: str, mode: str, *, priority: int = 10,
                 capacity: int = 1024**3, **extra_env: str) -> SEProcess:
        data_dir = self.workdir / f"se-{name}"
        env = {
            "SE_ID": str(uuid.uuid4()), "SE_NAME": name, "SE_MODE": mode,
            "SE_PRIORITY": str(priority), "SE_CAPACITY_BYTES": str(capacity),
            "SE_DATA_DIR": str(data_dir), "DATABASE_URL": self.make_database("cp_se"),
            "REDIS_URL": with_db(self.redis_url, SE_REDIS_DB),
            "JWKS_URL": f"http://127.0.0.1:{self.admin_port}/api/v1/auth/jwks",
            "JWKS_MIN_REFETCH_SECONDS": "0.5",
            "SE_FIXITY_INTERVAL_SECONDS": "0", "SE_RECONCILE_INTERVAL_SECONDS": "0",
            "LOG_LEVEL": "WARNING", **extra_env,
        }
        se = SEProcess(name, mode, env, data_dir, str(self.workdir / f"se-{name}.log")).start()
        self.ses.append(se)
        return se

    def stop(self) -> None:
        for se in self.ses:
            se.stop()
        if self.admin is not None:
            self.admin.stop()

    # ---- tokens --------------------------------------------------------------------------
    def _signing_key(self) -> tuple[str, Any]:
        from admin_module.keys.crypto import decrypt_private_key, make_cipher

        async def load() -> tuple[str, bytes]:
            conn = await asyncpg.connect(libpq(self.admin_db))
            try:
                row = await conn.fetchrow(
                    "SELECT kid, private_key_encrypted FROM jwt_signing_keys "
                    "WHERE retired_at IS NULL ORDER BY created_at DESC LIMIT 1")
            finally:
                await conn.close()
            return row["kid"], row["private_key_encrypted"]

        kid, blob = run_async(load)
        return kid, decrypt_private_key(make_cipher(self.fernet), blob)

    def token(self, role: str = "ADMIN", *, ptype: str = "service_account",
              internal: bool = False) -> str:
        if self._key is None:
            self._key = self._signing_key()
        kid, key = self._key
        now = int(time.time())
        claims = {
            "iss": "artstore-admin", "aud": "artstore", "sub": str(uuid.uuid4()), "iat": now,
            "nbf": now, "exp": now + 1800, "jti": uuid.uuid4().hex, "role": role,
            "scope": " ".join(sorted(scopes_for_role(role) | (
                INTERNAL_SCOPES if internal else frozenset()))), "ptype": ptype,
            "name": f"test-{role.lower()}",
        }
        return jwt.encode(claims, key, algorithm="RS256", headers={"kid": kid})

    def headers(self, role: str = "ADMIN", **kwargs: Any) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(role, **kwargs)}"}

    # ---- API helpers ---------------------------------------------------------------------
    def api(self, method: str, path: str, *, role: str | None = "ADMIN",
            **kwargs: Any) -> httpx.Response:
        assert self.admin is not None
        headers = dict(kwargs.pop("headers", {}) or {})
        if role is not None:
            headers.update(self.headers(role))
        return httpx.request(method, self.admin.url + path, headers=headers, timeout=60,
                             **kwargs)

    def register(self, se: SEProcess, **fields: Any) -> dict[str, Any]:
        response = self.api("POST", "/api/v1/storage-elements",
                            json={"api_url": se.url, **fields})
        assert response.status_code == 201, response.text
        return response.json()

    def upload(self, se: SEProcess, data: bytes, *, retention: str = "temporary",
               ttl_days: int | None = 30, expires_at: str | None = None,
               name: str = "doc.txt") -> uuid.UUID:
        file_id = uuid.uuid4()
        attrs: dict[str, Any] = {"original_filename": name, "content_type": "text/plain",
                                 "retention_policy": retention, "tags": ["cp"]}
        if retention == "temporary":
            attrs["ttl_days"] = ttl_days
            if expires_at:  # an already expired file: provenance only an internal token sets
                created = datetime.fromisoformat(expires_at) - timedelta(days=ttl_days or 1)
                attrs.update(expires_at=expires_at, created_at=created.isoformat())
        encoded = base64.urlsafe_b64encode(json.dumps(attrs).encode()).decode().rstrip("=")
        response = httpx.put(
            f"{se.url}/api/v1/files/{file_id}", content=data, timeout=60,
            headers={**self.headers("ADMIN", internal=bool(expires_at)),
                     "X-ArtStore-Attributes": encoded,
                     "X-ArtStore-Declared-Size": str(len(data)),
                     "X-ArtStore-Expected-SHA256": hashlib.sha256(data).hexdigest()},
        )
        assert response.status_code == 201, response.text
        return file_id

    def se_file(self, se: SEProcess, file_id: uuid.UUID) -> dict[str, Any] | None:
        response = httpx.get(f"{se.url}/api/v1/files/{file_id}", headers=self.headers(),
                             timeout=30)
        if response.status_code == 404:
            return None
        assert response.status_code == 200, response.text
        return response.json()

    def se_content(self, se: SEProcess, file_id: uuid.UUID) -> bytes:
        response = httpx.get(f"{se.url}/api/v1/files/{file_id}/content",
                             headers=self.headers(), timeout=60)
        assert response.status_code == 200, response.text
        return response.content

    def start_saga(self, method: str, path: str, resource_id: str, **kwargs: Any) -> str:
        """Start a saga; the process may die (crash hook) before its answer arrives, so the
        saga is then looked up in the admin database."""
        try:
            response = self.api(method, path, **kwargs)
        except httpx.HTTPError:
            response = None
        if response is not None:
            assert response.status_code == 202, response.text
            return str(response.json()["id"])

        async def find() -> str | None:
            conn = await asyncpg.connect(libpq(self.admin_db))
            try:
                row = await conn.fetchval(
                    "SELECT id FROM sagas WHERE resource_id = $1 ORDER BY created_at DESC "
                    "LIMIT 1", resource_id)
            finally:
                await conn.close()
            return str(row) if row else None

        saga_id = run_async(find)
        assert saga_id, f"no saga was created for {resource_id}"
        return saga_id

    def saga(self, saga_id: str) -> dict[str, Any]:
        response = self.api("GET", f"/api/v1/sagas/{saga_id}", role="ADMIN")
        assert response.status_code == 200, response.text
        return response.json()

    def wait_saga(self, saga_id: str, states: tuple[str, ...] = TERMINAL,
                  timeout: float = WAIT, step: str | None = None) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        saga: dict[str, Any] = {}
        while time.monotonic() < deadline:
            try:
                saga = self.saga(saga_id)
            except httpx.HTTPError:
                time.sleep(0.3)
                continue
            if saga["state"] in states and (step is None or saga["current_step"] == step):
                return saga
            time.sleep(0.2)
        raise AssertionError(f"saga {saga_id} did not reach {states}: {saga}")

    def audit(self, **params: Any) -> list[dict[str, Any]]:
        response = self.api("GET", "/api/v1/audit", params={"limit": 1000, **params})
        assert response.status_code == 200, response.text
        return response.json()["items"]
