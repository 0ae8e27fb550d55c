"""Token endpoint benchmark: latency and throughput of POST /api/v1/auth/token and the JWKS.

    .venv/bin/python bench/admin_tokens.py [--requests 200] [--concurrency 1,8]
                                           [--cheap | --argon2 T,M_KIB,P]

Starts (or reuses) the local test stack (scripts/stack.py) and the admin module as a real
process on a fresh database, then issues client-credentials tokens with production Argon2id
parameters (the default; --cheap uses the test parameters to show how much of the cost is the
KDF). Prints p50/p95/p99 latency and requests per second per concurrency level. The per-client
rate limit is raised for the run so it measures the endpoint, not the limiter.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import time
import uuid

import httpx
from cryptography.fernet import Fernet
from support import ROOT, create_db, drop_dbs, latency_summary, load_stack, work_dir

from artstore_common.testing import ServiceProcess

SECRET = "bench-admin-client-secret-0123456789abcdef"


async def run_level(url: str, n: int, concurrency: int) -> tuple[list[float], float]:
    latencies: list[float] = []
    queue = iter(range(n))
    async with httpx.AsyncClient(base_url=url, timeout=60) as client:
        async def worker() -> None:
            for _ in queue:
                started = time.perf_counter()
                r = await client.post("/api/v1/auth/token", data={
                    "grant_type": "client_credentials", "client_id": "admin-service",
                    "client_secret": SECRET})
                r.raise_for_status()
                latencies.append(time.perf_counter() - started)

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return latencies, time.perf_counter() - started


async def run(requests: int, concurrency: list[int], state_dir: str,
              argon2: str | None = None) -> dict:
    """{"kdf", "levels": {concurrency: {count, per_s, p50_ms, p95_ms, p99_ms}}, "jwks_p50_ms"}"""
    env = load_stack().start(["postgres", "redis"], state_dir, fast=True)
    db = f"bench_admin_{uuid.uuid4().hex[:8]}"
    db_url = await create_db(env["PG_DSN"], db)
    service_env = {
        "ENVIRONMENT": "test", "LOG_LEVEL": "WARNING",
        "DATABASE_URL": db_url, "REDIS_URL": env["REDIS_URL"],
        "AUDIT_HMAC_SECRET": "bench-audit-secret-0123456789abcdefghij",
        "JWT_KEYS_ENCRYPTION_KEY": Fernet.generate_key().decode(),
        "ARTSTORE_ADMIN_PASSWORD": "Bench-Admin-Password-1", "ARTSTORE_CLIENT_SECRET": SECRET,
        "RATE_LIMIT_DEFAULT_PER_MINUTE": "1000000",
        "RATE_LIMIT_KEY_PREFIX": f"bench:{uuid.uuid4().hex[:8]}",
    }
    kdf = "production defaults (t=3, m=64 MiB, p=4)"
    if argon2:
        t, m, p = argon2.split(",")
        service_env.update({"ARGON2_TIME_COST": t, "ARGON2_MEMORY_COST_KIB": m,
                            "ARGON2_PARALLELISM": p})
        kdf = f"t={t}, m={m} KiB, p={p}"
    work = work_dir("tokens-")
    proc = ServiceProcess("admin_module.main:create_app", service_env,
                          log_path=str(work / "admin.log"))
    proc.start(timeout=300)  # a loaded machine starts slowly
    try:
        result: dict = {"kdf": kdf, "levels": {}}
        for level in concurrency:
            latencies, elapsed = await run_level(proc.url, requests, level)
            result["levels"][level] = latency_summary(latencies, elapsed)
        async with httpx.AsyncClient(base_url=proc.url) as client:
            jwks = []
            for _ in range(200):
                started = time.perf_counter()
                (await client.get("/.well-known/jwks.json")).raise_for_status()
                jwks.append(time.perf_counter() - started)
        result["jwks_p50_ms"] = statistics.median(jwks) * 1000
        return result
    finally:
        proc.stop()
        shutil.rmtree(work, ignore_errors=True)
        await drop_dbs(env["PG_DSN"], [db])


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--concurrency", default="1,8")
    parser.add_argument("--cheap", action="store_true", help="test-strength Argon2 parameters")
    parser.add_argument("--argon2", metavar="T,M_KIB,P", help="e.g. 2,19456,1 (OWASP)")
    parser.add_argument("--state-dir", default=str(ROOT / ".artstore" / "test-stack"))
    args = parser.parse_args()
    result = await run(args.requests, [int(c) for c in args.concurrency.split(",")],
                       args.state_dir, args.argon2 or ("1,256,1" if args.cheap else None))
    print(f"admin-module token endpoint, Argon2id {result['kdf']}, "
          f"{args.requests} requests per level")
    for level, m in result["levels"].items():
        print(f"  concurrency {level:>3}: p50 {m['p50_ms']:7.1f} ms  p95 {m['p95_ms']:7.1f} ms  "
              f"p99 {m['p99_ms']:7.1f} ms  {m['per_s']:7.1f} tokens/s")
    print(f"  JWKS: median {result['jwks_p50_ms']:.2f} ms")


if __name__ == "__main__":
    asyncio.run(main())
