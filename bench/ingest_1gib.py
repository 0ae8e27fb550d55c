"""Ingest benchmark: throughput and peak RSS of the ingester and the SE per file size, against
`dd conv=fsync` of the same bytes on the same disk.

    .venv/bin/python bench/ingest_1gib.py [--sizes 100M,1G]

Starts the local stack (PostgreSQL, Redis via scripts/stack.py), the admin module (the
ingester's service-account token), one local-disk storage element and the ingester as real
processes, then uploads files generated on the fly (never written whole anywhere but on the
SE) as a chunked multipart stream. psutil samples each process's RSS every 20 ms. After each
upload `dd conv=fsync` writes the same bytes next to the SE's volume: the raw-disk reference.
Flat memory means the 1 GiB peak is about the same as the 100 MiB peak.
"""

from __future__ import annotations

import argparse
import time
import uuid

import httpx
import psutil
from support import (
    ROOT,
    MiB,
    RssSampler,
    dd_fsync_seconds,
    ingest_pipeline,
    multipart_stream,
    parse_size,
)


def run(sizes: list[int], state_dir: str) -> dict:
    """{"idle_rss": {...}, "sizes": [{size, seconds, mib_s, dd_mib_s, ratio_to_dd, peak_rss}]}"""
    capacity = 2 * max(sizes) + 1024 * MiB
    with ingest_pipeline(state_dir, "ingest-", capacity=capacity,
                         max_file_size=max(sizes) + MiB) as pipeline:
        work, ingester, se = pipeline.work, pipeline.ingester, pipeline.se
        headers = pipeline.tokens.headers("USER", ttl=7200)
        pids = {"ingester": ingester.proc.pid, "se": se.proc.pid}
        result: dict = {"idle_rss": {n: psutil.Process(p).memory_info().rss
                                     for n, p in pids.items()}, "sizes": []}
        warm = httpx.post(ingester.url + "/api/v1/files", headers=headers,
                          files={"file": ("warm.txt", b"warm-up", "text/plain")})
        warm.raise_for_status()  # token, JWKS and connections ready before measuring
        for size in sizes:
            boundary = uuid.uuid4().hex
            sampler = RssSampler(pids)
            sampler.start()
            began = time.perf_counter()
            response = httpx.post(
                ingester.url + "/api/v1/files",
                content=multipart_stream(size, boundary, {"ttl_days": "1"}),
                headers={**headers,
                         "Content-Type": f"multipart/form-data; boundary={boundary}"},
                timeout=httpx.Timeout(900, connect=10))
            took = time.perf_counter() - began
            peak = sampler.finish()
            if response.status_code != 201 or response.json()["size"] != size:
                raise RuntimeError(f"upload of {size} bytes: {response.status_code} "
                                   f"{response.text[:300]}")
            dd = dd_fsync_seconds(work / "dd.bin", size)
            result["sizes"].append({
                "size": size, "seconds": took, "mib_s": size / MiB / took,
                "dd_seconds": dd, "dd_mib_s": size / MiB / dd, "ratio_to_dd": dd / took,
                "peak_rss": peak})
        return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100M,1G")
    parser.add_argument("--state-dir", default=str(ROOT / ".artstore" / "test-stack"))
    args = parser.parse_args()
    result = run([parse_size(s) for s in args.sizes.split(",")], args.state_dir)
    idle = result["idle_rss"]
    print(f"idle RSS: ingester {idle['ingester'] / MiB:.1f} MiB, se {idle['se'] / MiB:.1f} MiB")
    print(f"{'size':>10} {'seconds':>8} {'MiB/s':>8} {'dd MiB/s':>9} {'ratio':>6} "
          f"{'peak ingester':>14} {'peak se':>9}")
    for row in result["sizes"]:
        print(f"{row['size'] / MiB:>8.0f}Mi {row['seconds']:>8.2f} {row['mib_s']:>8.1f} "
              f"{row['dd_mib_s']:>9.1f} {row['ratio_to_dd']:>6.2f} "
              f"{row['peak_rss']['ingester'] / MiB:>11.1f}MiB "
              f"{row['peak_rss']['se'] / MiB:>6.1f}MiB")


if __name__ == "__main__":
    main()
