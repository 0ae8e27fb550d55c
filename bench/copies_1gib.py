"""Upload throughput with one copy vs two copies (permanent files, two rw SEs).

    .venv/bin/python bench/copies_1gib.py [--size 1G] [--rounds 1]

Starts the whole local suite (scripts/suite.py, fast mode) under a temporary root, sets the
permanent copy policy to 1 copy, uploads, then to 2 copies (write quorum 2: the ingester streams
the upload to both SEs at once and answers when both are durable) and uploads again; with
``--rounds N`` it alternates 1, 2, 1, 2 … so both see the same load. Prints MiB/s of each, their
ratio, the load average, and the CPU seconds per GiB each process spent (the ingester, each SE,
this client): on a shared machine the MiB/s swing with the load, the CPU seconds much less.
Asserts nothing (figures go to README-PROJECT.md).
"""

from __future__ import annotations

import argparse
import os
import time
import uuid
from urllib.parse import urlparse

import httpx
import psutil
from support import MiB, multipart_stream, parse_size, running_suite, suite_headers


def listening(url: str) -> psutil.Process:
    port = urlparse(url).port
    return next(psutil.Process(c.pid) for c in psutil.net_connections("tcp")
                if c.status == psutil.CONN_LISTEN and c.laddr.port == port)


def cpu_seconds(procs: dict[str, psutil.Process]) -> dict[str, float]:
    return {name: sum(p.cpu_times()[:2]) for name, p in procs.items()}


def run(size: int, rounds: int) -> dict[int, dict]:
    """{copies: {"rate": best MiB/s, "cpu": {process: CPU s per GiB of that run}, "load"}}."""
    with running_suite("bench-copies", {"MAX_FILE_SIZE": str(size + MiB),
                                        "SE_MAX_FILE_SIZE": str(size + MiB)}, fast=True) as env:
        headers = suite_headers(env)
        procs = {"ingester": listening(env["INGESTER_URL"]), "client": psutil.Process()}
        procs.update({f"se:{urlparse(u).port}": listening(u)
                      for u in env["SE_URLS"].split(",")})
        results: dict[int, dict] = {}
        for _ in range(rounds):
            for copies in (1, 2):
                httpx.put(env["ADMIN_URL"] + "/api/v1/copy-policies/permanent",
                          headers=headers, json={"target_copies": copies},
                          timeout=30).raise_for_status()
                time.sleep(3)  # the ingester follows the discovery document
                boundary = uuid.uuid4().hex
                before = cpu_seconds(procs)
                began = time.perf_counter()
                response = httpx.post(
                    env["INGESTER_URL"] + "/api/v1/files",
                    content=multipart_stream(size, boundary, {"retention_policy": "permanent"}),
                    headers={**headers,
                             "Content-Type": f"multipart/form-data; boundary={boundary}"},
                    timeout=httpx.Timeout(1800, connect=10))
                took = time.perf_counter() - began
                response.raise_for_status()
                assert len(response.json()["copies"]) == copies, response.json()
                after = cpu_seconds(procs)
                rate = size / MiB / took
                if rate > results.get(copies, {}).get("rate", 0):
                    results[copies] = {"rate": rate, "load": os.getloadavg()[0], "cpu": {
                        k: (after[k] - before[k]) * 1024 * MiB / size for k in procs
                        if after[k] - before[k] > 0.2 * size / (1024 * MiB)}}
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="1G")
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args()
    size = parse_size(args.size)
    results = run(size, args.rounds)
    for copies, r in results.items():
        cpu = ", ".join(f"{k} {v:.2f}" for k, v in sorted(r["cpu"].items()))
        print(f"{copies} cop{'y' if copies == 1 else 'ies'}: {size / MiB:.0f} MiB at "
              f"{r['rate']:.1f} MiB/s (load {r['load']:.1f}); CPU s per GiB: {cpu}; "
              f"total {sum(r['cpu'].values()):.2f}")
    print(f"two copies run at {100 * results[2]['rate'] / results[1]['rate']:.0f} % of "
          f"single-copy throughput")


if __name__ == "__main__":
    main()
