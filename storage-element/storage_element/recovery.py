"""Startup recovery: finish or undo every pending WAL record before the first request.

create  → rolled forward when data and sidecar are complete and the stored bytes hash to
          what the sidecar says; otherwise everything written is removed.
update  → rolled forward when the sidecar on storage is the new one; otherwise rolled back.
delete  → always completed (the intent was logged before anything was removed).
"""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any

import anyio
import structlog

from storage_element import naming, sidecar
from storage_element import repository as repo
from storage_element.backends import StorageBackend, chunked
from storage_element.context import SEContext
from storage_element.events import build_event
from storage_element.files.service import complete_delete
from storage_element.models import WalRow

log = structlog.get_logger(__name__)


def _complete_create(backend: StorageBackend, rec: WalRow) -> dict[str, Any] | None:
    path = rec.storage_path
    if not path or not naming.is_safe_relpath(path):
        return None
    raw = backend.get_bytes(naming.sidecar_path(path))
    size = backend.size(path)
    if raw is None or size is None:
        return None
    try:
        attrs = sidecar.decode(raw)
    except (ValueError, UnicodeError):
        return None
    if str(attrs["file_id"]) != str(rec.file_id) or size != sidecar.stored_size(attrs):
        return None
    digest = hashlib.sha256()
    for piece in chunked(backend.open_reader(path), 1024 * 1024):
        digest.update(piece)
    return attrs if digest.hexdigest() == sidecar.stored_sha256(attrs) else None


def _remove_create(backend: StorageBackend, path: str | None) -> None:
    if not path or not naming.is_safe_relpath(path):
        return
    backend.delete(naming.sidecar_path(path))
    backend.delete(path)
    backend.remove_temps(path)


async def _recover_create(ctx: SEContext, rec: WalRow) -> str:
    attrs = await anyio.to_thread.run_sync(_complete_create, ctx.backend, rec)
    async with ctx.sessionmaker() as session:
        if attrs is not None:
            await repo.upsert_file(session, attrs, rec.storage_path)
            await repo.add_outbox(session,
                                  build_event("file.created", rec.file_id, ctx.se_id, attrs))
            await repo.wal_finish(session, rec.id, "committed")
            await session.commit()
            return "rolled_forward"
    await anyio.to_thread.run_sync(_remove_create, ctx.backend, rec.storage_path)
    async with ctx.sessionmaker() as session:
        await repo.wal_finish(session, rec.id, "rolled_back")
        await session.commit()
    return "rolled_back"


async def _recover_update(ctx: SEContext, rec: WalRow) -> str:
    path = rec.storage_path
    assert path and rec.file_id
    new = rec.payload["sidecar"]
    raw = await anyio.to_thread.run_sync(ctx.backend.get_bytes, naming.sidecar_path(path))
    await anyio.to_thread.run_sync(ctx.backend.remove_temps, path)
    on_storage = None
    if raw is not None:
        try:
            on_storage = sidecar.decode(raw)
        except (ValueError, UnicodeError):
            on_storage = None
    async with ctx.sessionmaker() as session:
        if on_storage == new:
            await repo.upsert_file(session, new, path)
            await repo.add_outbox(session, build_event("file.updated", rec.file_id, ctx.se_id, new))
            outcome = "rolled_forward"
        else:
            row = await repo.get_file(session, rec.file_id)
            if row is not None and on_storage != row.attrs:
                await anyio.to_thread.run_sync(
                    ctx.backend.put_bytes, naming.sidecar_path(path), sidecar.encode(row.attrs))
            outcome = "rolled_back"
        await repo.wal_finish(session, rec.id, "committed" if outcome == "rolled_forward"
                              else "rolled_back")
        await session.commit()
    return outcome


async def _recover_mode(ctx: SEContext, rec: WalRow) -> str:
    done = ctx.modes.state is not None and ctx.modes.mode == rec.payload.get("to")
    async with ctx.sessionmaker() as session:
        await repo.wal_finish(session, rec.id, "committed" if done else "rolled_back")
        await session.commit()
    return "rolled_forward" if done else "rolled_back"


async def recover(ctx: SEContext) -> dict[str, int]:
    async with ctx.sessionmaker() as session:
        pending = await repo.wal_pending(session)
    summary: dict[str, int] = {}
    for rec in pending:
        if rec.op == "create":
            outcome = await _recover_create(ctx, rec)
        elif rec.op == "update":
            outcome = await _recover_update(ctx, rec)
        elif rec.op == "delete":
            assert rec.file_id and rec.storage_path
            await complete_delete(ctx, rec.id, rec.file_id, rec.storage_path,
                                  rec.payload.get("sidecar") or {})
            outcome = "rolled_forward"
        else:
            outcome = await _recover_mode(ctx, rec)
        key = f"{rec.op}_{outcome}"
        summary[key] = summary.get(key, 0) + 1
        log.info("wal.recovered", wal_id=rec.id, op=rec.op, file_id=str(rec.file_id),
                 outcome=outcome)
    removed = await anyio.to_thread.run_sync(ctx.backend.cleanup_all_temps)
    if removed:
        summary["temps_removed"] = removed
    async with ctx.sessionmaker() as session:
        purged = await repo.wal_purge(
            session, naming.now_utc() - timedelta(hours=ctx.settings.SE_WAL_RETENTION_HOURS))
        await session.commit()
    if purged:
        summary["wal_purged"] = purged
    log.info("wal.recovery_done", pending=len(pending), **summary)
    return summary
