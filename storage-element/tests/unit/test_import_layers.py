"""Inside storage_element no package imports one that imports it back (issue 9)."""

from __future__ import annotations

from pathlib import Path

import storage_element
from artstore_common.testing import import_cycles


def test_storage_element_has_no_package_level_import_loops():
    assert import_cycles(Path(storage_element.__file__).parent) == []
