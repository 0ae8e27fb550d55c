"""SQL only in repositories (issue 9): endpoints and services call ``<domain>/repository.py``
functions; only those, ``db.py``, the models and the migrations build or run statements."""

from __future__ import annotations

from pathlib import Path

import admin_module
from artstore_common.testing import (
    package_sql_outside_repositories,
    sql_allowed,
    sql_outside_repositories,
)


def test_admin_module_runs_sql_only_in_repositories():
    assert package_sql_outside_repositories(Path(admin_module.__file__).parent) == []


def test_the_check_sees_each_kind_of_sql():
    source = (
        "import sqlalchemy\n"
        "from sqlalchemy import select, Integer\n"
        "from sqlalchemy.dialects.postgresql import insert\n"
        "async def f(session, pipe):\n"
        "    await session.execute(q)\n"
        "    await self.session.scalar(q)\n"
        "    await session.get(Model, 1)\n"
        "    await pipe.execute()\n"  # Redis: no statement
        "    settings.get('x')\n"
        "    session.info.get('key')\n"
    )
    assert [f.split(" ", 1)[1] for f in sql_outside_repositories(Path("x.py"), source)] == [
        "import sqlalchemy", "select from sqlalchemy", "insert from sqlalchemy.dialects.postgresql",
        "session.execute(...)", "self.session.scalar(...)", "session.get(...)"]
    assert not sql_allowed(Path("records/service.py"))
    assert sql_allowed(Path("records/repository.py")) and sql_allowed(Path("db.py"))
