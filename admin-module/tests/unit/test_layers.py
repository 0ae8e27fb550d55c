"""SQL only in repositories (issue 9): endpoints and services call ``<domain>/repository.py``
functions; only those, ``db.py``, the models and the migrations build or run statements."""

from __future__ import annotations

import ast
from pathlib import Path

import admin_module

PACKAGE = Path(admin_module.__file__).parent

# What builds a statement; column types, errors and AsyncSession may be imported anywhere.
STATEMENT_BUILDERS = {
    "select", "insert", "update", "delete", "text", "func", "exists", "union", "union_all",
    "and_", "or_", "not_", "true", "false", "null", "case", "cast", "literal", "literal_column",
    "bindparam", "tuple_", "lateral", "aliased", "Select",
}
RUNS_A_STATEMENT = {"execute", "scalar", "scalars", "stream_scalars", "exec_driver_sql"}
SESSION_ORM_QUERIES = {"get", "delete", "merge", "refresh"}


def allowed(relative: Path) -> bool:
    return (relative.name == "repository.py" or relative.parts[0] in ("models", "migrations")
            or relative == Path("db.py"))


def sql_outside_repositories(path: Path, source: str) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [f"{path}:{node.lineno} import {a.name}" for a in node.names
                      if a.name == "sqlalchemy"]
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("sqlalchemy"):
            found += [f"{path}:{node.lineno} {a.name} from {node.module}" for a in node.names
                      if a.name in STATEMENT_BUILDERS]
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            method, receiver = node.func.attr, ast.unparse(node.func.value)
            on_session = isinstance(node.func.value, ast.Name | ast.Attribute) \
                and "session" in receiver.rsplit(".", 1)[-1].lower()
            # A statement is always an argument: a Redis pipeline's execute() takes none.
            if (method in RUNS_A_STATEMENT and node.args) or (
                    method in SESSION_ORM_QUERIES and on_session):
                found.append(f"{path}:{node.lineno} {receiver}.{method}(...)")
    return found


def test_admin_module_runs_sql_only_in_repositories():
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE)
        if not allowed(relative):
            found += sql_outside_repositories(relative, path.read_text())
    assert found == []


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
    assert not allowed(Path("records/service.py"))
    assert allowed(Path("records/repository.py")) and allowed(Path("db.py"))
