"""Helpers shared by the benchmarks: the local stack, throwaway databases, peak-RSS sampling."""

from __future__ import annotations

import importlib.util
import json
import sys
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import psutil
import redis
from cryptography.fernet import Fernet

from artstore_common.contracts import (
    DISCOVERY_CHANNEL,
    DISCOVERY_KEY,
    DiscoveredStorageElement,
    DiscoveryDocument,
)
from artstore_common.testing import ServiceProcess

ROOT = Path(__file__).resolve().parents[1]
MiB = 1024 * 1024
UNITS = {"K": 1024, "M": MiB, "G": 1024 * MiB}


def parse_size(text: str) -> int:
    text = text.strip().upper()
    return int(float(text[:-1]) * UNITS[text[-1]]) if text[-1] in UNITS else int(text)


def load_stack():
    spec = importlib.util.spec_from_file_location("artstore_stack", ROOT / "scripts" / "stack.py")
    module = importlib.util.module_from_spec(spec)
    assert spec.loader
    spec.loader.exec_module(module)
    return module


async def admin_sql(pg_dsn: str, *statements: str) -> None:
    conn = await asyncpg.connect(pg_dsn)
    try:
        for sql in statements:
            await conn.execute(sql)
    finally:
        await conn.close()


async def create_db(pg_dsn: str, name: str) -> str:
    """Create database `name`; return its SQLAlchemy asyncpg URL."""
    await admin_sql(pg_dsn, f'CREATE DATABASE "{name}"')
    base = pg_dsn.rsplit("/", 1)[0].split("://", 1)[1]
    return f"postgresql+asyncpg://{base}/{name}"


async def drop_dbs(pg_dsn: str, names: list[str]) -> None:
    await admin_sql(pg_dsn, *(f'DROP DATABASE IF EXISTS "{n}" WITH (FORCE)' for n in names))


def start_admin(admin_db: str, redis_url: str, client_id: str, secret: str,
                log_path: Path) -> ServiceProcess:
    """The admin module as the service-account token issuer for one bench client."""
    return ServiceProcess("admin_module.main:create_app", {
        "DATABASE_URL": admin_db, "REDIS_URL": redis_url, "ENVIRONMENT": "test",
        "ARTSTORE_CLIENT_ID": client_id, "ARTSTORE_CLIENT_SECRET": secret,
        "ARTSTORE_ADMIN_PASSWORD": "Bench-password-123!",
        "AUDIT_HMAC_SECRET": "bench-audit-secret-0123456789abcdef",
        "JWT_KEYS_ENCRYPTION_KEY": Fernet.generate_key().decode(), "LOG_LEVEL": "WARNING",
    }, log_path=str(log_path), name="admin").start(120)


def publish_discovery(redis_url: str, se_id: uuid.UUID, se_url: str, mode: str,
                      capacity: int) -> None:
    """Publish a discovery document naming one online SE, as the admin module would."""
    doc = DiscoveryDocument(version=1, published_at=datetime.now(UTC), storage_elements=[
        DiscoveredStorageElement(id=se_id, name="bench-se", api_url=se_url, mode=mode,
                                 status="online", priority=1, capacity_bytes=capacity,
                                 used_bytes=0, file_count=0)])
    client = redis.Redis.from_url(redis_url)
    try:
        client.set(DISCOVERY_KEY, doc.model_dump_json())
        client.publish(DISCOVERY_CHANNEL, json.dumps({"version": 1}))
    finally:
        client.close()


class RssSampler(threading.Thread):
    """Peak RSS per named process, sampled every `interval` seconds until finish()."""

    def __init__(self, pids: dict[str, int], interval: float = 0.02) -> None:
        super().__init__(daemon=True)
        self.procs = {name: psutil.Process(pid) for name, pid in pids.items()}
        self.peak = {name: 0 for name in pids}
        self.interval = interval
        self.stop_event = threading.Event()

    def run(self) -> None:
        while not self.stop_event.is_set():
            for name, proc in self.procs.items():
                try:
                    self.peak[name] = max(self.peak[name], proc.memory_info().rss)
                except psutil.Error:
                    pass
            time.sleep(self.interval)

    def finish(self) -> dict[str, int]:
        self.stop_event.set()
        self.join()
        return self.peak


def load_suite():
    """scripts/suite.py as a module: the whole suite (admin, SEs, ingester, query) as processes."""
    spec = importlib.util.spec_from_file_location("artstore_suite", ROOT / "scripts" / "suite.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses resolve annotations through sys.modules
    assert spec.loader
    spec.loader.exec_module(module)
    return module


def human_bytes(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB", "TB", "PB"):
        if abs(n) < 1000 or unit == "PB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    raise AssertionError("unreachable")


def human_seconds(s: float) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if s >= size:
            return f"{s / size:.1f} {unit}"
    return f"{s:.0f} s"
