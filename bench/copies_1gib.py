"""Upload throughput with one copy vs two copies (permanent files, two rw SEs).

    .venv/bin/python bench/copies_1gib.py [--size 1G] [--rounds 1]

Starts the whole local suite (scripts/suite.py, fast mode) under a temporary root, sets the
permanent copy policy to 1 copy, uploads, then to 2 copies (write quorum 2: the ingester streams
the upload to both SEs at once and answers when both are durable) and uploads again. Prints
MiB/s of each and their ratio; asserts nothing (figures go to README-PROJECT.md).
"""

from __future__ import annotations

import argparse
import time
import uuid

import httpx
from support import MiB, multipart_stream, parse_size, running_suite, suite_headers


def run(size: int, rounds: int) -> dict[int, float]:
    """{copies: best MiB/s} for one and two copies."""
    with running_suite("bench-copies", {"MAX_FILE_SIZE": str(size + MiB),
                                        "SE_MAX_FILE_SIZE": str(size + MiB)}, fast=True) as env:
        headers = suite_headers(env)
        results = {}
        for copies in (1, 2):
            httpx.put(env["ADMIN_URL"] + "/api/v1/copy-policies/permanent", headers=headers,
                      json={"target_copies": copies}, timeout=30).raise_for_status()
            time.sleep(3)  # the ingester follows the discovery document
            took = []
            for _ in range(rounds):
                boundary = uuid.uuid4().hex
                began = time.perf_counter()
                response = httpx.post(
                    env["INGESTER_URL"] + "/api/v1/files",
                    content=multipart_stream(size, boundary, {"retention_policy": "permanent"}),
                    headers={**headers,
                             "Content-Type": f"multipart/form-data; boundary={boundary}"},
                    timeout=httpx.Timeout(1800, connect=10))
                took.append(time.perf_counter() - began)
                response.raise_for_status()
                assert len(response.json()["copies"]) == copies, response.json()
            results[copies] = size / MiB / min(took)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="1G")
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args()
    size = parse_size(args.size)
    results = run(size, args.rounds)
    for copies, rate in results.items():
        print(f"{copies} cop{'y' if copies == 1 else 'ies'}: {size / MiB:.0f} MiB at "
              f"{rate:.1f} MiB/s")
    print(f"two copies run at {100 * results[2] / results[1]:.0f} % of single-copy throughput")


if __name__ == "__main__":
    main()
