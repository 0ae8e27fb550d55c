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
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx
import psutil
from support import ROOT, MiB, RssSampler, create_db, drop_dbs, load_stack, parse_size

from artstore_common.testing import ServiceProcess, TokenFactory


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="1G")
    parser.add_argument("--backend", choices=["local", "s3"], default="local")
    parser.add_argument("--compression", choices=["gzip", "br", "zstd"], default=None)
    parser.add_argument("--state-dir", default=str(ROOT / ".artstore" / "test-stack"))
    args = parser.parse_args()
    size = parse_size(args.size)

    stack = load_stack()
    stack_env = stack.start(["postgres", "redis", "s3"], args.state_dir, fast=True)
    db = f"se_bench_{uuid.uuid4().hex[:8]}"
    db_url = asyncio.run(create_db(stack_env["PG_DSN"], db))
    work = Path(tempfile.mkdtemp(prefix="se-bench-", dir=ROOT / ".artstore"))
    tokens = TokenFactory()
    (work / "jwt.pem").write_bytes(tokens.public_pem)
    env = {
        "SE_BACKEND": args.backend, "SE_DATA_DIR": str(work / "volume"),
        "DATABASE_URL": db_url,
        "REDIS_URL": stack_env["REDIS_URL"].rsplit("/", 1)[0] + "/3",
        "SE_EVENTS_STREAM": "artstore:file-events:bench",
        "JWT_PUBLIC_KEY_FILE": str(work / "jwt.pem"),
        "SE_S3_ENDPOINT_URL": stack_env["S3_ENDPOINT_URL"], "SE_S3_ACCESS_KEY": "testing",
        "SE_S3_SECRET_KEY": "testing", "SE_S3_BUCKET": f"bench-{uuid.uuid4().hex[:8]}",
        "SE_MAX_FILE_SIZE": str(max(size, 1024 * MiB)), "LOG_LEVEL": "WARNING",
        "SE_CAPACITY_BYTES": str(4 * size + 1024 * MiB),
        "SE_FIXITY_INTERVAL_SECONDS": "0", "SE_RECONCILE_INTERVAL_SECONDS": "0",
    }
    se = ServiceProcess("storage_element.main:create_app", env,
                        log_path=str(work / "se.log")).start(timeout=120)
    headers = tokens.headers("ADMIN", ttl=7200)
    try:
        idle = psutil.Process(se.proc.pid).memory_info().rss
        print(f"SE ({args.backend}) idle RSS: {idle / MiB:.1f} MiB; file size {size / MiB:.0f} MiB"
              + (f", compression {args.compression}" if args.compression else ""))
        body, digest = generated_body(size, compressible=bool(args.compression))
        attrs = {"original_filename": "bench.bin"}
        if args.compression:
            attrs["compression"] = args.compression
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
            up_peak = sampler.finish()["se"]
            r.raise_for_status()
            meta = r.json()
            assert meta["sha256"] == digest.hexdigest(), "upload checksum differs"
            stored = (meta.get("compression") or {}).get("stored_size", size)
            print(f"upload:   {size / MiB / up:8.1f} MiB/s  ({up:.1f} s)  "
                  f"peak SE RSS {up_peak / MiB:.1f} MiB  stored {stored / MiB:.1f} MiB")

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
            down_peak = sampler.finish()["se"]
            assert got == size and check.hexdigest() == meta["sha256"], "download differs"
            print(f"download: {size / MiB / down:8.1f} MiB/s  ({down:.1f} s)  "
                  f"peak SE RSS {down_peak / MiB:.1f} MiB  (SHA-256 verified)")
            print(f"peak SE RSS overall: {max(up_peak, down_peak) / MiB:.1f} MiB "
                  f"(idle {idle / MiB:.1f} MiB)")
    finally:
        se.stop()
        shutil.rmtree(work, ignore_errors=True)
        asyncio.run(drop_dbs(stack_env["PG_DSN"], [db]))
    sys.exit(0)


if __name__ == "__main__":
    main()
