"""The fixity scrubber: re-hash stored files at a bounded rate, record ``last_verified_at``
and the outcome, quarantine mismatches (downloads of a quarantined file are refused).
``verify_now`` does the same for one file on request ("check integrity now")."""

from __future__ import annotations

import hashlib
import time
import uuid
from datetime import timedelta
from typing import Any

import anyio
import structlog

from storage_element import repository as repo
from storage_element.backends import StorageBackend
from storage_element.codec import DECODE_ERRORS
from storage_element.context import SEContext
from storage_element.errors import FileArchived
from storage_element.files.content import original_bytes, quarantine
from storage_element.files.service import load
from storage_element.metrics import FIXITY_RESULTS
from storage_element.naming import now_utc

log = structlog.get_logger(__name__)


def verify_one(backend: StorageBackend, path: str, attrs: dict[str, Any], rate: int) -> str:
    """``ok``, ``mismatch``, ``missing``, ``unreadable`` (does not decode) or ``error`` (I/O
    trouble: not the file's fault, not quarantined); sleeps to stay under ``rate`` B/s."""
    if backend.size(path) is None:
        return "missing"
    digest = hashlib.sha256()
    size = 0
    started = time.monotonic()
    try:
        for piece in original_bytes(backend, path, attrs, 0, None, 1024 * 1024):
            digest.update(piece)
            size += len(piece)
            if rate > 0:
                ahead = size / rate - (time.monotonic() - started)
                if ahead > 0:
                    time.sleep(ahead)
    except DECODE_ERRORS:
        return "unreadable"
    except Exception as exc:
        log.warning("fixity.read_failed", path=path, error=str(exc))
        return "error"
    return "ok" if digest.hexdigest() == attrs["sha256"] and size == attrs["size"] else "mismatch"


async def scrub(ctx: SEContext, *, limit: int, force: bool, rate_limited: bool) -> dict[str, Any]:
    if ctx.modes.mode == "ar":
        return {"checked": 0, "skipped": "archived"}
    reverify = timedelta(hours=ctx.settings.SE_FIXITY_REVERIFY_HOURS)
    before = now_utc() if force else now_utc() - reverify
    async with ctx.sessionmaker() as session:
        rows = await repo.fixity_candidates(session, before, limit)
    rate = ctx.settings.SE_FIXITY_RATE_BYTES_PER_SECOND if rate_limited else 0
    outcomes: dict[str, int] = {"ok": 0, "mismatch": 0, "missing": 0, "unreadable": 0,
                                "error": 0}
    quarantined: list[str] = []
    for row in rows:
        if row.file_id in ctx.busy:
            continue
        outcome = await anyio.to_thread.run_sync(
            verify_one, ctx.backend, row.storage_path, row.attrs, rate)
        outcomes[outcome] += 1
        if await _record(ctx, row.file_id, outcome, "scrubber"):
            quarantined.append(str(row.file_id))
    result = {"checked": len(rows), **outcomes, "quarantined": quarantined}
    log.info("fixity.pass", **{k: v for k, v in result.items() if k != "quarantined"})
    return result


async def _record(ctx: SEContext, file_id: uuid.UUID, outcome: str, source: str) -> bool:
    """Store the outcome; True when the copy was quarantined. An I/O ``error`` is not the
    file's fault: nothing is recorded."""
    if outcome == "error":
        return False
    if outcome == "ok":
        FIXITY_RESULTS.labels(source, "ok").inc()
        async with ctx.sessionmaker() as session:
            await repo.mark_fixity(session, file_id, "ok", quarantine=False)
            await session.commit()
        return False
    await quarantine(ctx, file_id, outcome, source)
    return True


async def verify_now(ctx: SEContext, file_id: uuid.UUID) -> dict[str, Any]:
    """Re-hash one file now, at full speed, and record it exactly as the scrubber does."""
    if ctx.modes.mode == "ar":
        raise FileArchived(details={"file_id": str(file_id)})
    with ctx.claim(file_id):  # not while an upload, change or repair of it runs
        row = await load(ctx, file_id)
        outcome = await anyio.to_thread.run_sync(
            verify_one, ctx.backend, row.storage_path, row.attrs, 0)
        await _record(ctx, file_id, outcome, "manual")
        row = await load(ctx, file_id)
    log.info("fixity.checked", file_id=str(file_id), outcome=outcome)
    return {"file_id": str(file_id), "storage_element_id": str(ctx.se_id), "outcome": outcome,
            "fixity_status": row.fixity_status, "quarantined": row.quarantined_at is not None,
            "last_verified_at": row.last_verified_at.isoformat() if row.last_verified_at
            else None}
