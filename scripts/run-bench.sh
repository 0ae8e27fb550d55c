#!/usr/bin/env bash
# Every benchmark in one run (bench/run_all.py): one table on stdout, JSON in .artstore/bench/.
# Options pass through: --quick, --search-docs N[,N...], --only NAME,... Nothing here asserts a time.
set -euo pipefail
cd "$(dirname "$0")/.."
trap 'python3 scripts/stack.py stop --state .artstore/test-stack >/dev/null 2>&1 || true' EXIT
.venv/bin/python bench/run_all.py "$@"
