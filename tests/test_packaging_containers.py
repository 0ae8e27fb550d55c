"""The container stage (`make test-containers`) without a daemon: every image our files pull has a
stand-in, and the stage cannot be skipped in CI."""

from __future__ import annotations

import importlib.util
import os
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def _standins():
    spec = importlib.util.spec_from_file_location(
        "standins", REPO / "scripts" / "containers" / "standins.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_external_image_has_a_stand_in():
    standins = _standins()
    images = standins.external_images(
        [REPO / "docker-compose.yml", REPO / "docker-compose.monitoring.yml"],
        sorted([*REPO.glob("*/Dockerfile"), *REPO.glob("docker/*.Dockerfile")]))
    assert {"python:3.11-slim-bookworm", "postgres:16-alpine"} <= images
    direct = ("python:", "ghcr.io/astral-sh/uv:")
    for image in images:
        assert image.startswith(direct) or any(image.startswith(p) for p in standins.TARGETS), (
            f"{image} has no stand-in: add a target to scripts/containers/standins/Dockerfile")
    targets = set(standins.TARGETS.values())
    dockerfile = (REPO / "scripts/containers/standins/Dockerfile").read_text()
    for target in targets:
        assert f" AS {target}\n" in dockerfile, target


def test_the_stage_refuses_to_be_skipped_in_ci():
    env = {**os.environ, "CI": "true", "ARTSTORE_SKIP_CONTAINERS": "1"}
    result = subprocess.run(["bash", str(REPO / "scripts" / "test-containers.sh")], env=env,
                            capture_output=True, text=True, check=False)
    assert result.returncode != 0 and "must run in CI" in result.stderr
    env["CI"] = ""
    result = subprocess.run(["bash", str(REPO / "scripts" / "test-containers.sh")], env=env,
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0 and "skipped" in result.stdout
