"""Issue 14, "Done when": schema-driven fuzzing and the RBAC matrix over every service.

Both run against a suite of their own (admin, two SEs, ingester, query as processes on their
own PostgreSQL and Redis under ``.artstore/test-suites/fuzz-<pid>``), never a shared one: the
fuzzer creates accounts, rotates keys and switches SE modes.

* Schemathesis generates positive and negative cases from each service's OpenAPI (taken from
  the app object, so it works whatever the docs settings) and sends them with a valid ADMIN
  token (an admin user's token on the admin-user-only routes). Every answer must be below 500,
  and every error must be in the documented shape. ``ARTSTORE_FUZZ_EXAMPLES`` (default 15 per
  operation and mode) sizes the run; e.g. ``ARTSTORE_FUZZ_EXAMPLES=200`` for a long one.
* The RBAC matrix: every route of every service × every role of the scope table plus an
  unknown role and no token; 401/403 exactly when ``artstore_common.auth.scopes`` says so.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import jwt
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable

from artstore_common.auth.scopes import ADMIN_USER_ROLES, ROLE_SCOPES, SERVICE_ACCOUNT_ROLES

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

REPO_ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = int(os.environ.get("ARTSTORE_FUZZ_EXAMPLES", "15"))
SERVICES = {  # run.env key → app factory module
    "ADMIN_URL": "admin_module.main",
    "SE_URL": "storage_element.main",
    "INGESTER_URL": "ingester_module.main",
    "QUERY_URL": "query_module.main",
}
PUBLIC_OPERATIONS = {
    "GET /health/live", "GET /health/ready", "POST /api/v1/auth/token", "GET /api/v1/auth/jwks",
    "GET /.well-known/jwks.json", "POST /api/v1/admin-auth/login",
    "POST /api/v1/admin-auth/refresh",
}
UNKNOWN_ROLE = "GHOST"
ERROR_KEYS = {"code", "message", "details"}
STATUSES: dict[int, int] = {}


# --- the suite, its schemas and tokens -------------------------------------------------------
@pytest.fixture(scope="module")
def fuzz_env(suite_module) -> Iterator[dict[str, str]]:
    root = REPO_ROOT / ".artstore" / "test-suites" / f"fuzz-{os.getpid()}"
    shutil.rmtree(root, ignore_errors=True)
    handle = suite_module.Suite(root, fast=True, fixed_ports=False, with_ui=False)
    try:
        env = handle.up()
    except Exception:
        handle.down()
        raise
    env = {**env, "SE_URL": env["SE_URLS"].split(",")[0],
           "JWT_KEYS_ENCRYPTION_KEY": suite_module.load_secrets(root)["JWT_KEYS_ENCRYPTION_KEY"]}
    yield env
    handle.down()
    if not os.environ.get("ARTSTORE_KEEP_TEST_SUITE"):
        shutil.rmtree(root, ignore_errors=True)


@contextmanager
def _environ(**values: str) -> Iterator[None]:
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@pytest.fixture(scope="module")
def schemas() -> dict[str, dict[str, Any]]:
    """Each service's OpenAPI from its app object (no server needs to publish /openapi.json)."""
    import importlib

    out = {}
    with _environ(JWKS_URL="http://127.0.0.1:9/unused", ENVIRONMENT="development"):
        for key, module in SERVICES.items():
            out[key] = importlib.import_module(module).create_app().openapi()
    return out


def operations(schema: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            yield method.upper(), path, operation


class Signer:
    """Mints tokens with the admin module's own active signing key, so any role (an unknown
    one too) can be presented to every service exactly as a real token would be."""

    def __init__(self, env: dict[str, str]) -> None:
        from admin_module.keys import crypto

        async def load() -> tuple[str, bytes]:
            dsn = env["PG_DSN"].rsplit("/", 1)[0] + "/artstore_admin"
            conn = await asyncpg.connect(dsn)
            try:
                row = await conn.fetchrow(
                    "SELECT kid, private_key_encrypted FROM jwt_signing_keys WHERE retired_at"
                    " IS NULL AND activated_at IS NOT NULL ORDER BY activated_at DESC LIMIT 1")
            finally:
                await conn.close()
            return row["kid"], row["private_key_encrypted"]

        self.kid, blob = asyncio.run(load())
        self.key = crypto.decrypt_private_key(
            crypto.make_cipher(env["JWT_KEYS_ENCRYPTION_KEY"]), blob)

    def headers(self, role: str, *, subject: str | None = None,
                ptype: str = "service_account") -> dict[str, str]:
        now = int(time.time())
        claims = {"iss": "artstore-admin", "aud": "artstore", "sub": subject or str(uuid.uuid4()),
                  "iat": now, "nbf": now, "exp": now + 3600, "jti": uuid.uuid4().hex,
                  "role": role, "scope": " ".join(sorted(ROLE_SCOPES.get(role, ()))),
                  "ptype": ptype, "name": f"rbac-{role.lower()}", "client_id": f"rbac-{role}"}
        token = jwt.encode(claims, self.key, algorithm="RS256", headers={"kid": self.kid})
        return {"Authorization": f"Bearer {token}"}


@pytest.fixture(scope="module")
def principals(fuzz_env) -> dict[str, dict[str, str]]:
    """Authorization headers per role; admin-user roles belong to real admin users."""
    signer = Signer(fuzz_env)
    admin = signer.headers("ADMIN")
    out = {role: signer.headers(role) for role in SERVICE_ACCOUNT_ROLES}
    out[UNKNOWN_ROLE] = signer.headers(UNKNOWN_ROLE)
    for role in ADMIN_USER_ROLES:
        response = httpx.post(fuzz_env["ADMIN_URL"] + "/api/v1/admin-users", headers=admin,
                              json={"username": f"rbac-{role.replace('_', '-')}",
                                    "password": "Rbac-matrix-2026!x", "role": role}, timeout=60)
        assert response.status_code == 201, response.text
        out[role] = signer.headers(role, subject=response.json()["id"], ptype="admin_user")
    return out


# --- RBAC matrix -------------------------------------------------------------------------------
def test_every_operation_declares_its_scopes(schemas):
    public = {f"{method} {path}" for raw in schemas.values()
              for method, path, op in operations(raw) if "x-required-scopes" not in op}
    assert public == PUBLIC_OPERATIONS
    for raw in schemas.values():
        for _, _, op in operations(raw):
            if "x-required-scopes" in op:
                assert op["security"] == [{"bearerAuth": []}]
                for status in ("401", "403", "404", "409", "422"):
                    ref = op["responses"][status]["content"]["application/json"]["schema"]
                    assert ref == {"$ref": "#/components/schemas/Error"}
        assert raw["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"


def _principal_type(role: str) -> str:
    return "admin_user" if role in ADMIN_USER_ROLES else "service_account"


def test_rbac_matrix_matches_the_scope_table(fuzz_env, schemas, principals):
    mismatches = []
    checked = 0
    roles = [*SERVICE_ACCOUNT_ROLES, *ADMIN_USER_ROLES, UNKNOWN_ROLE, None]
    checks = [(key, method, path, op) for key, raw in schemas.items()
              for method, path, op in operations(raw) if "x-required-scopes" in op]
    # A logout revokes its user's tokens everywhere (the deny-list): check it after the rest.
    checks.sort(key=lambda check: check[2].endswith("/logout"))
    for key, method, path, op in checks:
        url = fuzz_env[key] + path.format_map(_AnyId())
        required = set(op["x-required-scopes"])
        for role in roles:
            if role is None:
                expected = 401
            elif (op.get("x-principal-type") not in (None, _principal_type(role))
                  or not required <= ROLE_SCOPES.get(role, frozenset())):
                expected = 403
            else:
                expected = None  # allowed: anything but 401/403
            headers = principals[role] if role else {}
            response = httpx.request(method, url, headers=headers, timeout=120)
            checked += 1
            status = response.status_code
            denied = status in (401, 403)
            if (expected is None and denied) or (expected and status != expected):
                mismatches.append(f"{method} {path} as {role}: {status} (expected "
                                  f"{expected or 'not 401/403'}) {response.text[:120]}")
    print(f"rbac: {checked} requests")
    assert checked > 0
    assert not mismatches, "\n".join(mismatches)


class _AnyId(dict):
    def __missing__(self, key: str) -> str:
        return str(uuid.uuid4())


# --- fuzzing -----------------------------------------------------------------------------------
def _error_problem(method: str, path: str, response: Any) -> str | None:
    text = response.content[:200].decode("utf-8", "replace")
    if response.status_code >= 500:
        return f"server error {response.status_code}: {text}"
    if response.status_code < 400 or method == "HEAD":
        return None
    content_type = (response.headers.get("content-type") or [""])[0]
    if not content_type.startswith("application/json"):
        return f"{response.status_code} is not JSON: {text}"
    try:
        body = json.loads(response.content)
    except ValueError:
        return f"{response.status_code} body is not JSON: {text}"
    if path == "/api/v1/auth/token":  # RFC 6749 §5.2
        ok = isinstance(body, dict) and isinstance(body.get("error"), str)
    else:
        error = body.get("error") if isinstance(body, dict) else None
        ok = (set(body) == {"error"} and isinstance(error, dict) and set(error) == ERROR_KEYS
              and isinstance(error["code"], str) and isinstance(error["message"], str)
              and isinstance(error["details"], dict))
    return None if ok else f"{response.status_code} outside the error shape: {body!r:.200}"


def _fuzz(operation: Any, base_url: str, headers: dict[str, str],
          mode: schemathesis.GenerationMode, problems: list[str], counter: list[int]) -> None:
    label = f"{operation.method.upper()} {operation.path}"

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
              phases=[Phase.explicit, Phase.generate],
              suppress_health_check=list(HealthCheck))
    def run(case: Any) -> None:
        try:
            response = case.call(base_url=base_url, headers=headers, timeout=60)
        except (requests.exceptions.InvalidHeader, requests.exceptions.InvalidURL,
                UnicodeError, ValueError):
            return  # a request no HTTP client can send
        except requests.RequestException as exc:
            problems.append(f"{label} [{mode}]: no answer ({type(exc).__name__}: {exc})")
            return
        counter[0] += 1
        STATUSES[response.status_code] = STATUSES.get(response.status_code, 0) + 1
        problem = _error_problem(operation.method.upper(), operation.path, response)
        if problem:
            problems.append(f"{label} [{mode}]: {problem} <- {case.as_curl_command()[:300]}")

    try:
        run()
    except Unsatisfiable:
        pass  # nothing to make invalid (an operation without parameters in negative mode)


@pytest.mark.timeout(max(600, EXAMPLES * 40))  # the size knob scales the run
def test_fuzz_every_operation_finds_no_server_error(fuzz_env, schemas, principals):
    problems: list[str] = []
    sent = [0]
    for key, raw in schemas.items():
        schema = schemathesis.openapi.from_dict(raw)
        for result in schema.get_all_operations():
            operation = result.ok()
            details = raw["paths"][operation.path][operation.method.lower()]
            admin_user_only = details.get("x-principal-type") == "admin_user"
            headers = principals["super_admin" if admin_user_only else "ADMIN"]
            started, before = time.monotonic(), sent[0]
            for mode in (schemathesis.GenerationMode.POSITIVE,
                         schemathesis.GenerationMode.NEGATIVE):
                _fuzz(operation, fuzz_env[key], headers, mode, problems, sent)
            print(f"fuzz: {operation.method.upper()} {operation.path}: {sent[0] - before}"
                  f" requests, {time.monotonic() - started:.1f} s")
    print(f"fuzz: {sent[0]} requests, {len(problems)} problems,",
          f"statuses {sorted(STATUSES.items())}")
    assert sent[0] > 0
    assert not problems, "\n".join(problems[:40])
