"""Rebuild the index from the sidecars alone (full: mirror exactly; incremental: add and
refresh what differs). Files with a pending WAL record are left to their writer."""

from __future__ import annotations

import uuid
from typing import Any

import anyio
import structlog

from storage_element import repository as repo
from storage_element.context import SEContext
from storage_element.maintenance.scan import scan

log = structlog.get_logger(__name__)


async def rebuild(ctx: SEContext, *, full: bool) -> dict[str, Any]:
    async with ctx.sessionmaker() as session:
        pending = await repo.wal_pending_file_ids(session)
    found = await anyio.to_thread.run_sync(scan, ctx.backend)
    async with ctx.sessionmaker() as session:
        indexed = {row.file_id: row.attrs for row in await repo.all_files(session)}
        seen: set[uuid.UUID] = set()
        upserted = skipped = 0
        for path, attrs in found.sidecars.items():
            file_id = uuid.UUID(str(attrs["file_id"]))
            if file_id in pending:
                continue
            if path not in found.data:
                skipped += 1  # sidecar without data: reported by the consistency check
                continue
            seen.add(file_id)
            if full or indexed.get(file_id) != attrs:
                await repo.upsert_file(session, attrs, path)
                upserted += 1
        removed = 0
        if full:
            stale = [fid for fid in indexed if fid not in seen and fid not in pending]
            if stale:
                await repo.delete_files(session, stale)
            removed = len(stale)
        await session.commit()
    result = {"mode": "full" if full else "incremental", "sidecars": len(found.sidecars),
              "upserted": upserted, "removed": removed, "skipped_orphan_sidecars": skipped,
              "unreadable_sidecars": len(found.unreadable)}
    log.info("index.rebuilt", **result)
    return result
