"""Download benchmark: throughput and peak RSS of the query module streaming from a real SE,
against nginx with sendfile serving the same stored file.

    .venv/bin/python bench/query_download_1gib.py [--sizes 100M,1G]

Starts the local stack (PostgreSQL, Redis via scripts/stack.py), the admin module (the query
module's service-account token), one local-disk storage element and the query module as real
processes. Each file is streamed straight into the SE (generated on the fly) and reaches the
catalog through the SE's outbox and the event stream. Then curl downloads it three ways: through
the query module (psutil samples the query module's and the SE's RSS every 20 ms), straight from
the SE, and from nginx (sendfile, a temporary config on a free loopback port) serving the SE's
stored file: the ceiling of this machine's loopback. Flat memory: the 1 GiB peak ≈ the 100 MiB
peak.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import json
import shutil
import time
import uuid
from pathlib import Path

import httpx
import psutil
from support import (
    ROOT,
    MiB,
    RssSampler,
    blocks,
    create_db,
    curl_download,
    drop_dbs,
    load_stack,
    nginx_serving,
    parse_size,
    publish_discovery,
    start_admin,
    start_se,
    work_dir,
)

from artstore_common.testing import ServiceProcess, TokenFactory

SECRET = "bench-query-secret-0123456789abcdef"


def upload(se_url: str, headers: dict[str, str], size: int) -> tuple[str, str]:
    digest = hashlib.sha256()
    file_id = str(uuid.uuid4())
    attrs = {"original_filename": f"Архив {size // MiB} MiB.bin", "retention_policy": "permanent"}
    encoded = base64.urlsafe_b64encode(json.dumps(attrs).encode()).decode().rstrip("=")
    response = httpx.put(f"{se_url}/api/v1/files/{file_id}", content=blocks(size, digest),
                         headers={**headers, "X-ArtStore-Attributes": encoded,
                                  "X-ArtStore-Declared-Size": str(size)},
                         timeout=httpx.Timeout(900, connect=10))
    if response.status_code != 201:
        raise RuntimeError(f"upload of {size} bytes: {response.status_code} {response.text}")
    return file_id, digest.hexdigest()


def stored_file(data_dir: Path, size: int) -> Path:
    """The SE's stored copy of the file (uncompressed: random bytes), found by its size."""
    return next(p for p in data_dir.rglob("*") if p.is_file() and p.stat().st_size == size)


def cpu_seconds(pid: int) -> float:
    times = psutil.Process(pid).cpu_times()
    return times.user + times.system


def run(sizes: list[int], state_dir: str) -> dict:
    """{"idle_rss": {...}, "sizes": [{size, mib_s, se_mib_s, nginx_mib_s, ratio_to_nginx,
    peak_rss, cpu_s_per_gib}]}"""
    env = load_stack().start(["postgres", "redis"], state_dir, fast=True)
    pg_dsn, redis_base = env["PG_DSN"], env["REDIS_URL"].rsplit("/", 1)[0]
    redis_url = f"{redis_base}/14"
    work = work_dir("query-")
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
        se = start_se(work, database_url=se_db, redis_url=redis_url, mode="rw",
                      capacity=capacity, max_file_size=max(sizes) + MiB, se_id=se_id,
                      jwks_url=jwks, SE_EVENTS_STREAM=stream, SE_OUTBOX_POLL_SECONDS="0.2")
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
        headers = tokens.headers("USER", ttl=7200)
        pids = {"query": query.proc.pid, "se": se.proc.pid}
        result: dict = {"idle_rss": {n: psutil.Process(p).memory_info().rss
                                     for n, p in pids.items()}, "sizes": []}
        for size in sizes:
            file_id, expected = upload(se.url, headers, size)
            for _ in range(600):  # the catalog learns of it through the stream
                if httpx.get(f"{query.url}/api/v1/files/{file_id}",
                             headers=headers).status_code == 200:
                    break
                time.sleep(0.1)
            else:
                raise RuntimeError("the file never reached the query module's catalog")
            direct, _ = curl_download(f"{se.url}/api/v1/files/{file_id}/content", headers)
            sampler = RssSampler(pids)
            cpu_before = {n: cpu_seconds(p) for n, p in pids.items()}
            sampler.start()
            took, received = curl_download(f"{query.url}/api/v1/files/{file_id}/download",
                                           headers)
            peak = sampler.finish()
            cpu = {n: (cpu_seconds(p) - cpu_before[n]) / (size / (1024 * MiB))
                   for n, p in pids.items()}
            if received != size:
                raise RuntimeError(f"query module sent {received} of {size} bytes")
            stored = stored_file(work / "se", size)
            with nginx_serving(stored.parent) as nginx:
                curl_download(f"{nginx}/{stored.name}")  # page cache warm, like the others
                plain, _ = curl_download(f"{nginx}/{stored.name}")
            result["sizes"].append({
                "size": size, "sha256": expected, "seconds": took, "mib_s": size / MiB / took,
                "se_mib_s": size / MiB / direct, "nginx_mib_s": size / MiB / plain,
                "ratio_to_nginx": plain / took, "peak_rss": peak,
                # CPU seconds per GiB relayed: steady on a loaded machine, unlike MiB/s
                "cpu_s_per_gib": cpu})
        return result
    finally:
        for proc in reversed(procs):
            proc.stop()
        asyncio.run(drop_dbs(pg_dsn, db_names))
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100M,1G")
    parser.add_argument("--state-dir", default=str(ROOT / ".artstore" / "test-stack"))
    args = parser.parse_args()
    result = run([parse_size(s) for s in args.sizes.split(",")], args.state_dir)
    print(f"query module idle RSS {result['idle_rss']['query'] / MiB:.1f} MiB")
    print(f"{'size':>8} {'query MiB/s':>12} {'SE MiB/s':>9} {'nginx MiB/s':>12} {'ratio':>6} "
          f"{'peak query':>11} {'peak se':>9} {'CPU s/GiB query/se':>19}")
    for row in result["sizes"]:
        print(f"{row['size'] / MiB:>6.0f}Mi {row['mib_s']:>12.1f} {row['se_mib_s']:>9.1f} "
              f"{row['nginx_mib_s']:>12.1f} {row['ratio_to_nginx']:>6.2f} "
              f"{row['peak_rss']['query'] / MiB:>8.1f}MiB {row['peak_rss']['se'] / MiB:>6.1f}MiB "
              f"{row['cpu_s_per_gib']['query']:>10.2f} / {row['cpu_s_per_gib']['se']:.2f}")


if __name__ == "__main__":
    main()
