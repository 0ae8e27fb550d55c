#!/usr/bin/env bash
# Starts the servers the tests need, runs every test, stops the servers; then, on a full run
# (no arguments), the container stage (scripts/test-containers.sh: every image built, the
# compose stack run and smoke-tested; ARTSTORE_SKIP_CONTAINERS=1 skips it outside CI).
set -uo pipefail
cd "$(dirname "$0")/.."
STATE=.artstore/test-stack
mkdir -p .artstore
stop_stack() { python3 scripts/stack.py stop --state "$STATE" >/dev/null 2>&1 || true; }
trap stop_stack EXIT
python3 scripts/stack.py start --state "$STATE" --fast >/dev/null || exit 1
export ARTSTORE_TEST_STATE="$PWD/$STATE"
.venv/bin/pytest -q --junitxml=.artstore/test-results.xml "$@"
status=$?
stop_stack
if [ $# -eq 0 ]; then
    bash scripts/test-containers.sh || status=1
fi
exit $status
