"""Runs the admin UI's Vitest unit tests (`ng test --watch=false`) as part of `make test`, so the
one test command covers the Angular code too. The specs live next to the code in admin-ui/src."""

from __future__ import annotations

import subprocess
from pathlib import Path

UI_DIR = Path(__file__).resolve().parent.parent / "admin-ui"


def test_angular_unit_tests_pass():
    if not (UI_DIR / "node_modules").exists():
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"],
                       cwd=UI_DIR, check=True)
    result = subprocess.run(["npx", "ng", "test", "--watch=false", "--no-progress"], cwd=UI_DIR,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-3000:]
    assert " passed" in result.stdout and " failed" not in result.stdout, result.stdout[-3000:]
