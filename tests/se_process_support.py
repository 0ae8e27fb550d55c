"""Helpers for tests that run the storage element as a real process."""

from __future__ import annotations

import base64
import json
import uuid
from pathlib import Path
from typing import Any

import httpx


def se_env(
    backend: str, tmp_path: Path, database_url: str, stack_env: dict[str, str],
    public_key_file: str, **overrides: Any,
) -> dict[str, str]:
    redis_url = stack_env["REDIS_URL"].rsplit("/", 1)[0] + "/3"
    env = {
        "SE_BACKEND": backend,
        "SE_NAME": f"se-{backend}",
        "SE_MODE": "edit",
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "JWT_PUBLIC_KEY_FILE": public_key_file,
        "SE_DATA_DIR": str(tmp_path / "volume"),
        "SE_S3_ENDPOINT_URL": stack_env["S3_ENDPOINT_URL"],
        "SE_S3_ACCESS_KEY": stack_env.get("S3_ACCESS_KEY", "testing"),
        "SE_S3_SECRET_KEY": stack_env.get("S3_SECRET_KEY", "testing"),
        "SE_S3_BUCKET": f"se-{uuid.uuid4().hex[:12]}",
        "SE_S3_PREFIX": "volume",
        "SE_EVENTS_STREAM": f"artstore:file-events:test-{uuid.uuid4().hex[:8]}",
        "SE_OUTBOX_POLL_SECONDS": "0.2",
        "SE_FIXITY_INTERVAL_SECONDS": "0",
        "SE_RECONCILE_INTERVAL_SECONDS": "0",
        "LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
    }
    env.update({k: str(v) for k, v in overrides.items()})
    return env


def attrs_header(**fields: Any) -> str:
    fields.setdefault("original_filename", "doc.bin")
    return base64.urlsafe_b64encode(json.dumps(fields, ensure_ascii=False).encode()).decode()


def list_all(client: httpx.Client, base: str, headers: dict[str, str]) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 500}
        if cursor:
            params["cursor"] = cursor
        page = client.get(f"{base}/api/v1/files", headers=headers, params=params)
        page.raise_for_status()
        body = page.json()
        items += body["items"]
        cursor = body["next_cursor"]
        if not cursor:
            return items


def storage_sidecars(env: dict[str, str]) -> tuple[dict[str, dict], set[str], list[str]]:
    """Read the volume directly: sidecars by file id, data object paths, leftover temps."""
    sidecars: dict[str, dict] = {}
    data: set[str] = set()
    temps: list[str] = []
    if env["SE_BACKEND"] == "local":
        root = Path(env["SE_DATA_DIR"])
        entries = [(p.relative_to(root).as_posix(), p) for p in root.rglob("*") if p.is_file()]
        for rel, path in entries:
            if rel == ".se-state.json":
                continue
            if path.name.startswith("."):
                temps.append(rel)
            elif rel.endswith(".attr.json"):
                attrs = json.loads(path.read_bytes())
                sidecars[attrs["file_id"]] = attrs
            else:
                data.add(rel)
        return sidecars, data, temps
    from minio import Minio

    endpoint = env["SE_S3_ENDPOINT_URL"].split("://", 1)[1]
    client = Minio(endpoint, access_key=env["SE_S3_ACCESS_KEY"],
                   secret_key=env["SE_S3_SECRET_KEY"], secure=False)
    prefix = env["SE_S3_PREFIX"] + "/"
    for obj in client.list_objects(env["SE_S3_BUCKET"], prefix=prefix, recursive=True):
        rel = obj.object_name[len(prefix):]
        if rel == ".se-state.json":
            continue
        if rel.endswith(".attr.json"):
            resp = client.get_object(env["SE_S3_BUCKET"], obj.object_name)
            attrs = json.loads(resp.read())
            resp.close()
            resp.release_conn()
            sidecars[attrs["file_id"]] = attrs
        else:
            data.add(rel)
    return sidecars, data, temps
