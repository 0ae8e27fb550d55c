"""Small files on the whole suite: 4 KiB uploads through the ingester and downloads through the
query module (rate, p50/p95/p99 at a given concurrency), and the catalog visibility lag (upload
201 → the file found by search).

    .venv/bin/python bench/small_reads.py [--files 2000] [--concurrency 16] [--lag-samples 50]

Starts its own suite (admin, two SEs, ingester, query; PostgreSQL and Redis of its own, with
fsync on, as `make up` runs them). The lag is measured one upload at a time, polling
`GET /api/v1/search?tags=<unique tag>` every 5 ms from the moment the upload answered 201.
The ingester's own small-file figure against a bare ASGI write+fsync endpoint is
bench/small_files.py; this script is the read side and the lag.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
import uuid

import httpx
from support import latency_summary, pct, running_suite, suite_headers

SIZE = 4096


async def _pool(concurrency: int, count: int, one) -> tuple[list[float], float]:
    latencies: list[float] = []
    todo = iter(range(count))

    async def worker() -> None:
        for i in todo:
            began = time.perf_counter()
            await one(i)
            latencies.append(time.perf_counter() - began)

    began = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return latencies, time.perf_counter() - began


async def _upload(client: httpx.AsyncClient, url: str, tags: str) -> str:
    response = await client.post(url + "/api/v1/files", data={"tags": tags},
                                 files={"file": ("page.bin", os.urandom(SIZE))})
    if response.status_code != 201:
        raise RuntimeError(f"upload: {response.status_code} {response.text[:300]}")
    return response.json()["file_id"]


async def _found(client: httpx.AsyncClient, url: str, tag: str) -> int:
    response = await client.get(url + "/api/v1/search", params={"tags": tag, "limit": 1})
    response.raise_for_status()
    return response.json()["total"]


async def measure(env: dict[str, str], files: int, concurrency: int, lag_samples: int) -> dict:
    """{"upload", "download": {count, per_s, p50_ms, p95_ms, p99_ms}, "catalog_catch_up_s",
    "lag": {count, p50_ms, p95_ms, max_ms}}"""
    ingester, query = env["INGESTER_URL"], env["QUERY_URL"]
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(headers=suite_headers(env), timeout=120,
                                 limits=limits) as client:
        await _upload(client, ingester, "warm-up")  # token, JWKS, connections ready
        bulk = f"bulk{uuid.uuid4().hex[:12]}"
        ids: list[str] = []

        async def up(_i: int) -> None:
            ids.append(await _upload(client, ingester, bulk))

        up_lat, up_took = await _pool(concurrency, files, up)
        began = time.perf_counter()
        while await _found(client, query, bulk) < files:
            await asyncio.sleep(0.05)
        catch_up = time.perf_counter() - began

        async def down(i: int) -> None:
            response = await client.get(f"{query}/api/v1/files/{ids[i]}/download")
            if response.status_code != 200 or len(response.content) != SIZE:
                raise RuntimeError(f"download: {response.status_code} {response.text[:300]}")

        down_lat, down_took = await _pool(concurrency, files, down)

        lags = []
        for _ in range(lag_samples):
            tag = f"lag{uuid.uuid4().hex[:12]}"
            await _upload(client, ingester, tag)
            answered = time.perf_counter()
            while not await _found(client, query, tag):
                await asyncio.sleep(0.005)
            lags.append(time.perf_counter() - answered)
    return {"file_size": SIZE, "concurrency": concurrency,
            "upload": latency_summary(up_lat, up_took),
            "download": latency_summary(down_lat, down_took),
            "catalog_catch_up_s": catch_up,
            "lag": {"count": len(lags), "p50_ms": pct(lags, 0.5), "p95_ms": pct(lags, 0.95),
                    "max_ms": max(lags) * 1000}}


def run(files: int, concurrency: int, lag_samples: int) -> dict:
    with running_suite("bench-small") as env:
        return asyncio.run(measure(env, files, concurrency, lag_samples))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--lag-samples", type=int, default=50)
    args = parser.parse_args()
    r = run(args.files, args.concurrency, args.lag_samples)
    for what in ("upload", "download"):
        m = r[what]
        print(f"{what:>8} {m['count']} x 4 KiB at concurrency {args.concurrency}: "
              f"{m['per_s']:.0f} files/s  p50 {m['p50_ms']:.1f} ms  p95 {m['p95_ms']:.1f} ms  "
              f"p99 {m['p99_ms']:.1f} ms")
    lag = r["lag"]
    print(f"catalog visibility lag (201 → found by search), {lag['count']} samples: "
          f"p50 {lag['p50_ms']:.1f} ms  p95 {lag['p95_ms']:.1f} ms  max {lag['max_ms']:.1f} ms")
    print(f"catalog caught up with the bulk {r['catalog_catch_up_s']:.1f} s after its last 201")


if __name__ == "__main__":
    main()
