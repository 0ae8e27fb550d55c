#!/usr/bin/env python3
"""The whole ArtStore suite on loopback, without Docker.

  python scripts/suite.py run      # foreground; Ctrl-C stops everything it started
  python scripts/suite.py up       # background; returns once every service is ready
  python scripts/suite.py down     # stops what `up` started (data stays)
  python scripts/suite.py status

Everything lives under a root folder (default `.artstore/`): the local stack's state,
storage-element data, logs, generated secrets and `run.env` (KEY=value lines with every URL
and the initial credentials). Tests call `up(root, fast=True)` / `down(root)` on a root of
their own. Run it with the workspace venv's Python (`make run` does).
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import importlib.util
import json
import os
import secrets
import signal
import socket
import ssl
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parent.parent
DEFAULT_ROOT = REPO / ".artstore"
READY_TIMEOUT = 90.0


def _load_stack():
    spec = importlib.util.spec_from_file_location("artstore_stack", REPO / "scripts" / "stack.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


stack = _load_stack()


@dataclass
class Service:
    name: str
    factory: str
    port: int
    env: dict[str, str] = field(default_factory=dict)
    scheme: str = "http"

    @property
    def url(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.port}"


@dataclass
class StorageElementPlan:
    name: str
    mode: str
    priority: int
    port: int
    retention_days: int
    capacity_bytes: int = 10 * 1024**3
    failure_domain: str | None = None  # None: the SE is its own failure domain


# Two rw SEs (each its own failure domain) so the default copy policy (permanent: 2 copies)
# is met out of the box.
LOCAL_STORAGE_ELEMENTS = [
    StorageElementPlan("se-edit-1", "edit", 100, 8010, retention_days=365),
    StorageElementPlan("se-rw-1", "rw", 100, 8011, retention_days=5 * 365),
    StorageElementPlan("se-rw-2", "rw", 100, 8012, retention_days=5 * 365),
]


# --- small helpers ----------------------------------------------------------------------------


def port_free(port: int) -> bool:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def pick_port(preferred: int, taken: set[int], fixed_ports: bool) -> int:
    if fixed_ports and preferred not in taken and port_free(preferred):
        taken.add(preferred)
        return preferred
    while True:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = int(sock.getsockname()[1])
        if port not in taken:
            taken.add(port)
            return port


def read_env_file(path: Path) -> dict[str, str]:
    values: dict[str, str] = {}
    if path.exists():
        for line in path.read_text().splitlines():
            if "=" in line and not line.lstrip().startswith("#"):
                key, _, value = line.partition("=")
                values[key.strip()] = value.strip()
    return values


def write_env_file(path: Path, values: dict[str, str], mode: int = 0o600) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text("".join(f"{k}={v}\n" for k, v in values.items()))
    tmp.chmod(mode)
    tmp.replace(path)


def load_secrets(root: Path) -> dict[str, str]:
    """Generated once per root and reused, so restarts keep the same credentials."""
    path = root / "secrets.env"
    values = read_env_file(path)
    defaults = {
        "ARTSTORE_ADMIN_USER": "admin",
        "ARTSTORE_ADMIN_PASSWORD": "Adm1n-" + secrets.token_urlsafe(12),
        "ARTSTORE_CLIENT_ID": "admin-service",
        "ARTSTORE_CLIENT_SECRET": secrets.token_urlsafe(32),
        "AUDIT_HMAC_SECRET": secrets.token_urlsafe(48),
        "JWT_KEYS_ENCRYPTION_KEY": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
    }
    changed = False
    for key, value in defaults.items():
        if not values.get(key):
            values[key] = value
            changed = True
    if changed:
        root.mkdir(parents=True, exist_ok=True)
        write_env_file(path, values)
    return values


def ensure_databases(pg_dsn: str, names: list[str]) -> None:
    import asyncio

    import asyncpg

    async def create() -> None:
        conn = await asyncpg.connect(pg_dsn)
        try:
            existing = {r["datname"] for r in await conn.fetch("SELECT datname FROM pg_database")}
            for name in names:
                if name not in existing:
                    await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()

    asyncio.run(create())


def database_url(pg_dsn: str, name: str) -> str:
    base = pg_dsn.rsplit("/", 1)[0].split("://", 1)[1]
    return f"postgresql+asyncpg://{base}/{name}"


def wait_ready(service: Service, proc: subprocess.Popen, log: Path, timeout: float,
               verify: Any = True) -> None:
    deadline = time.monotonic() + timeout
    last = "no answer"
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{service.name} exited ({proc.returncode}):\n{tail(log)}")
        try:
            response = httpx.get(service.url + "/health/ready", timeout=3.0, verify=verify)
            if response.status_code == 200:
                return
            last = response.text[:300]
        except httpx.HTTPError as exc:
            last = str(exc)
        time.sleep(0.3)
    raise RuntimeError(f"{service.name} not ready after {timeout:.0f}s: {last}\n{tail(log)}")


def tail(path: Path, lines: int = 30) -> str:
    try:
        return "".join(path.read_text(errors="replace").splitlines(True)[-lines:])
    except OSError:
        return ""


# --- the suite --------------------------------------------------------------------------------


class Suite:
    def __init__(self, root: Path | str = DEFAULT_ROOT, *, fast: bool = False,
                 fixed_ports: bool = True, with_ui: bool = True, tls_dir: Path | None = None,
                 extra_env: dict[str, str] | None = None) -> None:
        """``tls_dir``: serve every service over HTTPS (TLS 1.3) with ``<name>.crt``/``.key``
        from that folder, all verified against its ``ca.crt`` (``scripts/gen-certs.py``)."""
        self.root = Path(root).resolve()
        self.fast = fast
        self.fixed_ports = fixed_ports
        self.with_ui = with_ui
        self.tls_dir = Path(tls_dir).resolve() if tls_dir else None
        self.extra_env = extra_env or {}
        self.verify: Any = (ssl.create_default_context(cafile=str(self.tls_dir / "ca.crt"))
                            if self.tls_dir else True)
        self.logs = self.root / "logs"
        self.state_file = self.root / "suite.json"

    # state of started processes
    def _state(self) -> dict:
        try:
            return json.loads(self.state_file.read_text())
        except (OSError, ValueError):
            return {}

    def _save(self, state: dict) -> None:
        self.state_file.write_text(json.dumps(state, indent=2))

    def up(self) -> dict[str, str]:
        self.root.mkdir(parents=True, exist_ok=True)
        self.logs.mkdir(exist_ok=True)
        if self._state().get("processes"):
            self.down(keep_stack=True)
        stack_env = stack.start(["postgres", "redis"], self.root / "stack", fast=self.fast)
        creds = load_secrets(self.root)
        taken: set[int] = set()
        admin = Service("admin", "admin_module.main:create_app",
                        pick_port(8000, taken, self.fixed_ports))
        ses = [
            (plan, Service(plan.name, "storage_element.main:create_app",
                           pick_port(plan.port, taken, self.fixed_ports)))
            for plan in LOCAL_STORAGE_ELEMENTS
        ]
        ingester = Service("ingester", "ingester_module.main:create_app",
                           pick_port(8020, taken, self.fixed_ports))
        query = Service("query", "query_module.main:create_app",
                        pick_port(8030, taken, self.fixed_ports))
        ui_port = pick_port(4200, taken, self.fixed_ports)
        for service in (admin, ingester, query, *(s for _, s in ses)):
            service.scheme = "https" if self.tls_dir else "http"

        pg_dsn = stack_env["PG_DSN"]
        se_dbs = {plan.name: "artstore_" + plan.name.replace("-", "_") for plan, _ in ses}
        ensure_databases(pg_dsn, ["artstore_admin", "artstore_query", *se_dbs.values()])

        jwks_url = admin.url + "/api/v1/auth/jwks"
        origins = f"http://localhost:{ui_port},http://127.0.0.1:{ui_port}"
        common = {
            "ENVIRONMENT": "development",
            "LOG_FORMAT": os.environ.get("LOG_FORMAT", "text"),
            "LOG_LEVEL": os.environ.get("LOG_LEVEL", "INFO"),
            "REDIS_URL": stack_env["REDIS_URL"],
            "CORS_ALLOW_ORIGINS": origins,
            "PYTHONUNBUFFERED": "1",
        }
        admin.env = {
            **common,
            "SERVICE_NAME": "admin-module",
            "QUERY_URL": query.url,
            "DATABASE_URL": database_url(pg_dsn, "artstore_admin"),
            **{k: creds[k] for k in ("ARTSTORE_ADMIN_USER", "ARTSTORE_ADMIN_PASSWORD",
                                      "ARTSTORE_CLIENT_ID", "ARTSTORE_CLIENT_SECRET",
                                      "AUDIT_HMAC_SECRET", "JWT_KEYS_ENCRYPTION_KEY")},
        }
        if self.fast:  # tests: a cheap argon2 profile and quick SE health polling
            admin.env.update(ARGON2_TIME_COST="1", ARGON2_MEMORY_COST_KIB="1024",
                             ARGON2_PARALLELISM="1", SE_HEALTH_INTERVAL_SECONDS="5",
                             DASHBOARD_SAMPLE_INTERVAL_SECONDS="5",
                             GRAFANA_URL="http://grafana.artstore.test:3000")
        state: dict = {"processes": {}, "stack": str(self.root / "stack")}
        try:
            self._start(admin, state)
            for plan, service in ses:
                data_dir = self.root / "data" / plan.name
                data_dir.mkdir(parents=True, exist_ok=True)
                service.env = {
                    **common,
                    "SERVICE_NAME": plan.name,
                    "SE_NAME": plan.name,
                    "SE_MODE": plan.mode,
                    "SE_BACKEND": "local",
                    "SE_DATA_DIR": str(data_dir),
                    "SE_PRIORITY": str(plan.priority),
                    "SE_CAPACITY_BYTES": str(plan.capacity_bytes),
                    "SE_RETENTION_DAYS": str(plan.retention_days),
                    "DATABASE_URL": database_url(pg_dsn, se_dbs[plan.name]),
                    "JWKS_URL": jwks_url,
                }
                self._start(service, state)
            token = client_token(admin.url, creds["ARTSTORE_CLIENT_ID"],
                                 creds["ARTSTORE_CLIENT_SECRET"], self.verify)
            register_storage_elements(admin.url, token, [s.url for _, s in ses], self.verify,
                                      {s.url: p.failure_domain for p, s in ses})
            internal = ensure_internal_accounts(self.root, admin.url, token, creds, self.verify)
            ingester.env = {
                **common,
                "SERVICE_NAME": "ingester-module",
                "ADMIN_URL": admin.url,
                "JWKS_URL": jwks_url,
                "INGESTER_CLIENT_ID": internal["INGESTER_CLIENT_ID"],
                "INGESTER_CLIENT_SECRET": internal["INGESTER_CLIENT_SECRET"],
                "DISCOVERY_FALLBACK_FILE": str(self.root / "discovery-ingester.json"),
            }
            query.env = {
                **common,
                "SERVICE_NAME": "query-module",
                "ADMIN_URL": admin.url,
                "JWKS_URL": jwks_url,
                "DATABASE_URL": database_url(pg_dsn, "artstore_query"),
                "QUERY_CLIENT_ID": internal["QUERY_CLIENT_ID"],
                "QUERY_CLIENT_SECRET": internal["QUERY_CLIENT_SECRET"],
                "DISCOVERY_FALLBACK_FILE": str(self.root / "discovery-query.json"),
            }
            self._start(ingester, state)
            self._start(query, state)
            ui_url = self._start_ui(ui_port, admin, ingester, query, state)
        except BaseException:
            self._save(state)
            self.down(keep_stack=False)
            raise
        self._save(state)
        run_env = {
            "ADMIN_URL": admin.url,
            "INGESTER_URL": ingester.url,
            "QUERY_URL": query.url,
            "SE_URLS": ",".join(s.url for _, s in ses),
            "SE_DATA_DIRS": ",".join(str(self.root / "data" / p.name) for p, _ in ses),
            "ARTSTORE_CLIENT_ID": creds["ARTSTORE_CLIENT_ID"],
            "ARTSTORE_CLIENT_SECRET": creds["ARTSTORE_CLIENT_SECRET"],
            "ARTSTORE_ADMIN_USER": creds["ARTSTORE_ADMIN_USER"],
            "ARTSTORE_ADMIN_PASSWORD": creds["ARTSTORE_ADMIN_PASSWORD"],
            "PG_DSN": pg_dsn,
            "REDIS_URL": stack_env["REDIS_URL"],
            "LOG_DIR": str(self.logs),
        }
        if ui_url:
            run_env["UI_URL"] = ui_url
        write_env_file(self.root / "run.env", run_env)
        return run_env

    def _start(self, service: Service, state: dict) -> None:
        service.env.update(self.extra_env)
        if self.tls_dir:
            service.env.update(TLS_CERT_FILE=str(self.tls_dir / f"{service.name}.crt"),
                               TLS_KEY_FILE=str(self.tls_dir / f"{service.name}.key"),
                               TLS_CA_FILE=str(self.tls_dir / "ca.crt"))
        log = self.logs / f"{service.name}.log"
        env = {**os.environ, **service.env, "HOST": "127.0.0.1", "PORT": str(service.port)}
        with open(log, "ab") as out:
            proc = subprocess.Popen(
                [sys.executable, "-m", "artstore_common.serve", service.factory],
                env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
                cwd=REPO,
            )
        state["processes"][service.name] = {"pid": proc.pid, "url": service.url,
                                            "log": str(log), "factory": service.factory,
                                            "port": service.port, "env": service.env,
                                            "scheme": service.scheme}
        self._save(state)
        wait_ready(service, proc, log, READY_TIMEOUT, self.verify)
        print(f"  {service.name:<10} {service.url}", flush=True)

    def _start_ui(self, port: int, admin: Service, ingester: Service, query: Service,
                  state: dict) -> str | None:
        serve_script = REPO / "admin-ui" / "serve.mjs"
        if not self.with_ui or not serve_script.exists():
            return None
        log = self.logs / "ui.log"
        env = {**os.environ, "PORT": str(port), "ADMIN_URL": admin.url,
               "INGESTER_URL": ingester.url, "QUERY_URL": query.url}
        if self.tls_dir:
            env["NODE_EXTRA_CA_CERTS"] = str(self.tls_dir / "ca.crt")
        with open(log, "ab") as out:
            proc = subprocess.Popen(["node", str(serve_script)], env=env, stdout=out,
                                    stderr=subprocess.STDOUT, start_new_session=True,
                                    cwd=REPO / "admin-ui")
        url = f"http://127.0.0.1:{port}"
        state["processes"]["ui"] = {"pid": proc.pid, "url": url, "log": str(log)}
        self._save(state)
        deadline = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"ui exited ({proc.returncode}):\n{tail(log)}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(url + "/", timeout=2.0).status_code == 200:
                    print(f"  {'ui':<10} {url}", flush=True)
                    return url
            time.sleep(0.3)
        raise RuntimeError(f"ui not ready:\n{tail(log)}")

    def down(self, keep_stack: bool = False) -> None:
        state = self._state()
        processes = state.get("processes", {})
        for name in reversed(list(processes)):
            stop_process(processes[name]["pid"])
        self._save({"processes": {}})
        if not keep_stack:
            stack.stop(None, self.root / "stack")

    def kill(self, name: str) -> None:
        """SIGKILL one service, as a crash would (tests)."""
        info = self._state()["processes"][name]
        with contextlib.suppress(ProcessLookupError):
            os.killpg(info["pid"], signal.SIGKILL)
        stop_process(info["pid"], timeout=10)

    def restart(self, name: str) -> None:
        """Start one service again with the exact settings it had (tests)."""
        state = self._state()
        info = state["processes"][name]
        stop_process(info["pid"], timeout=20)
        self._start(Service(name, info["factory"], info["port"], info["env"],
                            info.get("scheme", "http")), state)

    def alive(self) -> dict[str, bool]:
        return {name: pid_alive(info["pid"])
                for name, info in self._state().get("processes", {}).items()}


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    with contextlib.suppress(OSError):
        stat = Path(f"/proc/{pid}/stat").read_text()
        if stat.split(")")[-1].split()[0] == "Z":
            return False
    return True


def stop_process(pid: int, timeout: float = 20.0) -> None:
    for sig in (signal.SIGTERM, signal.SIGKILL):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, sig)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and pid_alive(pid):
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, os.WNOHANG)
            time.sleep(0.1)
        if not pid_alive(pid):
            return


# --- talking to the admin module --------------------------------------------------------------


def client_token(admin_url: str, client_id: str, client_secret: str, verify: Any = True) -> str:
    response = httpx.post(admin_url + "/api/v1/auth/token", timeout=30.0, verify=verify, data={
        "grant_type": "client_credentials", "client_id": client_id,
        "client_secret": client_secret})
    response.raise_for_status()
    return response.json()["access_token"]


def register_storage_elements(admin_url: str, token: str, se_urls: list[str],
                              verify: Any = True,
                              domains: dict[str, str | None] | None = None) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=admin_url, headers=headers, timeout=30.0,
                      verify=verify) as client:
        registered = client.get("/api/v1/storage-elements", params={"limit": 1000})
        registered.raise_for_status()
        known = {item["api_url"].rstrip("/"): item for item in registered.json()["items"]}
        for url in se_urls:
            if url in known:
                client.post(f"/api/v1/storage-elements/{known[url]['id']}/sync")
                continue
            body: dict[str, Any] = {"api_url": url}
            if (domains or {}).get(url):
                body["failure_domain"] = (domains or {})[url]
            response = client.post("/api/v1/storage-elements", json=body)
            if response.status_code not in (200, 201, 409):
                raise RuntimeError(f"registering {url} failed: {response.text}")


def ensure_internal_accounts(root: Path, admin_url: str, token: str,
                             creds: dict[str, str], verify: Any = True) -> dict[str, str]:
    """Service accounts the ingester (SERVICE: files and their copies) and query module
    (READONLY) use to call SEs.

    Their secrets live in ``<root>/secrets.env``; if the admin database no longer knows
    them (deleted data), the account is created or its secret rotated.
    """
    path = root / "secrets.env"
    values = read_env_file(path)
    headers = {"Authorization": f"Bearer {token}"}
    for prefix, name, role in (("INGESTER", "ingester-module", "SERVICE"),
                               ("QUERY", "query-module", "READONLY")):
        cid, secret = values.get(f"{prefix}_CLIENT_ID"), values.get(f"{prefix}_CLIENT_SECRET")
        with httpx.Client(base_url=admin_url, headers=headers, timeout=30.0,
                          verify=verify) as client:
            existing = client.get("/api/v1/service-accounts",
                                  params={"search": name, "limit": 100})
            existing.raise_for_status()
            match = [a for a in existing.json()["items"]
                     if a["name"] == name and a.get("status") != "deleted"]
            if match and match[0]["role"] != role:  # an older suite's role
                client.patch(f"/api/v1/service-accounts/{match[0]['id']}",
                             json={"role": role}).raise_for_status()
            if cid and secret:
                with contextlib.suppress(httpx.HTTPStatusError):
                    client_token(admin_url, cid, secret, verify)
                    continue
            if match:
                response = client.post(f"/api/v1/service-accounts/{match[0]['id']}/rotate-secret")
            else:
                response = client.post("/api/v1/service-accounts", json={
                    "name": name, "role": role,
                    "description": "internal account used by the local suite"})
            response.raise_for_status()
            body = response.json()
            values[f"{prefix}_CLIENT_ID"] = body["client_id"]
            values[f"{prefix}_CLIENT_SECRET"] = body.get("client_secret") or body[
                "new_client_secret"]
    write_env_file(path, values)
    return values


# --- command line -----------------------------------------------------------------------------


def local_pki(root: Path) -> Path:
    """A local CA and one certificate per service (kept across runs)."""
    spec = importlib.util.spec_from_file_location("artstore_gen_certs",
                                                  REPO / "scripts" / "gen-certs.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    names = ["admin", "ingester", "query", *(plan.name for plan in LOCAL_STORAGE_ELEMENTS)]
    module.generate(root.resolve() / "pki", names)
    return root.resolve() / "pki"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["run", "up", "down", "status"])
    parser.add_argument("--root", default=str(DEFAULT_ROOT))
    parser.add_argument("--no-ui", action="store_true")
    parser.add_argument("--tls", action="store_true",
                        help="HTTPS (TLS 1.3) between every service, with a local CA in <root>/pki")
    args = parser.parse_args(argv)
    tls_dir = local_pki(Path(args.root)) if args.tls and args.command in ("run", "up") else None
    suite = Suite(args.root, with_ui=not args.no_ui, tls_dir=tls_dir)
    if args.command == "down":
        suite.down()
        print("stopped")
        return 0
    if args.command == "status":
        for name, alive in suite.alive().items():
            print(f"{name:<10} {'running' if alive else 'stopped'}")
        return 0
    print("starting ArtStore ...", flush=True)
    try:
        env = suite.up()
    except Exception as exc:
        print(f"start failed: {exc}", file=sys.stderr)
        return 1
    print(f"ready — credentials and URLs in {suite.root / 'run.env'}")
    print(f"  admin user {env['ARTSTORE_ADMIN_USER']} / client {env['ARTSTORE_CLIENT_ID']}")
    if args.command == "up":
        return 0
    stopping = {"flag": False}

    def request_stop(*_: object) -> None:
        stopping["flag"] = True

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    print("running; press Ctrl-C to stop", flush=True)
    try:
        while not stopping["flag"]:
            dead = [name for name, alive in suite.alive().items() if not alive]
            if dead:
                print(f"stopped unexpectedly: {', '.join(dead)} (see {suite.logs})",
                      file=sys.stderr)
                break
            time.sleep(1.0)
    finally:
        print("stopping ...", flush=True)
        suite.down()
    return 0 if stopping["flag"] else 1


if __name__ == "__main__":
    sys.exit(main())
