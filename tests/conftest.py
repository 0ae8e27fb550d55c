"""Cross-service fixtures: the whole suite as real processes on loopback.

``suite_env`` starts PostgreSQL, Redis, the admin module, two local storage elements (edit, rw),
the ingester and the query module once per test session (random free ports, fast fsync-off
PostgreSQL) under ``.artstore/test-suites/<pid>`` and returns the ``run.env`` values.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import sys
from pathlib import Path

import httpx
import pytest
from e2e_support import Api, client_token

REPO_ROOT = Path(__file__).resolve().parent.parent


def load_suite_module():
    path = REPO_ROOT / "scripts" / "suite.py"
    spec = importlib.util.spec_from_file_location("artstore_suite", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses resolve annotations through sys.modules
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def suite_module():
    return load_suite_module()


@pytest.fixture(scope="session")
def suite(suite_module):
    # One root per pytest process, so parallel runs on one machine never share state.
    default_root = REPO_ROOT / ".artstore" / "test-suites" / str(os.getpid())
    root = Path(os.environ.get("ARTSTORE_TEST_SUITE_ROOT", default_root))
    shutil.rmtree(root, ignore_errors=True)
    handle = suite_module.Suite(root, fast=True, fixed_ports=False,
                                with_ui=os.environ.get("ARTSTORE_TEST_UI", "0") == "1")
    try:
        env = handle.up()
    except Exception:
        handle.down()
        raise
    handle.env = env
    yield handle
    handle.down()
    if not os.environ.get("ARTSTORE_KEEP_TEST_SUITE"):
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def suite_env(suite) -> dict[str, str]:
    return suite.env


@pytest.fixture(scope="module")
def api(suite_env) -> Api:
    """The shared suite's APIs with the admin service account's token."""
    return Api(suite_env, client_token(suite_env["ADMIN_URL"], suite_env["ARTSTORE_CLIENT_ID"],
                                       suite_env["ARTSTORE_CLIENT_SECRET"]))


@pytest.fixture(scope="module")
def env(request) -> dict[str, str]:
    external = os.environ.get("ARTSTORE_UI_RUN_ENV")
    if external:
        pairs = (line.split("=", 1) for line in Path(external).read_text().splitlines()
                 if "=" in line)
        return {k.strip(): v.strip() for k, v in pairs}
    return request.getfixturevalue("suite_env")


@pytest.fixture(scope="module")
def system(env) -> Api:
    """The admin-service account (internal: may upload permanent files with their copy set)."""
    return Api(env, client_token(env["ADMIN_URL"], env["ARTSTORE_CLIENT_ID"],
                                 env["ARTSTORE_CLIENT_SECRET"]))


@pytest.fixture(scope="session")
def admin_token(suite_env) -> str:
    response = httpx.post(suite_env["ADMIN_URL"] + "/api/v1/auth/token", data={
        "grant_type": "client_credentials",
        "client_id": suite_env["ARTSTORE_CLIENT_ID"],
        "client_secret": suite_env["ARTSTORE_CLIENT_SECRET"],
    })
    response.raise_for_status()
    return response.json()["access_token"]


@pytest.fixture(scope="session")
def auth_headers(admin_token) -> dict[str, str]:
    return {"Authorization": f"Bearer {admin_token}"}
