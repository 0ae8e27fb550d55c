"""The file-event stream stays flat: after many uploads Redis memory returns to the level it had
after a tenth of them, once the catalog has caught up, and a live consumer loses no event.

A suite of its own (its own Redis, so memory is measured in isolation) with a short trim interval
and safety window. ``ARTSTORE_STREAM_TRIM_UPLOADS`` sets the size: 2,000 by default (about 30 s
of uploads at ~67 files/s), 50,000 for the issue's full target (about 13 minutes at ~67 files/s).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import asyncpg
import httpx
import pytest
import redis
from e2e_support import client_token, wait_for

from artstore_common.contracts import FILE_EVENTS_STREAM, FileEvent, stream_overtaken_key

UPLOADS = int(os.environ.get("ARTSTORE_STREAM_TRIM_UPLOADS", "2000"))
# The hang guard grows with the size (5 uploads/s at worst), not a speed assertion.
pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600 + UPLOADS // 5)]
BASELINE = UPLOADS // 10
MEMORY_BOUND = 512 * 1024  # "a small bound": Redis may differ by this much, not more
SAFETY_SECONDS = 2
REPO_ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def trim_suite(suite_module):
    root = REPO_ROOT / ".artstore" / "test-suites" / f"{os.getpid()}-stream"
    shutil.rmtree(root, ignore_errors=True)
    handle = suite_module.Suite(root, fast=True, fixed_ports=False, with_ui=False, extra_env={
        "SE_EVENTS_TRIM_INTERVAL_SECONDS": "1",
        "SE_EVENTS_TRIM_SAFETY_SECONDS": str(SAFETY_SECONDS),
        "LOG_LEVEL": "WARNING",
    })
    try:
        env = handle.up()
        yield env
    finally:
        handle.down()
        if not os.environ.get("ARTSTORE_KEEP_TEST_SUITE"):  # keep the logs to read
            shutil.rmtree(root, ignore_errors=True)


class Witness(threading.Thread):
    """A live consumer group of its own that reads and acknowledges every created event."""

    def __init__(self, redis_url: str) -> None:
        super().__init__(daemon=True)
        self.client = redis.Redis.from_url(redis_url)
        self.client.xgroup_create(FILE_EVENTS_STREAM, "witness", id="$", mkstream=True)
        self.seen: set[str] = set()
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.is_set():
            response = self.client.xreadgroup("witness", "w1", {FILE_EVENTS_STREAM: ">"},
                                              count=500, block=500)
            for _stream, entries in response or []:
                for _id, fields in entries:
                    event = FileEvent.model_validate_json(fields[b"data"])
                    if event.type == "file.created":
                        self.seen.add(str(event.file_id))
                self.client.xack(FILE_EVENTS_STREAM, "witness", *(e[0] for e in entries))

    def stop(self) -> None:
        self.stopping.set()
        self.join()
        self.client.close()


def upload_many(env: dict[str, str], token: str, count: int) -> list[str]:
    def one(i: int) -> str:
        response = client.post(env["INGESTER_URL"] + "/api/v1/files", files={
            "file": (f"s{i}.txt", f"small file {i} {uuid.uuid4()}".encode())})
        assert response.status_code == 201, response.text
        return response.json()["file_id"]

    with httpx.Client(headers={"Authorization": f"Bearer {token}"}, timeout=120) as client, \
            ThreadPoolExecutor(8) as pool:
        return list(pool.map(one, range(count)))


def catalog_count(pg_dsn: str, ids: list[str]) -> int:
    async def count() -> int:
        conn = await asyncpg.connect(pg_dsn.rsplit("/", 1)[0] + "/artstore_query")
        try:
            return await conn.fetchval(
                "SELECT count(*) FROM catalog_files WHERE file_id = ANY($1::uuid[])", ids)
        finally:
            await conn.close()

    return asyncio.run(count())


def settled_memory(r: redis.Redis, env: dict[str, str], ids: list[str], witness: Witness) -> int:
    """Once the catalog and the witness have everything and the trim has run: used_memory."""
    wait_for(lambda: catalog_count(env["PG_DSN"], ids) == len(ids), "the catalog to catch up",
             timeout=600)
    wait_for(lambda: set(ids) <= witness.seen, "the witness to see every event", timeout=600)
    # Every entry is acknowledged by every group; after the safety window only entries
    # written since (none) may stay.
    wait_for(lambda: r.xlen(FILE_EVENTS_STREAM) == 0, "the stream to be trimmed", timeout=120)
    return int(r.info("memory")["used_memory"])


def test_redis_memory_stays_flat_and_no_event_is_lost(trim_suite):
    env = trim_suite
    token = client_token(env["ADMIN_URL"], env["ARTSTORE_CLIENT_ID"],
                         env["ARTSTORE_CLIENT_SECRET"])
    r = redis.Redis.from_url(env["REDIS_URL"])
    witness = Witness(env["REDIS_URL"])
    witness.start()
    try:
        started = time.monotonic()
        first = upload_many(env, token, BASELINE)
        after_baseline = settled_memory(r, env, first, witness)
        uploads_at = time.monotonic()
        rest = upload_many(env, token, UPLOADS - BASELINE)
        uploaded_at = time.monotonic()
        after_all = settled_memory(r, env, first + rest, witness)
        print(f"\n{BASELINE} uploads + settle: {uploads_at - started:.0f} s; "
              f"{UPLOADS - BASELINE} uploads: {uploaded_at - uploads_at:.0f} s "
              f"({(UPLOADS - BASELINE) / (uploaded_at - uploads_at):.0f} files/s); "
              f"settle: {time.monotonic() - uploaded_at:.0f} s")
    finally:
        witness.stop()

    info = r.xinfo_stream(FILE_EVENTS_STREAM)
    assert info["entries-added"] >= UPLOADS  # every event went through the stream
    groups = {g["name"].decode(): g for g in r.xinfo_groups(FILE_EVENTS_STREAM)}
    assert set(groups) == {"query", "admin-retention", "witness"}
    assert all(g["pending"] == 0 for g in groups.values())
    assert not r.exists(stream_overtaken_key(FILE_EVENTS_STREAM))  # nobody was overtaken
    # Kept untrimmed, the rest of the entries alone would exceed the bound many times over
    # (1.4 KB each measured), so the check below can fail.
    assert (UPLOADS - BASELINE) * 1000 > 2 * MEMORY_BOUND
    growth = after_all - after_baseline
    print(f"\nRedis used_memory after {BASELINE} uploads: {after_baseline} B, after {UPLOADS}: "
          f"{after_all} B (growth {growth} B)")
    assert growth < MEMORY_BOUND
    r.close()
