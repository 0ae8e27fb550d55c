"""``/api/v1/info``, ``/api/v1/mode``, ``/api/v1/uploads/in-flight``, maintenance and the
integrity check of one file."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from storage_element import repository as repo
from storage_element.deps import Ctx, StorageAdmin, StorageRead
from storage_element.maintenance import consistency, fixity, rebuild
from storage_element.schemas import (
    ConsistencyReport,
    CopyVerified,
    FixityReport,
    FixitySummary,
    InFlightRead,
    InfoRead,
    ModeChange,
    ModeChanged,
    RebuildReport,
)

router = APIRouter(prefix="/api/v1", tags=["storage-element"])


async def info_document(ctx: Ctx) -> dict[str, Any]:
    used, count = await ctx.capacity.usage()
    s = ctx.settings
    return {
        "id": str(ctx.se_id), "name": s.SE_NAME, "mode": ctx.modes.mode,
        "backend": ctx.backend.kind, "capacity_bytes": s.SE_CAPACITY_BYTES,
        "used_bytes": used, "file_count": count, "priority": s.SE_PRIORITY,
        "retention_days": s.SE_RETENTION_DAYS, "version": ctx.version,
        "status": "ok" if ctx.relay.redis_ok else "degraded",
        "in_flight_uploads": ctx.capacity.in_flight,
        "reserved_bytes": ctx.capacity.reserved_bytes,
        "max_file_size": s.SE_MAX_FILE_SIZE,
    }


# The documents go out as built (JSONResponse); response_model documents them
# (storage_element/schemas.py says why).
@router.get("/info", response_model=InfoRead)
async def info(ctx: Ctx, principal: StorageRead) -> JSONResponse:
    return JSONResponse(await info_document(ctx))


@router.get("/uploads/in-flight", response_model=InFlightRead)
async def in_flight(ctx: Ctx, principal: StorageRead) -> JSONResponse:
    return JSONResponse({"in_flight_uploads": ctx.capacity.in_flight,
                         "reserved_bytes": ctx.capacity.reserved_bytes})


@router.post("/mode", response_model=ModeChanged)
async def change_mode(body: ModeChange, ctx: Ctx, principal: StorageAdmin) -> JSONResponse:
    previous = await ctx.modes.change(body.target_mode, body.reason)
    return JSONResponse({"previous_mode": previous, "mode": ctx.modes.mode,
                         "id": str(ctx.se_id)})


@router.post("/maintenance/rebuild", response_model=RebuildReport)
async def run_rebuild(
    ctx: Ctx, principal: StorageAdmin,
    mode: Annotated[Literal["full", "incremental"], Query()] = "full",
) -> JSONResponse:
    return JSONResponse(await rebuild.rebuild(ctx, full=mode == "full"))


@router.get("/maintenance/consistency", response_model=ConsistencyReport)
async def get_consistency(
    ctx: Ctx, principal: StorageAdmin, verify: bool = False
) -> JSONResponse:
    return JSONResponse(await consistency.report(ctx, verify_checksums=verify))


@router.get("/maintenance/fixity", response_model=FixitySummary)
async def fixity_summary(ctx: Ctx, principal: StorageRead) -> JSONResponse:
    """Verified / quarantined / never verified copies and the last check (the dashboard)."""
    async with ctx.sessionmaker() as session:
        summary = await repo.fixity_summary(session)
    last = summary["last_verified_at"]
    return JSONResponse(dict(summary, storage_element_id=str(ctx.se_id),
                             last_verified_at=last.isoformat() if last else None))


@router.post("/maintenance/fixity", response_model=FixityReport)
async def run_fixity(
    ctx: Ctx, principal: StorageAdmin,
    limit: Annotated[int, Query(ge=1, le=100000)] = 1000,
    all: bool = False,
) -> JSONResponse:
    return JSONResponse(await fixity.scrub(ctx, limit=limit, force=all, rate_limited=False))


@router.post("/files/{file_id}/verify", response_model=CopyVerified)
async def verify_file(file_id: uuid.UUID, ctx: Ctx, principal: StorageAdmin) -> JSONResponse:
    """Check integrity now: re-hash this copy and record the outcome as the scrubber does
    (a mismatch quarantines it). ``outcome``: ok, mismatch, missing, unreadable or error."""
    return JSONResponse(await fixity.verify_now(ctx, file_id))
