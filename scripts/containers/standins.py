"""Test-only stand-ins for the base images our Dockerfiles and compose files name.

No image registry is reachable here, so each external image name is built locally from a Debian
bookworm rootfs (mmdebstrap) and tagged with exactly that name (see standins/README.md). Built
once and cached in a machine-wide cache (``ARTSTORE_CONTAINER_CACHE``, default
``~/.cache/artstore/containers``, shared by every clone on the machine like uv's cache): the
daemon's data root there keeps the images and build layers, ``rootfs/`` the rootfs tarballs, and a
label carries the hash of everything that went into a stand-in. A fresh machine builds them all.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import tarfile
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent / "standins"
WORK = REPO / ".artstore" / "containers"
CACHE = Path(os.environ.get("ARTSTORE_CONTAINER_CACHE")
             or Path.home() / ".cache" / "artstore" / "containers")
LABEL = "org.artstore.standin"
HASH_LABEL = "org.artstore.standin.hash"
HOST_CAS = sorted(Path("/usr/local/share/ca-certificates").glob("*.crt"))

ROOTFS = {
    # python:3.11-slim-bookworm: the interpreter, useradd, CA certificates; nothing else.
    "python": ["python3.11", "python3", "python-is-python3", "passwd", "ca-certificates"],
    "infra": ["postgresql-15", "redis-server", "redis-tools", "nginx-light", "wget",
              "prometheus", "prometheus-alertmanager", "prometheus-node-exporter", "python3",
              "python3-venv", "passwd", "ca-certificates", "libstdc++6", "procps"],
}
EXCLUDE = ["/usr/share/doc/*", "/usr/share/man/*", "/usr/share/locale/*"]
PURGE = ["usrmerge", "libfile-find-rule-perl", "libnumber-compare-perl", "libtext-glob-perl",
         "perl", "perl-modules-5.36", "libperl5.36", "libgdbm-compat4"]
# Prefix of an external image name → target in standins/Dockerfile.
TARGETS = {
    "postgres:": "postgres", "redis:": "redis", "minio/minio:": "minio", "minio/mc:": "mc",
    "dpage/pgadmin4:": "pgadmin", "grafana/grafana:": "grafana",
    "prom/prometheus:": "prometheus", "prom/alertmanager:": "alertmanager",
    "prom/node-exporter:": "node-exporter", "nginxinc/nginx-unprivileged:": "nginx",
    "node:": "node",
}
CERT_ENV = ["SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt",
            "PIP_CERT=/etc/ssl/certs/ca-certificates.crt",
            "REQUESTS_CA_BUNDLE=/etc/ssl/certs/ca-certificates.crt"]


def external_images(compose_files: list[Path], dockerfiles: list[Path]) -> set[str]:
    """Every image name our files pull: compose ``image:`` of services without ``build`` and the
    default of each Dockerfile ``ARG ..._IMAGE=``."""
    import yaml

    names: set[str] = set()
    for path in compose_files:
        for service in (yaml.safe_load(path.read_text()).get("services") or {}).values():
            if "build" not in service and "image" in service:
                names.add(service["image"])
    for path in dockerfiles:
        names |= set(re.findall(r"^ARG \w+_IMAGE=(\S+)", path.read_text(), re.M))
    return {n for n in names if not n.startswith("artstore/")}


def _digest(*parts: bytes) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(hashlib.sha256(part).digest())
    return h.hexdigest()[:16]


def _run(cmd: list[str], **kw) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, check=True, **kw)


def _label(docker: list[str], tag: str) -> str | None:
    result = subprocess.run([*docker, "image", "inspect", "-f",
                             f'{{{{index .Config.Labels "{HASH_LABEL}"}}}}', tag],
                            capture_output=True, text=True, check=False)
    return result.stdout.strip() if result.returncode == 0 else None


def _rootfs(name: str, packages: list[str], log) -> tuple[Path, str]:
    cas = b"".join(p.read_bytes() for p in HOST_CAS)
    purge = PURGE if name == "python" else []
    key = _digest(" ".join(packages + purge).encode(), b"usr-is-merged", cas)
    tar = CACHE / "rootfs" / f"{name}-{key}.tar"
    if not tar.exists():
        tar.parent.mkdir(parents=True, exist_ok=True)
        for old in tar.parent.glob(f"{name}-*.tar"):
            old.unlink()
        log(f"mmdebstrap {name}: {' '.join(packages)}")
        hooks = [
            # usrmerge (and with it perl, 45 MB) is only needed while the rootfs is made.
            *(['chroot "$1" dpkg --purge --force-depends ' + " ".join(purge) + ' >/dev/null 2>&1',
               'chroot "$1" apt-get install -y -qq usr-is-merged >/dev/null 2>&1',
               'chroot "$1" apt-get check -qq'] if purge else []),
            'mkdir -p "$1/usr/local/share/ca-certificates"',
            *[f'cp {p} "$1/usr/local/share/ca-certificates/"' for p in HOST_CAS],
            'chroot "$1" update-ca-certificates >/dev/null',
            'rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/*.bin',
        ]
        cmd = ["mmdebstrap", "--variant=minbase", "--quiet", f"--include={','.join(packages)}",
               *[f"--dpkgopt=path-exclude={p}" for p in EXCLUDE],
               *[f"--customize-hook={h}" for h in hooks],
               "bookworm", str(tar.with_suffix(".tmp.tar"))]
        _run(cmd, stdout=subprocess.DEVNULL)
        tar.with_suffix(".tmp.tar").rename(tar)
    return tar, key


def _import(docker: list[str], tar: Path, tag: str, key: str, what: str,
            changes: list[str]) -> None:
    args = [*docker, "import", "--change", f'LABEL {LABEL}="{what}" {HASH_LABEL}={key}']
    for change in changes:
        args += ["--change", change]
    _run([*args, str(tar), tag], stdout=subprocess.DEVNULL)


def _uv_image(docker: list[str], tag: str, log) -> None:
    version = tag.rsplit(":", 1)[1]
    key = _digest(b"uv", version.encode())
    if _label(docker, tag) == key:
        return
    out = CACHE / "uv" / version
    binary = out / "uv"
    if not binary.exists():
        out.mkdir(parents=True, exist_ok=True)
        log(f"uv {version}: wheel from PyPI")
        _run(["python3", "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:",
              "--dest", str(out), f"uv=={version}"])
        wheel = next(out.glob("uv-*.whl"))
        with zipfile.ZipFile(wheel) as zf:
            member = next(n for n in zf.namelist() if n.endswith("/scripts/uv"))
            binary.write_bytes(zf.read(member))
        binary.chmod(0o755)
    tar = out / "image.tar"
    with tarfile.open(tar, "w") as tf:
        tf.add(binary, arcname="uv")
    _import(docker, tar, tag, key, f"uv {version} from its PyPI wheel (stand-in for {tag})",
            ["CMD [\"/uv\"]"])


def build(docker: list[str], compose: list[str], images: set[str], log) -> list[str]:
    """Make sure every name in ``images`` exists as a current stand-in; returns what was built."""
    built: list[str] = []
    # Both rootfs at once (mostly downloads and unpacking); cached as tarballs.
    with ThreadPoolExecutor(2) as pool:
        list(pool.map(lambda item: _rootfs(*item, log), ROOTFS.items()))
    # 1. the python base and the uv image are imported directly.
    infra_needed = False
    targets: dict[str, str] = {}
    for image in sorted(images):
        if image.startswith("python:"):
            tar, key = _rootfs("python", ROOTFS["python"], log)
            if _label(docker, image) != key:
                _import(docker, tar, image, key,
                        f"Debian bookworm python3.11 (stand-in for {image})",
                        [f"ENV {e}" for e in ["LANG=C.UTF-8", *CERT_ENV]] + ['CMD ["python3"]'])
                built.append(image)
        elif image.startswith("ghcr.io/astral-sh/uv:"):
            if _label(docker, image) != _digest(b"uv", image.rsplit(":", 1)[1].encode()):
                _uv_image(docker, image, log)
                built.append(image)
        else:
            target = next((t for p, t in TARGETS.items() if image.startswith(p)), None)
            if target is None:
                raise SystemExit(f"standins: no stand-in for {image}; add one to {HERE}")
            targets[image] = target
            infra_needed = True
    if not infra_needed:
        return built
    # 2. everything else: targets of standins/Dockerfile on the infra rootfs, built by compose.
    tar, rootfs_key = _rootfs("infra", ROOTFS["infra"], log)
    infra_tag = "artstore-standin/infra-rootfs:bookworm"
    if _label(docker, infra_tag) != rootfs_key:
        _import(docker, tar, infra_tag, rootfs_key, "Debian bookworm rootfs for stand-ins",
                [f"ENV {e}" for e in ["LANG=C.UTF-8", *CERT_ENV]])
    context = WORK / "standin-context"
    shutil.rmtree(context, ignore_errors=True)
    shutil.copytree(HERE, context)
    node = shutil.which("node")
    if "node" in targets.values():
        if not node:
            raise SystemExit("standins: the node stand-in needs Node on this machine")
        npm = Path(node).resolve().parent.parent / "lib" / "node_modules" / "npm"
        (context / "node").mkdir()
        shutil.copy2(Path(node).resolve(), context / "node" / "node")
        shutil.copytree(npm, context / "node" / "npm", symlinks=True)
    files = sorted(p for p in HERE.rglob("*") if p.is_file())
    key = _digest(rootfs_key.encode(), *[p.read_bytes() for p in files],
                  subprocess.run([node, "--version"], capture_output=True).stdout if node else b"")
    stale = {image: t for image, t in targets.items() if _label(docker, image) != key}
    if not stale:
        return built
    services = {
        re.sub(r"[^a-z0-9]+", "-", image.lower()).strip("-"): {
            "image": image,
            # Builds reach PyPI through the host's network: the private daemon does no NAT.
            "build": {"context": str(context), "target": target, "network": "host",
                      "labels": {LABEL: f"test-only stand-in for {image} ({target})",
                                 HASH_LABEL: key}}}
        for image, target in stale.items()}
    spec = WORK / "standins.compose.json"
    spec.write_text(json.dumps({"name": "artstore-standins", "services": services}, indent=1))
    log(f"building {len(stale)} stand-ins: {', '.join(sorted(stale))}")
    _run([*compose, "--progress", "quiet", "-f", str(spec), "build"])
    missing = [image for image in stale if _label(docker, image) != key]
    if missing:  # compose build can exit 0 when a build failed
        raise SystemExit(f"standins: not built: {missing}")
    return built + sorted(stale)
