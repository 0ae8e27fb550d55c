#!/usr/bin/env bash
# Starts the servers the tests need, runs every test, stops the servers.
set -uo pipefail
cd "$(dirname "$0")/.."
STATE=.artstore/test-stack
mkdir -p .artstore
stop_stack() { python3 scripts/stack.py stop --state "$STATE" >/dev/null 2>&1 || true; }
trap stop_stack EXIT
python3 scripts/stack.py start --state "$STATE" --fast >/dev/null || exit 1
export ARTSTORE_TEST_STATE="$PWD/$STATE"
.venv/bin/pytest -q --junitxml=.artstore/test-results.xml "$@"
