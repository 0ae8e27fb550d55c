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
import json
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

SECRET = "bench-query-secret-0123456789abcdef"
TIMEOUT = httpx.Timeout(900, connect=10)


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
        admin = start_admin(admin_db, f"{redis_base}/15", "bench-query", SECRET, work / "admin.log")
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
        publish_discovery(redis_url, se_id, se.url, "rw", capacity)
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
            sampler = RssSampler({"query": query.proc.pid})
            sampler.start()
            took, received, got = timed_download(
                f"{query.url}/api/v1/files/{file_id}/download", headers)
            peak = sampler.finish()["query"]
            ok = "ok" if received == size and got == expected else "MISMATCH"
            print(f"{size / MiB:>6.0f}Mi {took:>8.2f} {size / MiB / took:>8.1f} "
                  f"{size / MiB / direct:>16.1f} {peak / MiB:>12.1f}MiB {ok:>7}")
    finally:
        for proc in reversed(procs):
            proc.stop()
        asyncio.run(drop_dbs(pg_dsn, db_names))
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
