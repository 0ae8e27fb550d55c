#!/usr/bin/env bash
# Installs uv if missing and syncs the workspace venv (.venv) from uv.lock.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v uv >/dev/null 2>&1; then
  if [ -x .artstore/tools/bin/uv ]; then
    export PATH="$PWD/.artstore/tools/bin:$PATH"
  else
    echo "installing uv ..."
    python3 -m pip install --quiet --disable-pip-version-check --target .artstore/tools/uv-pkg uv
    mkdir -p .artstore/tools/bin
    ln -sf "$PWD/.artstore/tools/uv-pkg/bin/uv" .artstore/tools/bin/uv
    export PATH="$PWD/.artstore/tools/bin:$PATH"
  fi
fi
# The machine's Python 3.11: uv cannot download interpreters here.
uv sync --all-packages --locked --quiet --python "$(command -v python3)"
