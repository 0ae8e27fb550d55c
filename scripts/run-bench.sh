#!/usr/bin/env bash
# Benchmarks that print figures (throughput, latency, peak RSS). Nothing here asserts a time.
# Each script starts what it needs (the local test stack, services as processes).
set -euo pipefail
cd "$(dirname "$0")/.."
trap 'python3 scripts/stack.py stop --state .artstore/test-stack >/dev/null 2>&1 || true' EXIT
for bench in se_transfer_1gib ingest_1gib query_download_1gib admin_tokens sizing search_scale; do
  echo "=== bench/$bench.py"
  .venv/bin/python "bench/$bench.py"
done
