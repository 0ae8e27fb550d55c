"""Helpers shared by the benchmarks: the local stack, throwaway databases, peak-RSS sampling,
generated bodies, the raw-disk and nginx references, timed downloads."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import importlib.util
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
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
WORK = ROOT / ".artstore" / "bench-work"  # the repo's disk: where a deployment keeps its data
MiB = 1024 * 1024
UNITS = {"K": 1024, "M": MiB, "G": 1024 * MiB}


def parse_size(text: str) -> int:
    text = text.strip().upper()
    return int(float(text[:-1]) * UNITS[text[-1]]) if text[-1] in UNITS else int(text)


@functools.cache
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


def admin_and_se_databases(pg_dsn: str) -> tuple[list[str], str, str]:
    """Two fresh databases for the admin module and one SE, the SE's migrated (the admin
    migrates its own at start): (names to drop afterwards, admin URL, SE URL)."""
    from storage_element.db import upgrade_database

    names = [f"bench_admin_{uuid.uuid4().hex[:8]}", f"bench_se_{uuid.uuid4().hex[:8]}"]
    admin_db, se_db = (asyncio.run(create_db(pg_dsn, name)) for name in names)
    upgrade_database(se_db)
    return names, admin_db, se_db


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


def start_se(work: Path, *, database_url: str, redis_url: str, mode: str, capacity: int,
             max_file_size: int, jwks_url: str | None = None, se_id: uuid.UUID | None = None,
             **extra: str) -> ServiceProcess:
    """One local-disk storage element as a process on `work`/se (its own fresh database),
    background loops off; `extra` adds or overrides settings."""
    env = {"SE_NAME": "bench-se", "SE_MODE": mode, "SE_CAPACITY_BYTES": str(capacity),
           "SE_MAX_FILE_SIZE": str(max_file_size), "SE_DATA_DIR": str(work / "se"),
           "DATABASE_URL": database_url, "REDIS_URL": redis_url,
           "JWT_PUBLIC_KEY_FILE": str(work / "jwt.pem"),
           "SE_FIXITY_INTERVAL_SECONDS": "0", "SE_RECONCILE_INTERVAL_SECONDS": "0",
           "LOG_LEVEL": "WARNING", **extra}
    if jwks_url:
        env["JWKS_URL"] = jwks_url
    if se_id:
        env["SE_ID"] = str(se_id)
    return ServiceProcess("storage_element.main:create_app", env, log_path=str(work / "se.log"),
                          name="se").start(300)


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


@dataclass
class IngestPipeline:
    work: Path
    tokens: TokenFactory  # signs end-user tokens the SE and the ingester accept
    admin: ServiceProcess
    se: ServiceProcess
    ingester: ServiceProcess


@contextlib.contextmanager
def ingest_pipeline(state_dir: str, prefix: str, *, capacity: int,
                    max_file_size: int) -> Iterator[IngestPipeline]:
    """The admin module (token issuer for the ingester), one `edit` SE and the ingester as
    processes on a fresh stack's PostgreSQL/Redis; all stopped and dropped afterwards."""
    env = load_stack().start(["postgres", "redis"], state_dir, fast=True)
    pg_dsn, redis_base = env["PG_DSN"], env["REDIS_URL"].rsplit("/", 1)[0]
    work = work_dir(prefix)
    tokens = TokenFactory()
    (work / "jwt.pem").write_bytes(tokens.public_pem)
    secret = "bench-ingester-secret-0123456789abcdef"
    db_names: list[str] = []
    procs: list[ServiceProcess] = []
    try:
        db_names, admin_db, se_db = admin_and_se_databases(pg_dsn)
        admin = start_admin(admin_db, f"{redis_base}/11", "bench-ingester", secret,
                            work / "admin.log")
        procs.append(admin)
        jwks_url = admin.url + "/api/v1/auth/jwks"
        se_id = uuid.uuid4()
        se = start_se(work, database_url=se_db, redis_url=f"{redis_base}/12", mode="edit",
                      capacity=capacity, max_file_size=max_file_size, se_id=se_id,
                      jwks_url=jwks_url, SE_RUN_MIGRATIONS="false")
        procs.append(se)
        discovery = f"{redis_base}/13"
        publish_discovery(discovery, se_id, se.url, "edit", capacity)
        ingester = ServiceProcess("ingester_module.main:create_app", {
            "ADMIN_URL": admin.url, "INGESTER_CLIENT_ID": "bench-ingester",
            "INGESTER_CLIENT_SECRET": secret, "REDIS_URL": discovery,
            "DISCOVERY_FALLBACK_FILE": str(work / "discovery.json"), "JWKS_URL": jwks_url,
            "JWT_PUBLIC_KEY_FILE": str(work / "jwt.pem"),
            "MAX_FILE_SIZE": str(max_file_size), "LOG_LEVEL": "WARNING",
        }, log_path=str(work / "ingester.log"), name="ingester").start(300)
        procs.append(ingester)
        for _ in range(100):
            ready = httpx.get(ingester.url + "/health/ready").json()
            if ready["checks"]["discovery"]["status"] != "fail":
                break
            time.sleep(0.2)
        yield IngestPipeline(work, tokens, admin, se, ingester)
    finally:
        for proc in reversed(procs):
            proc.stop()
        asyncio.run(drop_dbs(pg_dsn, db_names))
        shutil.rmtree(work, ignore_errors=True)


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


@functools.cache
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


def pct(values: list[float], p: float) -> float:
    """The p-quantile of `values` (seconds) in milliseconds (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p))] * 1000


def latency_summary(values: list[float], elapsed: float) -> dict[str, float]:
    return {"count": len(values), "per_s": len(values) / elapsed, "p50_ms": pct(values, 0.5),
            "p95_ms": pct(values, 0.95), "p99_ms": pct(values, 0.99)}


def work_dir(prefix: str) -> Path:
    WORK.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=prefix, dir=WORK))


@functools.cache
def random_block() -> bytes:
    """One random MiB, repeated: incompressible, cheap to generate, the same bytes everywhere."""
    return os.urandom(MiB)


def blocks(size: int, digest=None) -> Iterator[bytes]:
    block = random_block()
    sent = 0
    while sent < size:
        piece = block if size - sent >= MiB else block[: size - sent]
        if digest is not None:
            digest.update(piece)
        sent += len(piece)
        yield piece


def multipart_stream(size: int, boundary: str, fields: dict[str, str]) -> Iterator[bytes]:
    """A multipart/form-data body with `fields` and a `size`-byte file, generated on the fly."""
    head = "".join(f"--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n"
                   for k, v in fields.items())
    yield (head + f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; "
           f"filename=\"bench.bin\"\r\nContent-Type: application/octet-stream\r\n\r\n").encode()
    yield from blocks(size)
    yield f"\r\n--{boundary}--\r\n".encode()


def dd_fsync_seconds(path: Path, size: int) -> float:
    """`dd conv=fsync` of the same generated bytes into `path`: the raw-disk reference."""
    began = time.perf_counter()
    dd = subprocess.Popen(["dd", f"of={path}", "bs=1M", "iflag=fullblock", "conv=fsync",
                           "status=none"], stdin=subprocess.PIPE)
    assert dd.stdin
    for piece in blocks(size):
        dd.stdin.write(piece)
    dd.stdin.close()
    if dd.wait() != 0:
        raise RuntimeError(f"dd exited with {dd.returncode}")
    took = time.perf_counter() - began
    path.unlink()
    return took


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def nginx_serving(directory: Path) -> Iterator[str]:
    """nginx with sendfile serving `directory` on a free loopback port; yields its base URL."""
    prefix = Path(tempfile.mkdtemp(prefix="nginx-", dir=WORK))
    port = free_port()
    user = "user root;\n" if os.geteuid() == 0 else ""
    (prefix / "nginx.conf").write_text(
        f"{user}worker_processes 1;\npid {prefix}/nginx.pid;\nerror_log {prefix}/error.log;\n"
        "events { worker_connections 64; }\n"
        "http { access_log off; sendfile on; tcp_nopush on;\n"
        "  default_type application/octet-stream;\n"
        f"  client_body_temp_path {prefix}; proxy_temp_path {prefix}; fastcgi_temp_path {prefix};\n"
        f"  uwsgi_temp_path {prefix}; scgi_temp_path {prefix};\n"
        f"  server {{ listen 127.0.0.1:{port}; root {directory}; }} }}\n")
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    proc = subprocess.Popen([nginx, "-p", str(prefix), "-e", str(prefix / "error.log"),
                             "-c", str(prefix / "nginx.conf"), "-g", "daemon off;"],
                            stderr=subprocess.DEVNULL)
    try:
        for _ in range(200):
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
                break
            if proc.poll() is not None:
                raise RuntimeError((prefix / "error.log").read_text()[-2000:])
            time.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(20)
        shutil.rmtree(prefix, ignore_errors=True)


def curl_download(url: str, headers: dict[str, str] | None = None) -> tuple[float, int]:
    """(seconds, bytes) of one GET into /dev/null by curl: a client far cheaper than the
    servers it measures, the same for every server compared."""
    command = ["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code} %{size_download}"]
    for key, value in (headers or {}).items():
        command += ["-H", f"{key}: {value}"]
    began = time.perf_counter()
    out = subprocess.run(command + [url], check=True, capture_output=True, text=True).stdout
    took = time.perf_counter() - began
    status, size = out.split()
    if status != "200":
        raise RuntimeError(f"GET {url} answered {status}")
    return took, int(size)


@contextlib.contextmanager
def running_suite(name: str, extra_env: dict[str, str] | None = None,
                  fast: bool = False) -> Iterator[dict[str, str]]:
    """The whole suite (admin, two SEs, ingester, query; PostgreSQL and Redis of its own, durable
    as `make up` runs them unless `fast`) under .artstore/<name>; yields its run.env."""
    suite_module = load_suite()
    root = ROOT / ".artstore" / name
    shutil.rmtree(root, ignore_errors=True)
    suite = suite_module.Suite(root, fast=fast, fixed_ports=False, with_ui=False,
                               extra_env={"LOG_LEVEL": "WARNING", **(extra_env or {})})
    try:
        yield suite.up()
    finally:
        suite.down()
        shutil.rmtree(root, ignore_errors=True)


def suite_headers(env: dict[str, str]) -> dict[str, str]:
    token = load_suite().client_token(env["ADMIN_URL"], env["ARTSTORE_CLIENT_ID"],
                                      env["ARTSTORE_CLIENT_SECRET"])
    return {"Authorization": f"Bearer {token}"}


def _command(*argv: str) -> str:
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=30, cwd=ROOT)
    except (OSError, subprocess.SubprocessError):
        return "n/a"
    return (done.stdout or done.stderr).strip()


def machine_facts(stack_env: dict[str, str]) -> dict:
    """What the figures depend on: CPU, memory, the disk under .artstore, versions, commit."""
    import platform

    import psutil

    cpu_model = next((line.split(":", 1)[1].strip()
                      for line in Path("/proc/cpuinfo").read_text().splitlines()
                      if line.startswith("model name")), platform.processor() or "n/a")
    target = str((ROOT / ".artstore").resolve())
    mount = max((p for p in psutil.disk_partitions(all=True)
                 if target.startswith(p.mountpoint)), key=lambda p: len(p.mountpoint))
    device = Path(mount.device).name
    rotational = Path(f"/sys/block/{device}/queue/rotational")
    os_release = dict(line.split("=", 1)
                      for line in Path("/etc/os-release").read_text().splitlines() if "=" in line)
    spinning = rotational.exists() and rotational.read_text().strip() == "1"

    async def pg_version() -> str:
        conn = await asyncpg.connect(stack_env["PG_DSN"])
        try:
            return await conn.fetchval("SHOW server_version")
        finally:
            await conn.close()

    import asyncio

    client = redis.Redis.from_url(stack_env["REDIS_URL"])
    try:
        redis_version = client.info("server")["redis_version"]
    finally:
        client.close()
    commit = _command("git", "rev-parse", "--short=12", "HEAD")
    dirty = bool(_command("git", "status", "--porcelain", "--untracked-files=no"))
    return {
        "cpu_count": os.cpu_count(), "cpu_model": cpu_model,
        "ram_gib": psutil.virtual_memory().total / 1024**3,
        "disk": f"{mount.fstype} on {mount.device} "
                f"({shutil.disk_usage(target).total / 1e9:.0f} GB"
                + (", kernel flag rotational=1" if spinning else "") + ")",
        "kernel": platform.release(), "os": os_release.get("PRETTY_NAME", "n/a").strip('"'),
        "python": platform.python_version(), "postgresql": asyncio.run(pg_version()),
        "redis": redis_version, "nginx": _command("nginx", "-v").split("/")[-1],
        "git_commit": commit + ("-dirty" if dirty else ""),
        "git_branch": _command("git", "rev-parse", "--abbrev-ref", "HEAD"),
        "load_before": " ".join(f"{x:.2f}" for x in os.getloadavg()),
    }


def small_fsync_rate(directory: Path, count: int, size: int = 4096) -> dict[str, float]:
    """The raw disk's small-file limit: write `size` bytes to a new file, fsync it and its
    directory, `count` times in a row (what a durable small upload cannot do without)."""
    directory.mkdir(parents=True, exist_ok=True)
    body = os.urandom(size)
    dir_fd = os.open(directory, os.O_RDONLY)
    try:
        began = time.perf_counter()
        for i in range(count):
            fd = os.open(directory / f"f{i}", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            try:
                os.write(fd, body)
                os.fsync(fd)
            finally:
                os.close(fd)
            os.fsync(dir_fd)
        took = time.perf_counter() - began
    finally:
        os.close(dir_fd)
    return {"count": count, "per_s": count / took, "mean_ms": took / count * 1000}
