"""Admin login timing for existing and unknown usernames (issue 14: no enumeration by timing).

    .venv/bin/python bench/admin_login_timing.py [--users 8] [--cheap]

Starts the admin module as a real process (production Argon2id parameters unless --cheap),
creates --users admin users, then sends wrong passwords for them and for as many unknown
names: four attempts each below the lockout, then two while locked. Prints the median and p90
per group; the two groups should sit in the same timing class in both phases.
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
from support import ROOT, create_db, drop_dbs, load_stack, pct, work_dir

from artstore_common.testing import ServiceProcess

PASSWORD = "Bench-Admin-Password-1"


async def attempts(client: httpx.AsyncClient, names: list[str], n: int) -> list[float]:
    times = []
    for _ in range(n):
        for name in names:
            started = time.perf_counter()
            await client.post("/api/v1/admin-auth/login",
                              json={"username": name, "password": "wrong-password-1"})
            times.append(time.perf_counter() - started)
    return times


def summary(times: list[float]) -> dict[str, float]:
    return {"median_ms": statistics.median(times) * 1000, "p90_ms": pct(times, 0.9),
            "n": len(times)}


async def run(users: int, cheap: bool, state_dir: str) -> dict[str, dict[str, float]]:
    """{group: {median_ms, p90_ms, n}} for existing/unknown names, below lockout and locked."""
    env = load_stack().start(["postgres", "redis"], state_dir, fast=True)
    db = f"bench_login_{uuid.uuid4().hex[:8]}"
    service_env = {
        "ENVIRONMENT": "test", "LOG_LEVEL": "WARNING",
        "DATABASE_URL": await create_db(env["PG_DSN"], db), "REDIS_URL": env["REDIS_URL"],
        "AUDIT_HMAC_SECRET": "bench-audit-secret-0123456789abcdefghij",
        "JWT_KEYS_ENCRYPTION_KEY": Fernet.generate_key().decode(),
        "ARTSTORE_ADMIN_PASSWORD": PASSWORD, "ARTSTORE_CLIENT_SECRET": "x" * 40,
        "RATE_LIMIT_KEY_PREFIX": f"bench:{uuid.uuid4().hex[:8]}",
        "LOGIN_RATE_LIMIT_PER_MINUTE": "1000",
    }
    if cheap:
        service_env.update(ARGON2_TIME_COST="1", ARGON2_MEMORY_COST_KIB="256",
                           ARGON2_PARALLELISM="1")
    work = work_dir("login-")
    proc = ServiceProcess("admin_module.main:create_app", service_env,
                          log_path=str(work / "admin.log"))
    proc.start(timeout=300)  # a loaded machine starts slowly
    try:
        async with httpx.AsyncClient(base_url=proc.url, timeout=60) as client:
            root = (await client.post("/api/v1/admin-auth/login", json={
                "username": "admin", "password": PASSWORD})).json()["access_token"]
            known = [f"known{i}" for i in range(users)]
            for name in known:
                r = await client.post("/api/v1/admin-users", json={
                    "username": name, "password": PASSWORD, "role": "readonly"},
                    headers={"Authorization": f"Bearer {root}"})
                r.raise_for_status()
            unknown = [f"ghost{i}" for i in range(users)]
            result = {"existing, below lockout": summary(await attempts(client, known, 4)),
                      "unknown, below lockout": summary(await attempts(client, unknown, 4))}
            await attempts(client, known + unknown, 1)  # the fifth failure locks
            result["existing, locked (423)"] = summary(await attempts(client, known, 2))
            result["unknown, locked (423)"] = summary(await attempts(client, unknown, 2))
            return result
    finally:
        proc.stop()
        shutil.rmtree(work, ignore_errors=True)
        await drop_dbs(env["PG_DSN"], [db])


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=8)
    parser.add_argument("--cheap", action="store_true")
    parser.add_argument("--state-dir", default=str(ROOT / ".artstore" / "test-stack"))
    args = parser.parse_args()
    result = await run(args.users, args.cheap, args.state_dir)
    print(f"admin login with a wrong password ({'cheap' if args.cheap else 'production'} "
          "Argon2id)")
    for label, m in result.items():
        print(f"  {label:<28} median {m['median_ms']:7.1f} ms   p90 {m['p90_ms']:7.1f} ms   "
              f"n={m['n']}")


if __name__ == "__main__":
    asyncio.run(main())
