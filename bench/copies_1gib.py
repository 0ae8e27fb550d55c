"""Upload throughput with one copy vs two copies (permanent files, two rw SEs).

    .venv/bin/python bench/copies_1gib.py [--size 1G] [--rounds 1]

Starts the whole local suite (scripts/suite.py, fast mode) under a temporary root, sets the
permanent copy policy to 1 copy, uploads, then to 2 copies (write quorum 2: the answer waits for
the second, SE → SE copy) and uploads again. Prints MiB/s of each and their ratio; asserts
nothing (figures go to README-PROJECT.md).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx
from support import ROOT, MiB, parse_size


def load_suite():
    spec = importlib.util.spec_from_file_location("artstore_suite", ROOT / "scripts" / "suite.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def multipart(size: int, boundary: str):
    block = os.urandom(MiB)
    yield (f"--{boundary}\r\nContent-Disposition: form-data; name=\"retention_policy\"\r\n\r\n"
           f"permanent\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; "
           f"filename=\"bench.bin\"\r\nContent-Type: application/octet-stream\r\n\r\n").encode()
    sent = 0
    while sent < size:
        piece = block if size - sent >= MiB else block[: size - sent]
        yield piece
        sent += len(piece)
    yield f"\r\n--{boundary}--\r\n".encode()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="1G")
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args()
    size = parse_size(args.size)
    suite_module = load_suite()
    root = Path(tempfile.mkdtemp(prefix="artstore-bench-copies-", dir=ROOT / ".artstore"))
    suite = suite_module.Suite(root, fast=True, fixed_ports=False, with_ui=False,
                               extra_env={"MAX_FILE_SIZE": str(size + MiB),
                                          "SE_MAX_FILE_SIZE": str(size + MiB)})
    try:
        env = suite.up()
        token = suite_module.client_token(env["ADMIN_URL"], env["ARTSTORE_CLIENT_ID"],
                                          env["ARTSTORE_CLIENT_SECRET"])
        headers = {"Authorization": f"Bearer {token}"}
        results = {}
        for copies in (1, 2):
            httpx.put(env["ADMIN_URL"] + "/api/v1/copy-policies/permanent", headers=headers,
                      json={"target_copies": copies}, timeout=30).raise_for_status()
            time.sleep(3)  # the ingester follows the discovery document
            took = []
            for _ in range(args.rounds):
                boundary = uuid.uuid4().hex
                began = time.perf_counter()
                response = httpx.post(
                    env["INGESTER_URL"] + "/api/v1/files", content=multipart(size, boundary),
                    headers={**headers,
                             "Content-Type": f"multipart/form-data; boundary={boundary}"},
                    timeout=httpx.Timeout(1800, connect=10))
                took.append(time.perf_counter() - began)
                response.raise_for_status()
                assert len(response.json()["copies"]) == copies, response.json()
            best = min(took)
            results[copies] = size / MiB / best
            print(f"{copies} cop{'y' if copies == 1 else 'ies'}: {size / MiB:.0f} MiB in "
                  f"{best:.2f} s = {results[copies]:.1f} MiB/s", flush=True)
        print(f"two copies run at {100 * results[2] / results[1]:.0f} % of single-copy "
              f"throughput")
    finally:
        suite.down()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
