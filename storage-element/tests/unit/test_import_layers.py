"""Inside storage_element no package imports one that imports it back, and SQL is only in
repositories (issue 9)."""

from __future__ import annotations

from pathlib import Path

import storage_element
from artstore_common.testing import import_cycles, package_sql_outside_repositories


def test_storage_element_has_no_package_level_import_loops():
    assert import_cycles(Path(storage_element.__file__).parent) == []


def test_storage_element_runs_sql_only_in_repositories():
    assert package_sql_outside_repositories(Path(storage_element.__file__).parent) == []
