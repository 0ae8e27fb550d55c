"""Inside ingester_module no package imports one that imports it back (issue 9)."""

from __future__ import annotations

from pathlib import Path

import ingester_module
from artstore_common.testing import import_cycles


def test_ingester_module_has_no_package_level_import_loops():
    assert import_cycles(Path(ingester_module.__file__).parent) == []
