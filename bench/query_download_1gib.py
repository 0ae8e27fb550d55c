"""Download benchmark: throughput and peak RSS of the query module streaming from a real SE.

    .venv/bin/python bench/query_download_1gib.py [--sizes 10M,1G] [--repeat 3]

Starts the local stack (PostgreSQL, Redis via scripts/stack.py), the admin module (the query
module's service-account token), one local-disk storage element and the query module as real
processes. Each file is streamed straight into the SE (generated on the fly), then downloaded
through the query module at once (read-after-write) while psutil samples the query module's
and the SE's RSS every 20 ms. In the same run the same bytes are timed from the SE directly and
from nginx (sendfile on) serving the SE's data file: the loopback limit. The client reads into
a 4 MiB buffer (http.client) and does not hash while timed, so it is not the bottleneck; one
more download through the query module is hashed and compared. The SE re-hashes every full
download (its fixity check). Flat memory: the 1 GiB peak ≈ the 10 MiB peak.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import http.client
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from statistics import median
from urllib.parse import quote, urlsplit

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

from artstore_common.testing import ServiceProcess, TokenFactory, free_port

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


def timed_download(url: str, headers: dict[str, str], digest=None) -> tuple[float, int]:
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=900)
    buffer = memoryview(bytearray(4 * MiB))
    received = 0
    began = time.perf_counter()
    try:
        conn.request("GET", parts.path, headers=headers)
        response = conn.getresponse()
        if response.status != 200:
            sys.exit(f"download failed: {response.status} {response.read(300)!r}")
        while n := response.readinto(buffer):
            received += n
            if digest is not None:
                digest.update(buffer[:n])
    finally:
        conn.close()
    return time.perf_counter() - began, received


NGINX_CONF = """{user}daemon off; worker_processes 1; pid {work}/nginx.pid;
error_log {work}/nginx.log; events {{ worker_connections 64; }}
http {{ access_log off; sendfile on; tcp_nopush on; client_body_temp_path {work}/ngx;
  proxy_temp_path {work}/ngx; fastcgi_temp_path {work}/ngx; uwsgi_temp_path {work}/ngx;
  scgi_temp_path {work}/ngx; types {{ }} default_type application/octet-stream;
  server {{ listen 127.0.0.1:{port}; root {root}; }} }}
"""


def start_nginx(work: Path, root: Path) -> tuple[subprocess.Popen, str]:
    """nginx with sendfile serving ``root``: the loopback limit for the same bytes."""
    port = free_port()
    (work / "ngx").mkdir()
    user = "user root; " if os.geteuid() == 0 else ""  # its workers must read the SE's files
    (work / "nginx.conf").write_text(NGINX_CONF.format(user=user, work=work, port=port,
                                                       root=root))
    proc = subprocess.Popen([shutil.which("nginx") or "/usr/sbin/nginx", "-c",
                             str(work / "nginx.conf"), "-p", str(work)])
    for _ in range(200):
        try:
            httpx.get(f"http://127.0.0.1:{port}/")
            return proc, f"http://127.0.0.1:{port}"
        except httpx.TransportError:
            time.sleep(0.05)
    proc.kill()
    sys.exit("nginx did not start")


def median_rates(repeat: int, sources: dict[str, tuple[str, dict[str, str]]],
                 size: int) -> dict[str, float]:
    """Median MiB/s per source over ``repeat`` rounds; each round takes every source in turn,
    so a burst of load elsewhere on the machine hits them alike."""
    rates: dict[str, list[float]] = {name: [] for name in sources}
    for _ in range(repeat):
        for name, (url, headers) in sources.items():
            took, received = timed_download(url, headers)
            if received != size:
                sys.exit(f"{name}: {received} bytes, expected {size}")
            rates[name].append(size / MiB / took)
    return {name: median(values) for name, values in rates.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10M,1G")
    parser.add_argument("--repeat", type=int, default=3, help="timed downloads per source")
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
    nginx = None
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
        nginx, nginx_url = start_nginx(work, work / "se")
        idle = psutil.Process(query.proc.pid).memory_info().rss
        print(f"query module idle RSS {idle / MiB:.1f} MiB; MiB/s: median of {args.repeat}")
        print(f"{'size':>8} {'nginx':>8} {'SE':>8} {'query':>8} {'query/nginx':>12} "
              f"{'peak query RSS':>15} {'peak SE RSS':>12} {'CPU s/GiB query':>16} "
              f"{'CPU s/GiB SE':>13} {'sha256':>7}")
        for size in sizes:
            file_id, expected = upload(se.url, headers, size)
            # No waiting for the catalog's event: read-after-write holds.
            stored = next(p for p in (work / "se").rglob(f"*{file_id}*")
                          if not p.name.endswith(".attr.json"))
            plain = f"{nginx_url}/{quote(str(stored.relative_to(work / 'se')))}"
            sampler = RssSampler({"query": query.proc.pid, "se": se.proc.pid})
            sampler.start()
            rates = median_rates(args.repeat, {
                "nginx": (plain, {}),
                "se": (f"{se.url}/api/v1/files/{file_id}/content", headers),
                "query": (f"{query.url}/api/v1/files/{file_id}/download", headers),
            }, size)
            peak = sampler.finish()
            # CPU seconds per GiB through the query module: unlike MiB/s, not skewed by
            # whatever else the machine runs at the time.
            cpu = {name: psutil.Process(pid) for name, pid in
                   (("query", query.proc.pid), ("se", se.proc.pid))}
            before = {name: sum(proc.cpu_times()[:2]) for name, proc in cpu.items()}
            timed_download(f"{query.url}/api/v1/files/{file_id}/download", headers)
            per_gib = {name: (sum(proc.cpu_times()[:2]) - before[name]) * (1 << 30) / size
                       for name, proc in cpu.items()}
            digest = hashlib.sha256()
            _, received = timed_download(f"{query.url}/api/v1/files/{file_id}/download",
                                         headers, digest)
            ok = "ok" if received == size and digest.hexdigest() == expected else "MISMATCH"
            print(f"{size / MiB:>6.0f}Mi {rates['nginx']:>8.1f} {rates['se']:>8.1f} "
                  f"{rates['query']:>8.1f} {rates['query'] / rates['nginx']:>12.2f} "
                  f"{peak['query'] / MiB:>12.1f}MiB "
                  f"{peak['se'] / MiB:>9.1f}MiB {per_gib['query']:>16.2f} "
                  f"{per_gib['se']:>13.2f} {ok:>7}")
    finally:
        if nginx is not None:
            nginx.terminate()
            nginx.wait(10)
        for proc in reversed(procs):
            proc.stop()
        asyncio.run(drop_dbs(pg_dsn, db_names))
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
