"""Sizing model: per-document and per-event unit costs measured on the running suite, projected
to 1M / 10M / 100M documents over 10 / 100 / 1,000 storage elements.

Starts its own suite (admin, two SEs, ingester, query; PostgreSQL and Redis of its own) with
stream trimming off, so the stream keeps every entry to be measured. Uploads ``SIZING_UPLOADS``
small files (default 2,000) in two rounds and takes unit costs from the difference between the
rounds, so fixed overheads (empty index pages, metadata) do not count as per-document cost.

    .venv/bin/python bench/sizing.py        # or: make bench
"""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import redis
from support import human_bytes, human_seconds, running_suite, suite_headers

UPLOADS = int(os.environ.get("SIZING_UPLOADS", "2000"))
AUDIT_SAMPLE = int(os.environ.get("SIZING_AUDIT_ENTRIES", "600"))
CACHE_SAMPLE = 200
DOCUMENTS = (1_000_000, 10_000_000, 100_000_000)
STORAGE_ELEMENTS = (10, 100, 1000)

# Assumptions of the projection (README-PROJECT.md "Sizing" explains each).
AUDIT_ENTRIES_PER_DOCUMENT = 1.0  # one lifecycle action per document (finalize, expiry, ...)
HOT_CACHED_ITEMS = 100_000  # metadata items alive in Redis at once (TTL 300 s)
TRIM_SAFETY_SECONDS = 900  # SE_EVENTS_TRIM_SAFETY_SECONDS default
STREAM_BOUND = 1_000_000  # SE_EVENTS_MAX_ENTRIES default
OUTBOX_WAL_HOURS = 72  # SE_OUTBOX_RETENTION_HOURS / SE_WAL_RETENTION_HOURS defaults
FS_BLOCK = 4096  # a sidecar occupies at least one block on ext4/xfs


def upload(env: dict[str, str], headers: dict[str, str], count: int) -> tuple[list[str], float]:
    def one(i: int) -> str:
        # A realistic small document: a name, a description and tags to index.
        response = client.post(env["INGESTER_URL"] + "/api/v1/files", data={
            "description": f"Договор поставки № {i} от {uuid.uuid4().hex[:6]}",
            "tags": "contract,2026"}, files={
            "file": (f"contract-{i}.txt", f"contract {i} {uuid.uuid4()}\n".encode() * 20)})
        assert response.status_code == 201, response.text
        return response.json()["file_id"]

    started = time.monotonic()
    with httpx.Client(headers=headers, timeout=120) as client, ThreadPoolExecutor(8) as pool:
        ids = list(pool.map(one, range(count)))
    return ids, time.monotonic() - started


def wait_until(condition, what: str, timeout: float = 900) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise RuntimeError(f"gave up waiting for {what}")
        time.sleep(0.5)


class Db:
    def __init__(self, pg_dsn: str) -> None:
        self.base = pg_dsn.rsplit("/", 1)[0]

    def run(self, database: str, sql: str, *args: Any) -> Any:
        async def go() -> Any:
            conn = await asyncpg.connect(f"{self.base}/{database}")
            try:
                return await conn.fetchval(sql, *args)
            finally:
                await conn.close()

        return asyncio.run(go())

    def table(self, database: str, table: str) -> tuple[int, int]:
        """(rows, bytes with indexes and TOAST)."""
        rows = self.run(database, f"SELECT count(*) FROM {table}")
        size = self.run(database, "SELECT pg_total_relation_size($1::regclass)", table)
        return int(rows), int(size)


def per_row(before: tuple[int, int], after: tuple[int, int]) -> float:
    rows = after[0] - before[0]
    return (after[1] - before[1]) / rows if rows > 0 else float("nan")


def snapshot(db: Db, r: redis.Redis, se_db: str) -> dict[str, tuple[int, int]]:
    stream_len = r.xlen("artstore:file-events")
    stream_bytes = r.memory_usage("artstore:file-events", samples=0) or 0
    return {
        "catalog": db.table("artstore_query", "catalog_files"),
        "se_index": db.table(se_db, "files"),
        "outbox": db.table(se_db, "outbox"),
        "wal": db.table(se_db, "wal"),
        "stream": (stream_len, stream_bytes),
    }


def sidecar_bytes(data_dirs: list[str]) -> float:
    sizes = [p.stat().st_size for d in data_dirs for p in Path(d).rglob("*.attr.json")]
    return sum(sizes) / len(sizes)


# The suite this model needs: stream trimming off (every entry stays to be measured).
SUITE_ENV = {"SE_EVENTS_TRIM_INTERVAL_SECONDS": "0", "RATE_LIMIT_DEFAULT_PER_MINUTE": "100000"}


def measure(env: dict[str, str], uploads: int = UPLOADS,
            audit_sample: int = AUDIT_SAMPLE) -> dict[str, float]:
    """Unit costs (bytes per row/entry/item) and rates (files/s) on a suite run with SUITE_ENV."""
    db, r = Db(env["PG_DSN"]), redis.Redis.from_url(env["REDIS_URL"])
    headers = suite_headers(env)
    first_round = max(uploads // 5, 50)
    se_db = "artstore_se_edit_1"  # uploads without a retention policy land on the edit SE

    def caught_up(ids: list[str]) -> bool:
        found = db.run("artstore_query",
                       "SELECT count(*) FROM catalog_files WHERE file_id = ANY($1::uuid[])", ids)
        return found == len(ids)

    first, _ = upload(env, headers, first_round)
    wait_until(lambda: caught_up(first), "the catalog (first round)")
    before = snapshot(db, r, se_db)
    rest, seconds = upload(env, headers, uploads - first_round)
    wait_until(lambda: caught_up(first + rest), "the catalog")
    after = snapshot(db, r, se_db)
    m = {name: per_row(before[name], after[name]) for name in before}
    m["ingest_files_per_s"] = len(rest) / seconds
    m["sidecar"] = sidecar_bytes(env["SE_DATA_DIRS"].split(","))
    m["documents_measured"] = after["catalog"][0]
    m["uploads"] = uploads

    # Redis: metadata cache items (the query module caches what it served).
    with httpx.Client(headers=headers, timeout=60) as client:
        for file_id in rest[:CACHE_SAMPLE]:
            client.get(f"{env['QUERY_URL']}/api/v1/files/{file_id}").raise_for_status()
    keys = list(r.scan_iter(match="artstore:query:file:*", count=1000))
    m["cache_item"] = sum(r.memory_usage(k, samples=0) or 0 for k in keys) / max(len(keys), 1)

    # Audit entries (refused token requests are audited) and rate-limit keys (one per client id).
    audit_before = db.table("artstore_admin", "audit_log")

    def refused(_i: int) -> None:
        httpx.post(env["ADMIN_URL"] + "/api/v1/auth/token", data={
            "grant_type": "client_credentials", "client_id": f"sizing-{uuid.uuid4().hex}",
            "client_secret": "wrong"}, timeout=60)

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(refused, range(audit_sample)))
    audit_after = db.table("artstore_admin", "audit_log")
    m["audit_entry"] = per_row(audit_before, audit_after)
    limit_keys = list(r.scan_iter(match="artstore:ratelimit*", count=1000))
    m["ratelimit_key"] = (sum(r.memory_usage(k, samples=0) or 0 for k in limit_keys)
                          / max(len(limit_keys), 1))
    timings = []
    for _ in range(3):
        started = time.monotonic()
        response = httpx.get(env["ADMIN_URL"] + "/api/v1/audit/verify", headers=headers,
                             timeout=600)
        response.raise_for_status()
        timings.append(time.monotonic() - started)
    m["audit_verify_per_s"] = audit_after[0] / min(timings)

    # SE index rebuild from the sidecars, and the catalog re-index from the SE listings.
    edit_se = env["SE_URLS"].split(",")[0]
    started = time.monotonic()
    response = httpx.post(edit_se + "/api/v1/maintenance/rebuild", headers=headers,
                          params={"mode": "full"}, timeout=3600)
    response.raise_for_status()
    m["rebuild_files_per_s"] = response.json()["sidecars"] / (time.monotonic() - started)
    started = time.monotonic()
    response = httpx.post(env["QUERY_URL"] + "/api/v1/admin/reindex", headers=headers, timeout=60)
    response.raise_for_status()

    def reindex_done() -> dict | None:
        status = httpx.get(env["QUERY_URL"] + "/api/v1/admin/reindex/status", headers=headers,
                           timeout=60).json()
        return None if status["running"] else status

    wait_until(lambda: reindex_done() is not None, "the re-index")
    status = reindex_done()
    m["reindex_files_per_s"] = status["totals"]["listed"] / (time.monotonic() - started)
    r.close()
    return m


def print_units(m: dict[str, float]) -> None:
    print(f"\nUnit costs measured on {int(m['documents_measured'])} documents "
          f"(difference of two rounds; {int(m['uploads'])} uploads):")
    rows = [
        ("catalog row (query DB, with indexes)", human_bytes(m["catalog"])),
        ("SE index row (SE DB, with indexes)", human_bytes(m["se_index"])),
        ("outbox row (purged after 72 h)", human_bytes(m["outbox"])),
        ("WAL row (purged after 72 h)", human_bytes(m["wal"])),
        ("sidecar (attr.json, bytes)", human_bytes(m["sidecar"])),
        ("audit entry (admin DB, with indexes)", human_bytes(m["audit_entry"])),
        ("Redis: stream entry", human_bytes(m["stream"])),
        ("Redis: cached metadata item", human_bytes(m["cache_item"])),
        ("Redis: rate-limit key (one client id)", human_bytes(m["ratelimit_key"])),
        ("ingest (8 parallel uploads)", f"{m['ingest_files_per_s']:.0f} files/s"),
        ("SE index rebuild from sidecars", f"{m['rebuild_files_per_s']:.0f} files/s"),
        ("catalog re-index from SE listings", f"{m['reindex_files_per_s']:.0f} files/s"),
        ("audit chain verification", f"{m['audit_verify_per_s']:.0f} entries/s"),
    ]
    for name, value in rows:
        print(f"  {name:<40} {value:>14}")


def project(m: dict[str, float]) -> None:
    window_entries = min(m["ingest_files_per_s"] * TRIM_SAFETY_SECONDS, STREAM_BOUND)
    redis_steady = window_entries * m["stream"] + HOT_CACHED_ITEMS * m["cache_item"]
    redis_worst = STREAM_BOUND * m["stream"] + HOT_CACHED_ITEMS * m["cache_item"]
    churn = m["ingest_files_per_s"] * OUTBOX_WAL_HOURS * 3600 * (m["outbox"] + m["wal"])
    print(f"\nProjection (Redis: steady = {TRIM_SAFETY_SECONDS} s safety window at "
          f"{m['ingest_files_per_s']:.0f} files/s + {HOT_CACHED_ITEMS:,} cached items; "
          f"worst = a stalled consumer at the {STREAM_BOUND:,}-entry bound):")
    header = ("documents", "SEs", "query DB", "SE DB each", "SE DBs total", "sidecars/SE",
              "admin DB", "Redis steady", "Redis worst", "rebuild/SE", "re-index",
              "audit verify")
    print("| " + " | ".join(header) + " |")
    print("|" + "|".join("---" for _ in header) + "|")
    for docs in DOCUMENTS:
        for ses in STORAGE_ELEMENTS:
            per_se = docs / ses
            cells = (
                f"{docs / 1e6:.0f}M", f"{ses:,}",
                human_bytes(docs * m["catalog"]),
                human_bytes(per_se * m["se_index"]),
                human_bytes(docs * m["se_index"]),
                human_bytes(per_se * max(m["sidecar"], FS_BLOCK)),
                human_bytes(docs * AUDIT_ENTRIES_PER_DOCUMENT * m["audit_entry"]),
                human_bytes(redis_steady),
                human_bytes(redis_worst),
                human_seconds(per_se / m["rebuild_files_per_s"]),
                human_seconds(docs / m["reindex_files_per_s"]),
                human_seconds(docs * AUDIT_ENTRIES_PER_DOCUMENT / m["audit_verify_per_s"]),
            )
            print("| " + " | ".join(cells) + " |")
    print(f"\nPlus, independent of the archive size: outbox + WAL rows for "
          f"{OUTBOX_WAL_HOURS} h of uploads at {m['ingest_files_per_s']:.0f} files/s = "
          f"{human_bytes(churn)} across the SE databases.")


def main() -> None:
    with running_suite("bench-sizing", SUITE_ENV, fast=True) as env:
        measured = measure(env)
    print_units(measured)
    project(measured)


if __name__ == "__main__":
    main()
