"""Inside query_module no package imports one that imports it back, and SQL is only in
repositories (issue 9)."""

from __future__ import annotations

from pathlib import Path

import query_module
from artstore_common.testing import import_cycles, package_sql_outside_repositories


def test_query_module_has_no_package_level_import_loops():
    assert import_cycles(Path(query_module.__file__).parent) == []


def test_query_module_runs_sql_only_in_repositories():
    # search/syntax.py builds the tsquery expressions search/repository.py puts in its
    # statements; it runs nothing.
    assert package_sql_outside_repositories(
        Path(query_module.__file__).parent, also_allowed=(Path("search/syntax.py"),)) == []
