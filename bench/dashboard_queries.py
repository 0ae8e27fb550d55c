"""How long the dashboard's figures take on a full admin database (issue 16).

Fills a scratch admin database (migrated) with ``--ses`` storage elements sampled every 5
minutes for 90 days (the default retention: 25,920 samples per SE) and ``--audit`` audit
entries spread over the last 7 days (uploads, downloads, a share of refusals), then times each
dashboard query: ``.venv/bin/python bench/dashboard_queries.py --ses 3 --audit 1000000``.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
import uuid

from sqlalchemy import text
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine
from support import ROOT, create_db, drop_dbs, load_stack

from admin_module.dashboard import repository as repo
from admin_module.dashboard import service
from admin_module.migrate import run_migrations
from admin_module.models.base import utcnow

FILL = """
INSERT INTO storage_elements (id, name, api_url, mode, status, draining, priority, backend,
    capacity_bytes, used_bytes, file_count, retention_warning_days, consecutive_failures,
    redundant_backend, created_at, updated_at)
SELECT gen_random_uuid(), 'se-' || i, 'http://se-' || i, 'rw', 'online', false, 100, 'local',
    10e12, 0, 0, 30, 0, false, now(), now() FROM generate_series(1, :ses) AS i;
INSERT INTO se_capacity_samples (storage_element_id, sampled_at, used_bytes, capacity_bytes,
    file_count, verified, quarantined, never_verified, last_verified_at)
SELECT se.id, now() - make_interval(mins => 5 * n), 10e12 - n * 1e6, 10e12, 1e6 - n, 1e6 - n,
    n % 3, 0, now() - make_interval(mins => 5 * n)
FROM storage_elements se, generate_series(0, 90 * 288 - 1) AS n;
INSERT INTO audit_log (id, seq, created_at, action, actor, resource_type, resource_id, outcome,
    details, prev_mac, mac)
SELECT gen_random_uuid(), n, now() - make_interval(secs => (n * 604800.0 / :audit)),
    CASE n % 10 WHEN 0 THEN 'security.requests_refused' WHEN 1 THEN 'file.uploaded'
         ELSE 'file.downloaded' END,
    'bench', 'file', n::text, CASE n % 10 WHEN 0 THEN 'denied' ELSE 'success' END,
    CASE n % 10 WHEN 0 THEN '{"count": 3}'::jsonb ELSE '{}'::jsonb END,
    repeat('0', 64), repeat('0', 64)
FROM generate_series(1, :audit) AS n;
ANALYZE;
"""


async def timed(label: str, call, runs: int) -> None:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        await call()
        times.append(time.perf_counter() - started)
    print(f"{label:32} median {statistics.median(times) * 1000:8.1f} ms  "
          f"max {max(times) * 1000:8.1f} ms  (n={runs})")


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--ses", type=int, default=3)
    parser.add_argument("--audit", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--state-dir", default=str(ROOT / ".artstore" / "test-stack"))
    args = parser.parse_args()
    env = load_stack().start(["postgres"], args.state_dir, fast=True)
    name = f"bench_dash_{uuid.uuid4().hex[:8]}"
    engine = create_async_engine(await create_db(env["PG_DSN"], name))
    try:
        await run_migrations(engine)
        async with engine.begin() as conn:
            for statement in filter(str.strip, FILL.split(";")):
                await conn.execute(text(statement), {"ses": args.ses, "audit": args.audit})
        sessions = async_sessionmaker(engine)
        print(f"{args.ses} SEs × 25,920 samples, {args.audit:,} audit entries over 7 days")

        def using(fn, *a):
            async def call():
                async with sessions() as session:
                    return await fn(session, *a)
            return call

        await timed("capacity, 14 days", using(service.capacity, 24 * 14), args.runs)
        await timed("capacity, 90 days", using(service.capacity, 24 * 90), args.runs)
        await timed("fixity", using(service.fixity), args.runs)
        # Before the roll-up: every load adds up the window's audit rows (as before issue 16's
        # roll-up); then the closed hours are rolled once and the same queries read them.
        await timed("activity, 24 h, no roll-up", using(service.activity, 24), args.runs)
        await timed("activity, 7 days, no roll-up", using(service.activity, 24 * 7), args.runs)
        closed = utcnow() - service.ROLLUP_MARGIN
        until = repo.ORIGIN + (closed - repo.ORIGIN) // repo.HOUR * repo.HOUR

        async def roll() -> None:
            async with sessions() as session, session.begin():
                print(f"  rolled up {await repo.roll_up(session, until):,} hour×action rows")
        await timed("roll-up of 7 days (once)", roll, 1)
        await timed("activity, 24 h", using(service.activity, 24), args.runs)
        await timed("activity, 7 days", using(service.activity, 24 * 7), args.runs)
    finally:
        await engine.dispose()
        await drop_dbs(env["PG_DSN"], [name])


if __name__ == "__main__":
    asyncio.run(main())
