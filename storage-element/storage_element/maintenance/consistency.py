"""Consistency report: storage vs sidecars vs index, and recorded fixity failures."""

from __future__ import annotations

import uuid
from typing import Any

import anyio

from storage_element import repository as repo
from storage_element import sidecar
from storage_element.context import SEContext
from storage_element.maintenance.fixity import verify_one
from storage_element.maintenance.scan import scan

LIMIT = 1000


async def report(ctx: SEContext, *, verify_checksums: bool = False) -> dict[str, Any]:
    async with ctx.sessionmaker() as session:
        pending = await repo.wal_pending_file_ids(session)
        rows = {row.file_id: row for row in await repo.all_files(session)}
    found = await anyio.to_thread.run_sync(scan, ctx.backend)
    pending_names = {str(fid) for fid in pending}

    def busy(path: str) -> bool:
        return any(name in path for name in pending_names)

    issues: dict[str, list[Any]] = {k: [] for k in (
        "orphan_data", "orphan_sidecars", "unreadable_sidecars", "missing_in_index",
        "missing_on_storage", "index_drift", "size_mismatch", "checksum_mismatch")}
    issues["unreadable_sidecars"] = [p for p in found.unreadable if not busy(p)]
    on_storage: set[uuid.UUID] = set()
    for path in found.data:
        if path not in found.sidecars and not busy(path):
            issues["orphan_data"].append(path)
    for path, attrs in found.sidecars.items():
        file_id = uuid.UUID(str(attrs["file_id"]))
        if file_id in pending:
            continue
        on_storage.add(file_id)
        if path not in found.data:
            issues["orphan_sidecars"].append(path)
            continue
        if found.data[path] != sidecar.stored_size(attrs):
            issues["size_mismatch"].append({"file_id": str(file_id), "path": path,
                                            "stored": found.data[path],
                                            "expected": sidecar.stored_size(attrs)})
        row = rows.get(file_id)
        if row is None:
            issues["missing_in_index"].append(str(file_id))
        elif row.attrs != attrs or row.storage_path != path:
            issues["index_drift"].append(str(file_id))
    for file_id, row in rows.items():
        if file_id not in on_storage and file_id not in pending:
            issues["missing_on_storage"].append(str(file_id))
        if row.fixity_status in ("mismatch", "unreadable", "missing"):
            issues["checksum_mismatch"].append(
                {"file_id": str(file_id), "outcome": row.fixity_status,
                 "quarantined_at": row.quarantined_at.isoformat() if row.quarantined_at else None})
    if verify_checksums:
        flagged = {item["file_id"] for item in issues["checksum_mismatch"]}
        for file_id, row in rows.items():
            if str(file_id) in flagged or file_id not in on_storage:
                continue
            outcome = await anyio.to_thread.run_sync(verify_one, ctx.backend, row.storage_path,
                                                     row.attrs, 0)
            if outcome not in ("ok", "error"):
                issues["checksum_mismatch"].append({"file_id": str(file_id), "outcome": outcome})
    counts = {k: len(v) for k, v in issues.items()}
    return {"ok": not any(counts.values()), "counts": counts,
            "files_indexed": len(rows), "files_on_storage": len(on_storage),
            "pending_operations": len(pending),
            "issues": {k: v[:LIMIT] for k, v in issues.items()}}
