"""Small-file benchmark: 4 KiB uploads/s with p50/p95/p99, as a ratio to a bare fsync endpoint.

    .venv/bin/python bench/small_files.py [--count 1000] [--concurrency 16] [--size 4K] [--json]

Starts the local stack (PostgreSQL, Redis via scripts/stack.py), the admin module (the
ingester's service-account token), one local-disk storage element, the ingester and
bench/bare_fsync_app.py (write + fsync + rename + directory fsync, nothing else) as real
processes, then sends `--count` uploads of distinct random bodies at `--concurrency` to each:
the bare endpoint, the SE directly (PUT /api/v1/files/{id}) and the ingester
(POST /api/v1/files, multipart). This machine is shared, so the useful figure is the ratio to
the bare endpoint measured in the same run. `--json` prints one JSON object instead of the table.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import json
import os
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import httpx
import psutil
from support import (
    ROOT,
    MiB,
    ingest_pipeline,
    parse_size,
)

from artstore_common.testing import free_port

SECRET = "bench-ingester-secret-0123456789abcdef"


def _attributes(name: str) -> str:
    raw = json.dumps({"original_filename": name, "retention_policy": "temporary",
                      "ttl_days": 1}).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _multipart(body: bytes, boundary: str) -> bytes:
    return (f"--{boundary}\r\nContent-Disposition: form-data; name=\"ttl_days\"\r\n\r\n1\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; "
            f"filename=\"page.bin\"\r\nContent-Type: application/octet-stream\r\n\r\n"
            ).encode() + body + f"\r\n--{boundary}--\r\n".encode()


def _request(target: str, url: str, headers: dict[str, str], size: int):
    """(method, url, headers, body) for one upload to `target`."""
    body = os.urandom(size)
    if target == "bare":
        return "PUT", url, {}, body
    if target == "se":
        file_id = uuid.uuid4()
        return "PUT", f"{url}/api/v1/files/{file_id}", {
            **headers, "X-ArtStore-Attributes": _attributes(f"{file_id}.bin"),
            "Content-Type": "application/octet-stream"}, body
    boundary = uuid.uuid4().hex
    return "POST", f"{url}/api/v1/files", {
        **headers, "Content-Type": f"multipart/form-data; boundary={boundary}"}, \
        _multipart(body, boundary)


def _cpu(pids: dict[str, int]) -> dict[str, float]:
    times = {name: psutil.Process(pid).cpu_times() for name, pid in pids.items()}
    return {name: t.user + t.system for name, t in times.items()}


async def _run(target: str, url: str, headers: dict[str, str], size: int, count: int,
               concurrency: int, pids: dict[str, int]) -> dict[str, float]:
    requests = [_request(target, url, headers, size) for _ in range(count)]
    latencies: list[float] = []
    failures: list[str] = []
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:
        async def one(request) -> None:
            method, address, head, body = request
            began = time.perf_counter()
            async with session.request(method, address, headers=head, data=body) as response:
                text = await response.read()
                if response.status != 201:
                    failures.append(f"{response.status} {text[:200]!r}")
            latencies.append(time.perf_counter() - began)

        async def worker(queue: list) -> None:
            while queue:
                await one(queue.pop())

        warm = [_request(target, url, headers, size) for _ in range(min(50, count))]
        await asyncio.gather(*(worker(warm) for _ in range(concurrency)))
        latencies.clear()
        cpu = _cpu(pids)
        began = time.perf_counter()
        await asyncio.gather(*(worker(requests) for _ in range(concurrency)))
        took = time.perf_counter() - began
        cpu = {name: spent - cpu[name] for name, spent in _cpu(pids).items()}
    if failures:
        raise SystemExit(f"{target}: {len(failures)} uploads failed, first: {failures[0]}")
    cuts = statistics.quantiles(latencies, n=100)
    # CPU per file of each server process: steadier than the rate on a loaded machine.
    return {"files_per_s": round(count / took, 1), "p50_ms": round(cuts[49] * 1000, 1),
            "p95_ms": round(cuts[94] * 1000, 1), "p99_ms": round(cuts[98] * 1000, 1),
            **{f"cpu_ms_per_file_{name}": round(spent / count * 1000, 2)
               for name, spent in cpu.items()}}


@contextlib.contextmanager
def _bare_endpoint(directory: Path, log: Path) -> Iterator[tuple[int, str]]:
    """(pid, url) of the bare fsync endpoint, stopped afterwards."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "bare_fsync_app:app", "--app-dir", str(ROOT / "bench"),
         "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning",
         "--no-access-log"],
        env={**os.environ, "BARE_DIR": str(directory)}, stdout=log.open("ab"),
        stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                httpx.put(url, content=b"x", timeout=1.0)
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        else:
            raise SystemExit(f"the bare endpoint did not start: {log.read_text()[-2000:]}")
        yield proc.pid, url
    finally:
        proc.terminate()
        proc.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000, help="uploads per target")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--size", default="4K")
    parser.add_argument("--targets", default="bare,se,ingester")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--state-dir", default=str(ROOT / ".artstore" / "test-stack"))
    parser.add_argument("--keep", action="store_true",
                        help="leave the services running until Enter (to attach a profiler)")
    args = parser.parse_args()
    size, targets = parse_size(args.size), args.targets.split(",")

    say = (lambda *a: None) if args.json else print
    with (ingest_pipeline(args.state_dir, "small-", capacity=64 * 1024 * MiB,
                          max_file_size=max(size, MiB)) as pipeline,
          _bare_endpoint(pipeline.work / "bare", pipeline.work / "bare.log") as (bare_pid,
                                                                                bare_url)):
        se, ingester, tokens = pipeline.se, pipeline.ingester, pipeline.tokens
        if args.keep:
            print(f"pids: se {se.proc.pid}, ingester {ingester.proc.pid}, bare {bare_pid}; "
                  "press Enter to run", flush=True)
            sys.stdin.readline()
        urls = {"bare": bare_url, "se": se.url, "ingester": ingester.url}
        pids = {"bare": {"bare": bare_pid}, "se": {"se": se.proc.pid},
                "ingester": {"ingester": ingester.proc.pid, "se": se.proc.pid}}
        headers = tokens.headers("USER")
        results: dict[str, dict[str, float]] = {}
        say(f"{args.count} uploads of {size} bytes per target at concurrency {args.concurrency}")
        say(f"{'target':>10} {'files/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} "
            f"{'ratio':>6}  CPU ms per file")
        for target in targets:
            results[target] = asyncio.run(_run(target, urls[target], headers, size, args.count,
                                               args.concurrency, pids[target]))
            base = results.get("bare", {}).get("files_per_s")
            if base:
                results[target]["ratio_to_bare"] = round(results[target]["files_per_s"] / base, 3)
            r = results[target]
            say(f"{target:>10} {r['files_per_s']:>8.1f} {r['p50_ms']:>8.1f} {r['p95_ms']:>8.1f} "
                f"{r['p99_ms']:>8.1f} {r.get('ratio_to_bare', float('nan')):>6.3f}  "
                + " ".join(f"{k[len('cpu_ms_per_file_'):]} {v}" for k, v in r.items()
                           if k.startswith("cpu_ms_per_file_")))
        if args.json:
            print(json.dumps({"size_bytes": size, "count": args.count,
                              "concurrency": args.concurrency, "cpu_count": os.cpu_count(),
                              **results}))


if __name__ == "__main__":
    main()
