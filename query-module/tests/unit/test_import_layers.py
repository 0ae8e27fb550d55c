"""Inside query_module no package imports one that imports it back (issue 9)."""

from __future__ import annotations

from pathlib import Path

import query_module
from artstore_common.testing import import_cycles


def test_query_module_has_no_package_level_import_loops():
    assert import_cycles(Path(query_module.__file__).parent) == []
