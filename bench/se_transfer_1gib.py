"""Storage-element benchmark: upload and download of a large file, throughput and peak RSS.

    .venv/bin/python bench/se_transfer_1gib.py [--size 1G] [--backend local|s3]
                                               [--compression gzip|br|zstd] [--keep-stack]

Starts (or reuses) the local stack via scripts/stack.py and one storage element as a real
process on a fresh database and volume, streams a generated body (never held whole in memory)
with PUT /api/v1/files/{id}, then downloads it with GET .../content verifying SHA-256. psutil
samples the SE's RSS every 20 ms. Flat memory means the peak barely moves with the file size.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import json
import os
import shutil
import time
import uuid

import httpx
import psutil
from support import (
    ROOT,
    MiB,
    RssSampler,
    create_db,
    drop_dbs,
    load_stack,
    parse_size,
    start_se,
    work_dir,
)

from artstore_common.testing import TokenFactory


def generated_body(size: int, compressible: bool):
    block = (b"ArtStore benchmark line, fairly compressible text.\n" * 20_000)[:MiB] \
        if compressible else os.urandom(MiB)
    digest = hashlib.sha256()

    def body():
        left = size
        counter = 0
        while left > 0:
            piece = block[: min(MiB, left)]
            # vary each block a little so nothing is trivially deduplicated
            piece = counter.to_bytes(8, "big") + piece[8:] if len(piece) >= 8 else piece
            counter += 1
            digest.update(piece)
            left -= len(piece)
            yield piece

    return body, digest


def run(size: int, backend: str, compression: str | None, state_dir: str) -> dict:
    """{"idle_rss", "upload_mib_s", "download_mib_s", "upload_peak_rss", "download_peak_rss",
    "stored_size"}: one file up and down, SHA-256 verified both ways."""
    stack_env = load_stack().start(["postgres", "redis", "s3"], state_dir, fast=True)
    db = f"se_bench_{uuid.uuid4().hex[:8]}"
    db_url = asyncio.run(create_db(stack_env["PG_DSN"], db))
    work = work_dir("se-")
    tokens = TokenFactory()
    (work / "jwt.pem").write_bytes(tokens.public_pem)
    se = None
    try:
        se = start_se(
            work, database_url=db_url, mode="edit", capacity=4 * size + 1024 * MiB,
            max_file_size=max(size, 1024 * MiB),
            redis_url=stack_env["REDIS_URL"].rsplit("/", 1)[0] + "/3",
            SE_BACKEND=backend, SE_EVENTS_STREAM="artstore:file-events:bench",
            SE_S3_ENDPOINT_URL=stack_env["S3_ENDPOINT_URL"], SE_S3_ACCESS_KEY="testing",
            SE_S3_SECRET_KEY="testing", SE_S3_BUCKET=f"bench-{uuid.uuid4().hex[:8]}")
        headers = tokens.headers("ADMIN", ttl=7200)
        result: dict = {"backend": backend, "compression": compression, "size": size,
                        "idle_rss": psutil.Process(se.proc.pid).memory_info().rss}
        body, digest = generated_body(size, compressible=bool(compression))
        attrs = {"original_filename": "bench.bin"}
        if compression:
            attrs["compression"] = compression
        file_id = uuid.uuid4()
        sampler = RssSampler({"se": se.proc.pid})
        sampler.start()
        started = time.perf_counter()
        with httpx.Client(timeout=None) as client:
            r = client.put(f"{se.url}/api/v1/files/{file_id}", content=body(), headers={
                **headers, "X-ArtStore-Declared-Size": str(size),
                "X-ArtStore-Attributes": base64.urlsafe_b64encode(
                    json.dumps(attrs).encode()).decode()})
            up = time.perf_counter() - started
            result["upload_peak_rss"] = sampler.finish()["se"]
            r.raise_for_status()
            meta = r.json()
            if meta["sha256"] != digest.hexdigest():
                raise RuntimeError("upload checksum differs")
            result["upload_mib_s"] = size / MiB / up
            result["stored_size"] = (meta.get("compression") or {}).get("stored_size", size)

            sampler = RssSampler({"se": se.proc.pid})
            sampler.start()
            check = hashlib.sha256()
            got = 0
            started = time.perf_counter()
            with client.stream("GET", f"{se.url}/api/v1/files/{file_id}/content",
                               headers=headers) as response:
                response.raise_for_status()
                for chunk in response.iter_raw(MiB):
                    check.update(chunk)
                    got += len(chunk)
            down = time.perf_counter() - started
            result["download_peak_rss"] = sampler.finish()["se"]
            if got != size or check.hexdigest() != meta["sha256"]:
                raise RuntimeError("download differs")
            result["download_mib_s"] = size / MiB / down
        return result
    finally:
        if se:
            se.stop()
        shutil.rmtree(work, ignore_errors=True)
        asyncio.run(drop_dbs(stack_env["PG_DSN"], [db]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="1G")
    parser.add_argument("--backend", choices=["local", "s3"], default="local")
    parser.add_argument("--compression", choices=["gzip", "br", "zstd"], default=None)
    parser.add_argument("--state-dir", default=str(ROOT / ".artstore" / "test-stack"))
    args = parser.parse_args()
    size = parse_size(args.size)
    r = run(size, args.backend, args.compression, args.state_dir)
    codec = f", compression {args.compression}" if args.compression else ""
    print(f"SE ({args.backend}) idle RSS: {r['idle_rss'] / MiB:.1f} MiB; file size "
          f"{size / MiB:.0f} MiB{codec}")
    print(f"upload:   {r['upload_mib_s']:8.1f} MiB/s  peak SE RSS {r['upload_peak_rss'] / MiB:.1f} "
          f"MiB  stored {r['stored_size'] / MiB:.1f} MiB")
    print(f"download: {r['download_mib_s']:8.1f} MiB/s  peak SE RSS "
          f"{r['download_peak_rss'] / MiB:.1f} MiB  (SHA-256 verified)")


if __name__ == "__main__":
    main()
