"""Download benchmark: throughput and peak RSS of the query module streaming from a real SE.

    .venv/bin/python bench/query_download_1gib.py [--sizes 10M,1G]

Starts the local stack (PostgreSQL, Redis via scripts/stack.py), the admin module (the query
module's service-account token), one local-disk storage element and the query module as real
processes. Each file is streamed straight into the SE (generated on the fly), reaches the
catalog through the SE's outbox and the event stream, then is downloaded through the query
module while psutil samples the query module's RSS every 20 ms. A direct download from the SE
is timed too, so the proxy's overhead shows. Flat memory: the 1 GiB peak ≈ the 10 MiB peak.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import importlib.util
import json
import os
import shutil
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import httpx
import psutil
import redis
from cryptography.fernet import Fernet

from artstore_common.contracts import (
    DISCOVERY_CHANNEL,
    DISCOVERY_KEY,
    DiscoveredStorageElement,
    DiscoveryDocument,
)
from artstore_common.testing import ServiceProcess, TokenFactory

ROOT = Path(__file__).resolve().parents[1]
MiB = 1024 * 1024
SECRET = "bench-query-secret-0123456789abcdef"
TIMEOUT = httpx.Timeout(900, connect=10)


def parse_size(text: str) -> int:
    units = {"K": 1024, "M": MiB, "G": 1024 * MiB}
    text = text.strip().upper()
    return int(float(text[:-1]) * units[text[-1]]) if text[-1] in units else int(text)


def load_stack():
    spec = importlib.util.spec_from_file_location("artstore_stack", ROOT / "scripts" / "stack.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


async def create_db(pg_dsn: str, name: str) -> str:
    conn = await asyncpg.connect(pg_dsn)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    base = pg_dsn.rsplit("/", 1)[0].split("://", 1)[1]
    return f"postgresql+asyncpg://{base}/{name}"


async def drop_dbs(pg_dsn: str, names: list[str]) -> None:
    conn = await asyncpg.connect(pg_dsn)
    try:
        for name in names:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


class RssSampler(threading.Thread):
    def __init__(self, pid: int, interval: float = 0.02) -> None:
        super().__init__(daemon=True)
        self.proc = psutil.Process(pid)
        self.peak = 0
        self.interval = interval
        self.stop_event = threading.Event()

    def run(self) -> None:
        while not self.stop_event.is_set():
            try:
                self.peak = max(self.peak, self.proc.memory_info().rss)
            except psutil.Error:
                pass
            time.sleep(self.interval)

    def finish(self) -> int:
        self.stop_event.set()
        self.join()
        return self.peak


def generated(size: int, digest):
    block = os.urandom(MiB)
    sent = 0
    while sent < size:
        piece = block if size - sent >= MiB else block[: size - sent]
        digest.update(piece)
        sent += len(piece)
        yield piece


def upload(se_url: str, headers: dict[str, str], size: int) -> tuple[str, str]:
    digest = hashlib.sha256()
    file_id = str(uuid.uuid4())
    attrs = {"original_filename": f"Архив {size // MiB} MiB.bin", "retention_policy": "permanent"}
    encoded = base64.urlsafe_b64encode(json.dumps(attrs).encode()).decode().rstrip("=")
    response = httpx.put(f"{se_url}/api/v1/files/{file_id}", content=generated(size, digest),
                         headers={**headers, "X-ArtStore-Attributes": encoded,
                                  "X-ArtStore-Declared-Size": str(size)}, timeout=TIMEOUT)
    if response.status_code != 201:
        sys.exit(f"upload of {size} bytes failed: {response.status_code} {response.text}")
    return file_id, digest.hexdigest()


def timed_download(url: str, headers: dict[str, str]) -> tuple[float, int, str]:
    digest = hashlib.sha256()
    received = 0
    began = time.perf_counter()
    with httpx.stream("GET", url, headers=headers, timeout=TIMEOUT) as response:
        if response.status_code != 200:
            sys.exit(f"download failed: {response.status_code} {response.read()[:300]!r}")
        for chunk in response.iter_raw(MiB):
            digest.update(chunk)
            received += len(chunk)
    return time.perf_counter() - began, received, digest.hexdigest()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10M,1G")
    parser.add_argument("--state-dir", default=str(ROOT / ".artstore" / "test-stack"))
    args = parser.parse_args()
    sizes = [parse_size(s) for s in args.sizes.split(",")]

    stack = load_stack()
    env = stack.start(["postgres", "redis"], args.state_dir, fast=True)
    pg_dsn, redis_base = env["PG_DSN"], env["REDIS_URL"].rsplit("/", 1)[0]
    redis_url = f"{redis_base}/14"
    work = Path(tempfile.mkdtemp(prefix="artstore-bench-query-"))
    tokens = TokenFactory()
    (work / "jwt.pem").write_bytes(tokens.public_pem)
    tag = uuid.uuid4().hex[:8]
    db_names = [f"bench_admin_{tag}", f"bench_se_{tag}", f"bench_query_{tag}"]
    stream = f"bench:{tag}:file-events"
    procs: list[ServiceProcess] = []
    try:
        admin_db, se_db, query_db = (asyncio.run(create_db(pg_dsn, n)) for n in db_names)
        admin = ServiceProcess("admin_module.main:create_app", {
            "DATABASE_URL": admin_db, "REDIS_URL": f"{redis_base}/15", "ENVIRONMENT": "test",
            "ARTSTORE_CLIENT_ID": "bench-query", "ARTSTORE_CLIENT_SECRET": SECRET,
            "ARTSTORE_ADMIN_PASSWORD": "Bench-password-123!",
            "AUDIT_HMAC_SECRET": "bench-audit-secret-0123456789abcdef",
            "JWT_KEYS_ENCRYPTION_KEY": Fernet.generate_key().decode(), "LOG_LEVEL": "WARNING",
        }, log_path=str(work / "admin.log"), name="admin").start(120)
        procs.append(admin)
        jwks = admin.url + "/api/v1/auth/jwks"
        se_id = uuid.uuid4()
        capacity = 2 * max(sizes) + 64 * MiB
        se = ServiceProcess("storage_element.main:create_app", {
            "SE_ID": str(se_id), "SE_NAME": "bench-se", "SE_MODE": "rw",
            "SE_CAPACITY_BYTES": str(capacity), "SE_MAX_FILE_SIZE": str(max(sizes) + MiB),
            "SE_DATA_DIR": str(work / "se"), "DATABASE_URL": se_db, "REDIS_URL": redis_url,
            "SE_EVENTS_STREAM": stream, "SE_OUTBOX_POLL_SECONDS": "0.2",
            "JWT_PUBLIC_KEY_FILE": str(work / "jwt.pem"), "JWKS_URL": jwks,
            "SE_FIXITY_INTERVAL_SECONDS": "0", "SE_RECONCILE_INTERVAL_SECONDS": "0",
            "LOG_LEVEL": "WARNING",
        }, log_path=str(work / "se.log"), name="se").start(120)
        procs.append(se)
        client = redis.Redis.from_url(redis_url)
        doc = DiscoveryDocument(version=1, published_at=datetime.now(UTC), storage_elements=[
            DiscoveredStorageElement(id=se_id, name="bench-se", api_url=se.url, mode="rw",
                                     status="online", priority=1, capacity_bytes=capacity,
                                     used_bytes=0, file_count=0)])
        client.set(DISCOVERY_KEY, doc.model_dump_json())
        client.publish(DISCOVERY_CHANNEL, json.dumps({"version": 1}))
        query = ServiceProcess("query_module.main:create_app", {
            "DATABASE_URL": query_db, "REDIS_URL": redis_url, "FILE_EVENTS_STREAM": stream,
            "ADMIN_URL": admin.url, "QUERY_CLIENT_ID": "bench-query",
            "QUERY_CLIENT_SECRET": SECRET, "JWKS_URL": jwks,
            "JWT_PUBLIC_KEY_FILE": str(work / "jwt.pem"),
            "DISCOVERY_FALLBACK_FILE": str(work / "discovery.json"),
            "CONSUMER_NAME": f"bench-{tag}", "LOG_LEVEL": "WARNING",
        }, log_path=str(work / "query.log"), name="query").start(120)
        procs.append(query)
        headers = tokens.headers("USER")
        idle = psutil.Process(query.proc.pid).memory_info().rss
        print(f"query module idle RSS {idle / MiB:.1f} MiB")
        print(f"{'size':>8} {'query s':>8} {'MiB/s':>8} {'direct SE MiB/s':>16} "
              f"{'peak query RSS':>15} {'sha256':>7}")
        for size in sizes:
            file_id, expected = upload(se.url, headers, size)
            for _ in range(600):  # the catalog learns of it through the stream
                if httpx.get(f"{query.url}/api/v1/files/{file_id}",
                             headers=headers).status_code == 200:
                    break
                time.sleep(0.1)
            else:
                sys.exit("the file never reached the query module's catalog")
            direct, _, _ = timed_download(f"{se.url}/api/v1/files/{file_id}/content", headers)
            sampler = RssSampler(query.proc.pid)
            sampler.start()
            took, received, got = timed_download(
                f"{query.url}/api/v1/files/{file_id}/download", headers)
            peak = sampler.finish()
            ok = "ok" if received == size and got == expected else "MISMATCH"
            print(f"{size / MiB:>6.0f}Mi {took:>8.2f} {size / MiB / took:>8.1f} "
                  f"{size / MiB / direct:>16.1f} {peak / MiB:>12.1f}MiB {ok:>7}")
        client.close()
    finally:
        for proc in reversed(procs):
            proc.stop()
        asyncio.run(drop_dbs(pg_dsn, db_names))
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
