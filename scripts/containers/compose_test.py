"""`make test-containers`: the compose deployment, built and run for real.

Private Docker daemon (socket and data root of its own) → stand-in base images → `compose
build` → `up --wait` of docker-compose.yml, smoke test → with docker-compose.monitoring.yml,
smoke + monitoring checks → `down` / `up` on the same volumes, data still there → upgrade
(rebuilt images, `up -d` on the running stack) → `down -v` → daemon stopped. Every published
port is remapped to a free port on 127.0.0.1 (an override file), so nothing listens beyond the
loopback and nothing clashes with what else runs here. Each phase prints its duration; whatever
happens, the stack and the daemon are stopped at the end.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import random
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import smoke  # noqa: E402
import standins  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
WORK = REPO / ".artstore" / "containers"
COMPOSE_BIN = os.environ["ARTSTORE_COMPOSE"]  # set by scripts/test-containers.sh
RUN_DIR = Path("/tmp") / f"artstore-docker-{hashlib.sha1(str(REPO).encode()).hexdigest()[:10]}"
DOCKER_HOST = f"unix://{RUN_DIR}/docker.sock"
BASE = [REPO / "docker-compose.yml"]
FULL = [*BASE, REPO / "docker-compose.monitoring.yml"]
# For every docker and compose call, the stand-ins' too.
os.environ.update(DOCKER_HOST=DOCKER_HOST, COMPOSE_ANSI="never", COMPOSE_STATUS_STDOUT="1")
os.environ.pop("ARTSTORE_VERSION", None)
ENV = dict(os.environ)
DOCKER = ["docker"]
timings: list[tuple[str, float, str]] = []


def log(message: str) -> None:
    print(f"test-containers: {message}", flush=True)


@contextlib.contextmanager
def phase(name: str):
    log(f"phase {name} ...")
    start = time.monotonic()
    try:
        yield
    except BaseException:
        timings.append((name, time.monotonic() - start, "FAILED"))
        log(f"phase {name}: FAILED ({time.monotonic() - start:.1f} s)")
        raise
    timings.append((name, time.monotonic() - start, "ok"))
    log(f"phase {name}: ok ({time.monotonic() - start:.1f} s)")


def run(cmd: list[str], *, env: dict | None = None, capture: bool = False,
        check: bool = True, timeout: float | None = 1800) -> subprocess.CompletedProcess:
    result = subprocess.run([str(c) for c in cmd], env=env or ENV, text=True, timeout=timeout,
                            capture_output=capture, check=False)
    if check and result.returncode != 0:
        detail = (result.stdout or "")[-3000:] + (result.stderr or "")[-3000:] if capture else ""
        raise RuntimeError(f"{' '.join(map(str, cmd[:6]))} … exited {result.returncode}\n"
                           f"{detail}")
    return result


# --- the private daemon ---------------------------------------------------------------------


def _pid() -> int | None:
    try:
        pid = int((RUN_DIR / "docker.pid").read_text())
        os.kill(pid, 0)
        return pid
    except (OSError, ValueError):
        return None


def start_daemon() -> None:
    stop_daemon()
    (RUN_DIR / "exec").mkdir(parents=True, exist_ok=True)
    WORK.mkdir(parents=True, exist_ok=True)
    logfile = open(WORK / "dockerd.log", "ab")  # noqa: SIM115
    process = subprocess.Popen(
        ["dockerd", "--host", DOCKER_HOST, "--data-root", str(standins.CACHE / "docker"),
         "--exec-root", str(RUN_DIR / "exec"), "--pidfile", str(RUN_DIR / "docker.pid"),
         "--iptables=false", "--ip-masq=false"],
        stdout=logfile, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        start_new_session=True)
    deadline = time.monotonic() + 120
    while run([*DOCKER, "version"], capture=True, check=False).returncode != 0:
        if process.poll() is not None or time.monotonic() > deadline:
            tail = (WORK / "dockerd.log").read_text(errors="replace")[-2000:]
            raise RuntimeError(f"dockerd did not start:\n{tail}")
        time.sleep(0.5)


def _our_processes() -> list[int]:
    """Processes of this daemon (dockerd, its containerd, shims): their command line names
    RUN_DIR."""
    found = []
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            if str(RUN_DIR).encode() in (proc / "cmdline").read_bytes():
                found.append(int(proc.name))
        except OSError:
            pass
    return [pid for pid in found if pid != os.getpid()]


def stop_daemon() -> None:
    pid = _pid()
    if pid:
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + 60
        while _pid() and time.monotonic() < deadline:
            time.sleep(0.3)
    for leftover in _our_processes():
        with contextlib.suppress(OSError):
            os.kill(leftover, signal.SIGKILL)
    (RUN_DIR / "docker.pid").unlink(missing_ok=True)


# --- compose ----------------------------------------------------------------------------------

_ports: dict[tuple[str, int], int] = {}
ROOT_SHARED = "shared" in subprocess.run(["findmnt", "-no", "PROPAGATION", "/"],
                                         capture_output=True, text=True).stdout


def _free_port() -> int:
    """A free port below the kernel's ephemeral range: the daemon binds it only later, and a
    port from that range may meanwhile become some process's outgoing connection."""
    low = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    taken = set(_ports.values())
    while True:
        port = random.randrange(10_000, low)
        if port in taken:
            continue
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port


def config(files: list[Path]) -> dict:
    cmd = [COMPOSE_BIN, "--project-directory", REPO, "--env-file", REPO / ".env.example"]
    for f in files:
        cmd += ["-f", f]
    return json.loads(run([*cmd, "config", "--format", "json"], capture=True).stdout)


def ports_override(files: list[Path]) -> Path:
    """Every published port → a free port on 127.0.0.1 (stable for the whole run)."""
    lines = ["# generated by scripts/containers/compose_test.py: loopback-only ports; builds",
             "# use the host's network (the private daemon does no NAT)", "services:"]
    for name, service in sorted(config(files)["services"].items()):
        ports = service.get("ports") or []
        binds = service.get("volumes") or []
        propagated = not ROOT_SHARED and any(v.get("bind", {}).get("propagation") for v in binds)
        if not ports and "build" not in service and not propagated:
            continue
        lines.append(f"  {name}:")
        if propagated:
            # rslave needs a shared / (systemd makes it so; this machine's / is private).
            for v in binds:
                v.get("bind", {}).pop("propagation", None)
                if not v.get("bind"):
                    v.pop("bind", None)
            lines.append(f"    volumes: !override {json.dumps(binds)}")
        if "build" in service:
            lines += ["    build:", "      network: host"]
        if ports:
            lines.append("    ports: !override")
        for port in ports:
            target = int(port["target"])
            host = _ports.setdefault((name, target), _free_port())
            lines.append(f'      - "127.0.0.1:{host}:{target}"')
    path = WORK / f"ports-{len(files)}.override.yml"
    path.write_text("\n".join(lines) + "\n")
    return path


class Compose:
    def __init__(self, files: list[Path]) -> None:
        self.files = files
        self.override = ports_override(files)
        self.project = config(files)

    def cmd(self, *args: str) -> list:
        cmd = [COMPOSE_BIN, "--project-directory", REPO, "--env-file", REPO / ".env.example"]
        for f in [*self.files, self.override]:
            cmd += ["-f", f]
        return [*cmd, *args]

    def __call__(self, *args: str, env: dict | None = None, capture: bool = False,
                 check: bool = True) -> subprocess.CompletedProcess:
        return run(self.cmd(*args), env=env, capture=capture, check=check)

    def build(self, env: dict | None = None) -> None:
        """`compose build`, its output in a log file (the tail is shown when it fails)."""
        out = WORK / "build.log"
        with open(out, "w") as f:
            result = subprocess.run([str(c) for c in self.cmd("--progress", "plain", "build")],
                                    env=env or ENV, stdout=f, stderr=subprocess.STDOUT,
                                    check=False)
        built = {s["image"] for s in self.project["services"].values() if "build" in s}
        if env and env.get("ARTSTORE_VERSION"):
            built = {i.rsplit(":", 1)[0] + ":" + env["ARTSTORE_VERSION"] for i in built}
        missing = [i for i in sorted(built) if run([*DOCKER, "image", "inspect", i],
                                                   capture=True, check=False).returncode]
        if result.returncode or missing:  # compose build can exit 0 when a build failed
            print("\n".join(out.read_text(errors="replace").splitlines()[-60:]), flush=True)
            raise RuntimeError(f"compose build failed (exit {result.returncode}); "
                               f"no image for {missing}; full log: {out}")

    def up(self, env: dict | None = None) -> None:
        out = WORK / "up.log"
        with open(out, "a") as f:
            result = subprocess.run(
                [str(c) for c in self.cmd("up", "-d", "--wait", "--wait-timeout", "600")],
                env=env or ENV, stdout=f, stderr=subprocess.STDOUT, check=False)
        if result.returncode != 0:
            print("\n".join(out.read_text(errors="replace").splitlines()[-30:]), flush=True)
            self.dump_failures()
            raise RuntimeError("docker compose up --wait failed (service logs above)")

    def dump_failures(self) -> None:
        status = self("ps", "-a", "--format", "json", capture=True, check=False).stdout
        for line in status.splitlines():
            with contextlib.suppress(ValueError):
                item = json.loads(line)
                if item.get("Health") not in ("", "healthy") or (
                        item.get("State") == "exited" and item.get("ExitCode")):
                    log(f"{item['Service']}: {item.get('State')} {item.get('Health')} "
                        f"exit={item.get('ExitCode')}")
                    logs = self("logs", "--no-color", "--tail", "40", item["Service"],
                                capture=True, check=False)
                    print(logs.stdout[-4000:], logs.stderr[-2000:], flush=True)

    def url(self, service: str, target: int, scheme: str = "https") -> str:
        host = _ports[(service, target)]
        return f"{scheme}://127.0.0.1:{host}"

    def read(self, service: str, path: str) -> str:
        return self("exec", "-T", service, "cat", path, capture=True).stdout


# --- the run ----------------------------------------------------------------------------------


def main() -> int:
    os.chdir(REPO)
    # A SIGTERM (CI timeout, Ctrl-C) still runs the clean-up below.
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    started = time.monotonic()
    base = full = None
    ok = False
    try:
        with phase("daemon"):
            start_daemon()
        with phase("stand-in base images"):
            images = standins.external_images(
                FULL, sorted([*REPO.glob("*/Dockerfile"), *REPO.glob("docker/*.Dockerfile")]))
            built = standins.build(DOCKER, [COMPOSE_BIN], images, log)
            log(f"{len(images)} external image names, {len(built)} stand-ins (re)built")
        base, full = Compose(BASE), Compose(FULL)
        full("down", "-v", "--remove-orphans", capture=True)  # what an interrupted run left
        with phase("compose build"):
            base.build()
        with phase("image hygiene"):
            smoke.image_hygiene(DOCKER, ENV, base.project, WORK, log)
        with phase("up (docker-compose.yml)"):
            base.up()
        state = smoke.State(base, log)
        with phase("smoke (docker-compose.yml)"):
            smoke.smoke(state)
        with phase("up (with docker-compose.monitoring.yml)"):
            full.up()
        with phase("smoke + monitoring"):
            smoke.health(state)
            smoke.monitoring(full, log)
        with phase("down / up on the same volumes"):
            full("down")
            full.up()
            smoke.data_still_there(state)
        with phase("upgrade (rebuild, up -d on the running stack)"):
            smoke.upgrade(state, full, ENV)
        ok = True
    except KeyboardInterrupt:
        log("interrupted")
    except Exception as exc:  # noqa: BLE001 - reported, then cleaned up
        log(f"FAILED: {exc}")
    finally:
        with phase("down -v and daemon stop"):
            if _pid():
                for project in (full, base):
                    if project:
                        project("down", "-v", "--remove-orphans", "--timeout", "20",
                                check=False)
                        break
                # The data root is a machine-wide cache: keep the newest layers, not every
                # run's superseded images.
                run([*DOCKER, "image", "prune", "-f"], capture=True, check=False)
            stop_daemon()
            left = _our_processes()
            if left:
                log(f"processes left running: {left}")
                ok = False
    log("phases: " + ", ".join(f"{n} {s:.0f}s {r}" for n, s, r in timings))
    verdict = "passed" if ok else "FAILED"
    log(f"{verdict} in {time.monotonic() - started:.0f} s")
    print(f"test-containers: {1 if ok else 0} passed, {0 if ok else 1} failed", flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
