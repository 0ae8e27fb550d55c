"""Helpers shared by the ingester's integration tests (imported by path, see conftest)."""

from __future__ import annotations

import json
import subprocess
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import httpx
import redis

from artstore_common.contracts import (
    DISCOVERY_CHANNEL,
    DISCOVERY_KEY,
    DiscoveredStorageElement,
    DiscoveryDocument,
)
from artstore_common.testing import ServiceProcess

SA_SECRET = "ingester-test-secret-0123456789abcdef"


class SE:
    """A storage element process plus what discovery says about it."""

    def __init__(self, proc: ServiceProcess, se_id: uuid.UUID, name: str, mode: str,
                 priority: int, data_dir: Path, env: dict) -> None:
        self.proc, self.id, self.name, self.mode = proc, se_id, name, mode
        self.priority, self.data_dir, self.env = priority, data_dir, env
        self.advertised_capacity = 100 * 1024**3
        self.advertised_used = 0

    @property
    def url(self) -> str:
        return self.proc.url

    def discovered(self) -> DiscoveredStorageElement:
        return DiscoveredStorageElement(
            id=self.id, name=self.name, api_url=self.url, mode=self.mode, status="online",
            priority=self.priority, capacity_bytes=self.advertised_capacity,
            used_bytes=self.advertised_used, file_count=0,
        )

    def restart(self) -> None:
        self.proc.stop()
        self.proc = ServiceProcess("storage_element.main:create_app", self.env,
                                   port=self.proc.port, log_path=self.proc.log_path,
                                   name=self.name).start(120)

    def data_files(self) -> list[Path]:
        return [p for p in self.data_dir.rglob("*") if p.is_file()]


def publish(redis_url: str, elements: list[SE | DiscoveredStorageElement],
            version: int | None = None, copy_policies: list | None = None) -> None:
    doc = DiscoveryDocument(
        version=version or int(time.time() * 1000),
        published_at=datetime.now(UTC),
        **({"copy_policies": copy_policies} if copy_policies is not None else {}),
        storage_elements=[
            se if isinstance(se, DiscoveredStorageElement) else se.discovered()
            for se in elements
        ],
    )
    client = redis.Redis.from_url(redis_url)
    try:
        client.set(DISCOVERY_KEY, doc.model_dump_json())
        client.publish(DISCOVERY_CHANNEL, json.dumps({"version": doc.version}))
    finally:
        client.close()


def ingester_env(admin_url: str, redis_url: str, public_key_file: str, fallback: Path,
                 **extra: str) -> dict[str, str]:
    env = {
        "ADMIN_URL": admin_url,
        "INGESTER_CLIENT_ID": "ingester-sa",
        "INGESTER_CLIENT_SECRET": SA_SECRET,
        "REDIS_URL": redis_url,
        "DISCOVERY_FALLBACK_FILE": str(fallback),
        "DISCOVERY_REFRESH_SECONDS": "1",
        "JWKS_URL": admin_url + "/api/v1/auth/jwks",
        "JWT_PUBLIC_KEY_FILE": public_key_file,
        "LOG_LEVEL": "INFO",
    }
    env.update(extra)
    return env


def wait_ready_discovery(ingester_url: str, expect_ids: set[str], timeout: float = 30) -> None:
    """Until the ingester's readiness shows a discovery version (it follows Redis)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            body = httpx.get(ingester_url + "/health/ready", timeout=3).json()
            detail = body["checks"]["discovery"].get("detail") or {}
            if isinstance(detail, dict) and detail.get("storage_elements") == len(expect_ids):
                return
        except (httpx.HTTPError, KeyError, ValueError):
            pass
        time.sleep(0.2)
    raise AssertionError("the ingester never saw the discovery document")


def se_file_count(se: SE, headers: dict[str, str]) -> int:
    response = httpx.get(se.url + "/api/v1/info", headers=headers, timeout=10)
    response.raise_for_status()
    return int(response.json()["file_count"])


def kill_quietly(proc: subprocess.Popen | None) -> None:
    if proc is not None and proc.poll() is None:
        proc.kill()
        proc.wait(timeout=10)
