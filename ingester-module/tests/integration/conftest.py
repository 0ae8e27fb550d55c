"""The ingester against real processes: the admin module (its service-account token), storage
elements on local volumes with their own migrated databases, Redis discovery published here."""

from __future__ import annotations

import sys
import uuid
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from artstore_common.testing import ServiceProcess, free_port

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ingester_it_helpers import SA_SECRET, SE  # noqa: E402

ADMIN_REDIS_DB = 6
DISCOVERY_REDIS_DB = 7


def _with_db(redis_url: str, db: int) -> str:
    return redis_url.rsplit("/", 1)[0] + f"/{db}"


@pytest.fixture(scope="session")
def private_redis(stack_module) -> str:
    """A Redis of our own: other suites on the shared one use the same keys and DB numbers."""
    import subprocess
    import time

    import redis

    port = free_port()
    proc = subprocess.Popen(
        [str(stack_module.redis_binary()), "--port", str(port), "--bind", "127.0.0.1",
         "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    deadline = time.monotonic() + 20
    while True:
        try:
            redis.Redis.from_url(url).ping()
            break
        except redis.RedisError:
            if time.monotonic() > deadline or proc.poll() is not None:
                proc.kill()
                raise
            time.sleep(0.05)
    yield url
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture(scope="session")
def logs_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("logs")


@pytest.fixture(scope="session")
def public_key_file(token_factory, tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("keys") / "jwt.pem"
    path.write_bytes(token_factory.public_pem)
    return str(path)


@pytest.fixture(scope="session")
def admin_process(make_database, private_redis, logs_dir):
    env = {
        "DATABASE_URL": make_database("ing_admin"),
        "REDIS_URL": _with_db(private_redis, ADMIN_REDIS_DB),
        "ENVIRONMENT": "test",
        "ARTSTORE_CLIENT_ID": "ingester-sa",
        "ARTSTORE_CLIENT_SECRET": SA_SECRET,
        "ARTSTORE_ADMIN_PASSWORD": "Admin-password-123!",
        "AUDIT_HMAC_SECRET": "audit-hmac-secret-for-tests-0123456789",
        "JWT_KEYS_ENCRYPTION_KEY": Fernet.generate_key().decode(),
        "ARGON2_TIME_COST": "1",
        "ARGON2_MEMORY_COST_KIB": "64",
        "ARGON2_PARALLELISM": "1",
        "LOG_LEVEL": "WARNING",
    }
    proc = ServiceProcess("admin_module.main:create_app", env,
                          log_path=str(logs_dir / "admin.log"), name="admin").start(120)
    yield proc
    proc.stop()


@pytest.fixture(scope="session")
def se_template_db(pg_dsn, make_database) -> str:
    from storage_element.db import upgrade_database

    url = make_database("ing_se_tpl")
    upgrade_database(url)
    return url.rsplit("/", 1)[1]


@pytest.fixture(scope="session")
def make_se_db(make_database, se_template_db):
    return lambda: make_database("ing_se", template=se_template_db)


@pytest.fixture(scope="session")
def start_se(make_se_db, public_key_file, private_redis, admin_process, tmp_path_factory, logs_dir):
    started: list[SE] = []

    def factory(name: str, mode: str, priority: int, capacity: int = 100 * 1024**3) -> SE:
        se_id = uuid.uuid4()
        data_dir = tmp_path_factory.mktemp(f"se-{name}")
        env = {
            "SE_ID": str(se_id), "SE_NAME": name, "SE_MODE": mode,
            "SE_PRIORITY": str(priority), "SE_CAPACITY_BYTES": str(capacity),
            "SE_DATA_DIR": str(data_dir), "DATABASE_URL": make_se_db(),
            "SE_RUN_MIGRATIONS": "false", "REDIS_URL": _with_db(private_redis, 8),
            "JWT_PUBLIC_KEY_FILE": public_key_file,
            "JWKS_URL": admin_process.url + "/api/v1/auth/jwks",
            "SE_FIXITY_INTERVAL_SECONDS": "0", "SE_RECONCILE_INTERVAL_SECONDS": "0",
            "LOG_LEVEL": "WARNING",
        }
        port = free_port()
        proc = ServiceProcess("storage_element.main:create_app", env, port=port,
                              log_path=str(logs_dir / f"{name}.log"), name=name).start(120)
        se = SE(proc, se_id, name, mode, priority, data_dir, env)
        started.append(se)
        return se

    yield factory
    for se in started:
        se.proc.stop()


