"""Ingest benchmark: throughput and peak RSS of the ingester and the SE per file size.

    .venv/bin/python bench/ingest_1gib.py [--sizes 10M,1G] [--keep-stack]

Starts the local stack (PostgreSQL, Redis via scripts/stack.py), the admin module (the
ingester's service-account token), one local-disk storage element and the ingester as real
processes, then uploads files generated on the fly (never written whole anywhere but on the
SE) as a chunked multipart stream. psutil samples each process's RSS every 20 ms. Flat memory
means the 1 GiB peak is about the same as the 10 MiB peak.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx
import psutil
from support import (
    ROOT,
    MiB,
    RssSampler,
    create_db,
    drop_dbs,
    load_stack,
    parse_size,
    publish_discovery,
    start_admin,
)

from artstore_common.testing import ServiceProcess, TokenFactory

SECRET = "bench-ingester-secret-0123456789abcdef"


def multipart_stream(size: int, boundary: str):
    block = os.urandom(MiB)

    def body():
        yield (f"--{boundary}\r\nContent-Disposition: form-data; name=\"ttl_days\"\r\n\r\n1\r\n"
               f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; "
               f"filename=\"bench.bin\"\r\nContent-Type: application/octet-stream\r\n\r\n"
               ).encode()
        sent = 0
        while sent < size:
            piece = block if size - sent >= MiB else block[: size - sent]
            yield piece
            sent += len(piece)
        yield f"\r\n--{boundary}--\r\n".encode()

    return body


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10M,1G")
    parser.add_argument("--state-dir", default=str(ROOT / ".artstore" / "test-stack"))
    args = parser.parse_args()
    sizes = [parse_size(s) for s in args.sizes.split(",")]

    stack = load_stack()
    env = stack.start(["postgres", "redis"], args.state_dir, fast=True)
    pg_dsn, redis_base = env["PG_DSN"], env["REDIS_URL"].rsplit("/", 1)[0]
    work = Path(tempfile.mkdtemp(prefix="artstore-bench-"))
    tokens = TokenFactory()
    (work / "jwt.pem").write_bytes(tokens.public_pem)
    db_names = [f"bench_admin_{uuid.uuid4().hex[:8]}", f"bench_se_{uuid.uuid4().hex[:8]}"]
    procs: list[ServiceProcess] = []
    try:
        admin_db = asyncio.run(create_db(pg_dsn, db_names[0]))
        se_db = asyncio.run(create_db(pg_dsn, db_names[1]))
        from storage_element.db import upgrade_database

        upgrade_database(se_db)
        admin = start_admin(admin_db, f"{redis_base}/11", "bench-ingester", SECRET,
                            work / "admin.log")
        procs.append(admin)
        se_id = uuid.uuid4()
        se = ServiceProcess("storage_element.main:create_app", {
            "SE_ID": str(se_id), "SE_NAME": "bench-se", "SE_MODE": "edit",
            "SE_CAPACITY_BYTES": str(4 * 1024 * MiB), "SE_MAX_FILE_SIZE": str(2 * 1024 * MiB),
            "SE_DATA_DIR": str(work / "se"), "DATABASE_URL": se_db,
            "SE_RUN_MIGRATIONS": "false", "REDIS_URL": f"{redis_base}/12",
            "JWT_PUBLIC_KEY_FILE": str(work / "jwt.pem"),
            "JWKS_URL": admin.url + "/api/v1/auth/jwks",
            "SE_FIXITY_INTERVAL_SECONDS": "0", "SE_RECONCILE_INTERVAL_SECONDS": "0",
            "LOG_LEVEL": "WARNING",
        }, log_path=str(work / "se.log"), name="se").start(120)
        procs.append(se)
        discovery = f"{redis_base}/13"
        publish_discovery(discovery, se_id, se.url, "edit", 4 * 1024 * MiB)
        ingester = ServiceProcess("ingester_module.main:create_app", {
            "ADMIN_URL": admin.url, "INGESTER_CLIENT_ID": "bench-ingester",
            "INGESTER_CLIENT_SECRET": SECRET, "REDIS_URL": discovery,
            "DISCOVERY_FALLBACK_FILE": str(work / "discovery.json"),
            "JWKS_URL": admin.url + "/api/v1/auth/jwks",
            "JWT_PUBLIC_KEY_FILE": str(work / "jwt.pem"),
            "MAX_FILE_SIZE": str(max(sizes) + MiB), "LOG_LEVEL": "WARNING",
        }, log_path=str(work / "ingester.log"), name="ingester").start(60)
        procs.append(ingester)
        for _ in range(100):
            ready = httpx.get(ingester.url + "/health/ready").json()
            if ready["checks"]["discovery"]["status"] != "fail":
                break
            time.sleep(0.2)
        headers = tokens.headers("USER")
        pids = {"ingester": ingester.proc.pid, "se": se.proc.pid}
        idle = {n: psutil.Process(p).memory_info().rss for n, p in pids.items()}
        print(f"idle RSS: ingester {idle['ingester'] / MiB:.1f} MiB, "
              f"se {idle['se'] / MiB:.1f} MiB")
        warm = httpx.post(ingester.url + "/api/v1/files", headers=headers,
                          files={"file": ("warm.txt", b"warm-up", "text/plain")})
        warm.raise_for_status()  # token, JWKS and connections ready before measuring
        print(f"{'size':>10} {'seconds':>8} {'MiB/s':>8} {'peak ingester':>14} {'peak se':>9}")
        for size in sizes:
            boundary = uuid.uuid4().hex
            sampler = RssSampler(pids)
            sampler.start()
            began = time.perf_counter()
            response = httpx.post(
                ingester.url + "/api/v1/files", content=multipart_stream(size, boundary)(),
                headers={**headers,
                         "Content-Type": f"multipart/form-data; boundary={boundary}"},
                timeout=httpx.Timeout(600, connect=10))
            took = time.perf_counter() - began
            peak = sampler.finish()
            if response.status_code != 201:
                print(f"upload of {size} bytes failed: {response.status_code} {response.text}")
                sys.exit(1)
            assert response.json()["size"] == size
            print(f"{size / MiB:>8.0f}Mi {took:>8.2f} {size / MiB / took:>8.1f} "
                  f"{peak['ingester'] / MiB:>11.1f}MiB {peak['se'] / MiB:>6.1f}MiB")
    finally:
        for proc in reversed(procs):
            proc.stop()
        asyncio.run(drop_dbs(pg_dsn, db_names))
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
