"""Test helpers: a token factory with a throwaway RSA key and its JWKS, throwaway databases on
the test PostgreSQL server, services run as real processes."""

from __future__ import annotations

import ast
import asyncio
import json
import threading
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from artstore_common.auth.scopes import scopes_for_role


class TokenFactory:
    def __init__(
        self, issuer: str = "artstore-admin", audience: str = "artstore", kid: str | None = None
    ) -> None:
        self.issuer = issuer
        self.audience = audience
        self.kid = kid or f"test-{uuid.uuid4().hex[:8]}"
        self.private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    @property
    def public_pem(self) -> bytes:
        return self.private_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    def jwks(self) -> dict[str, Any]:
        jwk = json.loads(RSAAlgorithm.to_jwk(self.private_key.public_key()))
        jwk.update({"kid": self.kid, "use": "sig", "alg": "RS256"})
        return {"keys": [jwk]}

    def issue(
        self,
        role: str = "ADMIN",
        *,
        subject: str | None = None,
        scopes: list[str] | None = None,
        ttl: int = 1800,
        not_before: int | None = None,
        ptype: str = "service_account",
        extra: dict[str, Any] | None = None,
        name: str | None = None,
    ) -> str:
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "aud": self.audience,
            "sub": subject or str(uuid.uuid4()),
            "iat": now,
            "nbf": not_before if not_before is not None else now,
            "exp": now + ttl,
            "jti": uuid.uuid4().hex,
            "role": role,
            "scope": " ".join(sorted(scopes if scopes is not None else scopes_for_role(role))),
            "ptype": ptype,
            "name": name or f"test-{role.lower()}",
        }
        claims.update(extra or {})
        return jwt.encode(claims, self.private_key, algorithm="RS256", headers={"kid": self.kid})

    def headers(self, role: str = "ADMIN", **kwargs: Any) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.issue(role, **kwargs)}"}


def run_sync(coro_fn: Callable[[], Awaitable[Any]]) -> Any:
    """Runs a coroutine to completion from sync code, even where an event loop already runs
    (async fixtures, pytest-asyncio): on a thread of its own with its own loop."""
    result: list[Any] = []
    errors: list[BaseException] = []

    def target() -> None:
        try:
            result.append(asyncio.run(coro_fn()))
        except BaseException as exc:  # re-raised in the caller
            errors.append(exc)

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if errors:
        raise errors[0]
    return result[0]


def database_url(pg_dsn: str, name: str) -> str:
    """The SQLAlchemy asyncpg URL of database ``name`` on the server ``pg_dsn`` points at."""
    base = pg_dsn.rsplit("/", 1)[0].split("://", 1)[1]
    return f"postgresql+asyncpg://{base}/{name}"


def database_name(url: str) -> str:
    """The database name of a URL (a bare name passes through)."""
    return url.rsplit("/", 1)[-1].split("?", 1)[0]


def pg_execute(pg_dsn: str, *statements: str) -> None:
    """Runs statements (``CREATE DATABASE`` and the like) on the server, one connection."""
    import asyncpg  # test-only; every service that owns tables installs it

    async def run() -> None:
        conn = await asyncpg.connect(pg_dsn)
        try:
            for statement in statements:
                await conn.execute(statement)
        finally:
            await conn.close()

    run_sync(run)


class ScratchDatabases:
    """Throwaway databases on the test server: ``create(prefix, template=...)`` makes an empty
    one (or a clone of a migrated template) and returns its URL; ``drop_all()`` drops them."""

    def __init__(self, pg_dsn: str) -> None:
        self.pg_dsn = pg_dsn
        self.created: list[str] = []

    def create(self, prefix: str = "test", *, template: str | None = None) -> str:
        name = f"{prefix}_{uuid.uuid4().hex[:10]}".lower()
        clone = f' TEMPLATE "{database_name(template)}"' if template else ""
        pg_execute(self.pg_dsn, f'CREATE DATABASE "{name}"{clone}')
        self.created.append(name)
        return database_url(self.pg_dsn, name)

    def drop(self, url: str) -> None:
        name = database_name(url)
        pg_execute(self.pg_dsn, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if name in self.created:
            self.created.remove(name)

    def drop_all(self) -> None:
        for name in list(self.created):
            try:
                self.drop(name)
            except Exception:  # noqa: BLE001 - best effort at session end
                pass


def package_imports(package_dir: Path) -> dict[str, dict[str, set[str]]]:
    """``{subpackage: {imported subpackage: {"module:line", ...}}}`` for the import package at
    ``package_dir``. A node is a direct subpackage or top-level module; every import counts,
    inside functions and ``TYPE_CHECKING`` blocks too (a lazy import is still an arrow)."""
    root = package_dir.name
    graph: dict[str, dict[str, set[str]]] = {}
    for path in sorted(package_dir.rglob("*.py")):
        parts = list(path.relative_to(package_dir.parent).with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        if is_package:
            parts.pop()
        if len(parts) < 2:
            continue
        source = parts[1]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = parts if is_package else parts[:-1]
                if node.level:
                    base = base[: len(base) - node.level + 1]
                    module = ".".join([*base, *([node.module] if node.module else [])])
                else:
                    module = node.module or ""
                targets = [module] + [f"{module}.{alias.name}" for alias in node.names]
            else:
                continue
            for target in targets:
                names = target.split(".")
                if names[0] == root and len(names) > 1 and names[1] != source:
                    where = f"{'.'.join(parts)}:{node.lineno}"
                    graph.setdefault(source, {}).setdefault(names[1], set()).add(where)
    return graph


def import_cycles(package_dir: Path) -> list[str]:
    """Pairs of subpackages that import each other, directly or through others, each with
    the imports that close the loop; empty when the package's import graph is layered."""
    graph = package_imports(package_dir)
    reach: dict[str, set[str]] = {}
    for start in graph:
        seen: set[str] = set()
        todo = list(graph[start])
        while todo:
            node = todo.pop()
            if node not in seen:
                seen.add(node)
                todo.extend(graph.get(node, {}))
        reach[start] = seen
    return sorted(
        f"{a} -> {b} ({', '.join(sorted(graph[a][b]))})"
        for a in graph for b in graph[a] if a in reach.get(b, set())
    )


# What builds a statement; column types, errors and AsyncSession may be imported anywhere.
STATEMENT_BUILDERS = {
    "select", "insert", "update", "delete", "text", "func", "exists", "union", "union_all",
    "and_", "or_", "not_", "true", "false", "null", "case", "cast", "literal", "literal_column",
    "bindparam", "tuple_", "lateral", "aliased", "Select",
}
RUNS_A_STATEMENT = {"execute", "scalar", "scalars", "stream_scalars", "exec_driver_sql"}
SESSION_ORM_QUERIES = {"get", "delete", "merge", "refresh"}


def sql_allowed(relative: Path) -> bool:
    """Where a service may build or run statements: repositories, ``db.py``, the models."""
    return (relative.name == "repository.py" or relative.parts[0] in ("models", "migrations")
            or relative in (Path("db.py"), Path("models.py")))


def sql_outside_repositories(path: Path, source: str) -> list[str]:
    """Each line of ``source`` that builds or runs a statement (issue 9: SQL only in
    repositories)."""
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


def package_sql_outside_repositories(package_dir: Path,
                                     also_allowed: tuple[Path, ...] = ()) -> list[str]:
    found = []
    for path in sorted(package_dir.rglob("*.py")):
        relative = path.relative_to(package_dir)
        if not sql_allowed(relative) and relative not in also_allowed:
            found += sql_outside_repositories(relative, path.read_text())
    return found


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ServiceProcess:
    """A service run as a real process on loopback (``python -m artstore_common.serve``).

    Used by end-to-end and crash tests: ``start()`` waits for ``/health/live``;
    ``kill()`` sends SIGKILL (no cleanup runs, as in a crash); ``stop()`` is graceful.
    """

    def __init__(
        self,
        factory: str,
        env: dict[str, str],
        *,
        port: int | None = None,
        log_path: str | None = None,
        name: str | None = None,
    ) -> None:
        self.factory = factory
        self.env = env
        self.port = port or free_port()
        self.name = name or factory.split(".")[0]
        self.log_path = log_path
        self.proc: Any = None
        self._log_file: Any = None

    @property
    def url(self) -> str:
        scheme = "https" if self.env.get("TLS_CERT_FILE") else "http"
        return f"{scheme}://127.0.0.1:{self.port}"

    @property
    def verify(self) -> Any:
        """What an httpx client needs to talk to this process (its ``TLS_CA_FILE``, if any)."""
        import ssl

        ca_file = self.env.get("TLS_CA_FILE")
        return ssl.create_default_context(cafile=ca_file) if ca_file else True

    def start(self, timeout: float = 60.0) -> ServiceProcess:
        import os
        import subprocess
        import sys

        import httpx

        env = {**os.environ, **self.env}
        env.setdefault("HOST", "127.0.0.1")
        env["PORT"] = str(self.port)
        cmd = [sys.executable, "-m", "artstore_common.serve", self.factory]
        if self.log_path:
            self._log_file = open(self.log_path, "ab")  # noqa: SIM115 - closed in stop()
        out = self._log_file or subprocess.DEVNULL
        self.proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.proc.returncode}: {self.tail()}")
            try:
                live = httpx.get(self.url + "/health/live", timeout=1.0, verify=self.verify)
                if live.status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.kill()
        raise RuntimeError(f"{self.name} did not become live in {timeout}s: {self.tail()}")

    def tail(self, lines: int = 40) -> str:
        if not self.log_path:
            return ""
        try:
            with open(self.log_path, encoding="utf-8", errors="replace") as fh:
                return "".join(fh.readlines()[-lines:])
        except OSError:
            return ""

    def kill(self) -> None:
        import signal

        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=30)

    def stop(self, timeout: float = 20.0) -> None:
        import signal
        import subprocess

        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.kill()
        if self._log_file:
            self._log_file.close()
            self._log_file = None
