"""Audit-chain verification at scale: a full walk vs a walk from the newest checkpoint.

    .venv/bin/python bench/audit_checkpoints.py [--rows 1000000] [--new 1000] [--every 10000]

Writes ``--rows`` correctly chained access-trail entries (HMAC-SHA256, as the admin module
writes them) with COPY into a scratch database migrated by the admin module's migrations, then
times, through ``audit.service.verify_chain`` (the code behind ``GET /api/v1/audit/verify``):
the full walk (which leaves a checkpoint every ``--every`` rows and at the head), ``--new``
more entries appended through the real writer, the walk from the newest checkpoint, and a
100-row range from the checkpoint before it. Nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import asyncpg
import structlog
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine
from support import ROOT, create_db, drop_dbs, load_stack

from admin_module.audit import service as audit
from admin_module.audit.chain import compute_mac
from admin_module.migrate import run_migrations
from admin_module.models.audit import GENESIS_MAC

SECRET = b"bench-audit-secret-0123456789abcdef0123456789"
COLUMNS = ("id", "seq", "created_at", "action", "actor", "resource_type", "resource_id",
           "outcome", "details", "request_id", "prev_mac", "mac")


async def load(dsn: str, n: int, batch: int = 50_000) -> None:
    """Rows shaped like the access trail (a download with subject, source, service, time)."""
    conn = await asyncpg.connect(dsn)
    await conn.set_type_codec(  # COPY is binary: jsonb is a version byte, then the text
        "jsonb", schema="pg_catalog", format="binary",
        encoder=lambda v: b"\x01" + json.dumps(v, ensure_ascii=False).encode(),
        decoder=lambda b: json.loads(b[1:]))
    started, prev = time.perf_counter(), GENESIS_MAC
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    try:
        rows = []
        for seq in range(1, n + 1):
            at = t0 + timedelta(milliseconds=seq)
            row = SimpleNamespace(
                id=uuid.uuid4(), seq=seq, created_at=at, action="file.downloaded",
                actor=f"client-{seq % 97}", resource_type="file",
                resource_id=str(uuid.UUID(int=seq * 7919)), outcome="success",
                details={"subject": f"sa-{seq % 97}", "source": f"10.0.{seq % 250}.{seq % 200}",
                         "service": "query", "occurred_at": at.isoformat(),
                         "event_id": f"{seq}-0"},
                request_id=None, prev_mac=prev, mac="")
            row.mac = prev = compute_mac(SECRET, row)
            rows.append(tuple(getattr(row, c) for c in COLUMNS))
            if len(rows) == batch or seq == n:
                await conn.copy_records_to_table("audit_log", records=rows, columns=COLUMNS)
                rows = []
                print(f"  loaded {seq:>9} rows  {time.perf_counter() - started:6.0f} s",
                      file=sys.stderr, flush=True)
        await conn.execute(
            "INSERT INTO audit_chain_head (id, last_seq, last_mac, anchor_seq, anchor_mac) "
            "VALUES (1, $1, $2, 0, $3)", n, prev, GENESIS_MAC)
        await conn.execute("VACUUM ANALYZE audit_log")
    finally:
        await conn.close()


async def timed(sessionmaker, every: int, **kwargs) -> tuple[float, dict]:
    started = time.perf_counter()
    async with sessionmaker() as session, session.begin():
        result = await audit.verify_chain(session, checkpoint_every=every, **kwargs)
    elapsed = time.perf_counter() - started
    assert result.valid, result.as_dict()
    return elapsed, result.as_dict()


async def run(rows: int, new: int, every: int, state_dir: str, keep: bool) -> dict:
    env = load_stack().start(["postgres"], state_dir, fast=True)
    db = f"bench_audit_{rows}_{uuid.uuid4().hex[:6]}"
    url = await create_db(env["PG_DSN"], db)
    engine = create_async_engine(url)
    try:
        await run_migrations(engine)
        started = time.perf_counter()
        await load(env["PG_DSN"].rsplit("/", 1)[0] + f"/{db}", rows)
        out: dict = {"rows": rows, "load_seconds": time.perf_counter() - started}
        sessionmaker = async_sessionmaker(engine, expire_on_commit=False,
                                          info={audit.SECRET_INFO_KEY: SECRET})
        out["full"] = await timed(sessionmaker, every, mode="full")
        async with sessionmaker() as session, session.begin():
            for start in range(0, new, 500):
                await audit.record_many(session, [
                    audit.Entry("file.downloaded", "bench", "file", str(uuid.uuid4()))
                    for _ in range(min(500, new - start))])
        out["checkpoint"] = await timed(sessionmaker, every, mode="checkpoint")
        middle = rows // 2 + every // 3
        out["range"] = await timed(sessionmaker, every, from_seq=middle, to_seq=middle + 99)
        return out
    finally:
        await engine.dispose()
        if not keep:
            await drop_dbs(env["PG_DSN"], [db])


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000, help="chain length to generate")
    parser.add_argument("--new", type=int, default=1000,
                        help="entries appended after the full walk's head checkpoint")
    parser.add_argument("--every", type=int, default=audit.CHECKPOINT_EVERY)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--state-dir", default=str(ROOT / ".artstore" / "test-stack"))
    args = parser.parse_args()
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    print(f"audit chain of {args.rows} rows, checkpoint every {args.every}")
    out = await run(args.rows, args.new, args.every, args.state_dir, args.keep)
    print(f"  generate + COPY + VACUUM ANALYZE   {out['load_seconds']:8.1f} s")
    for name in ("full", "checkpoint", "range"):
        seconds, r = out[name]
        print(f"  {name:10s} walk after seq {r['start_seq']:>9} to {r['end_seq']:>9}: "
              f"{r['checked']:>9} rows  {seconds:8.2f} s  ({r['checked'] / seconds:,.0f} rows/s)")
    full_s, full = out["full"]
    ten_million = 10_000_000 / full["checked"] * full_s
    print(f"  a full walk of 10,000,000 rows at that rate: ~{ten_million:,.0f} s; the checkpoint"
          " walk grows with the entries since the last walk, not with the chain")


if __name__ == "__main__":
    asyncio.run(main())
