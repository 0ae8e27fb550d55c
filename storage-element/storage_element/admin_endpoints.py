"""``/api/v1/info``, ``/api/v1/mode``, ``/api/v1/uploads/in-flight`` and maintenance."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from storage_element.deps import Ctx, StorageAdmin, StorageRead
from storage_element.maintenance import consistency, fixity, rebuild
from storage_element.schemas import (
    ConsistencyReport,
    FixityReport,
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


@router.post("/maintenance/fixity", response_model=FixityReport)
async def run_fixity(
    ctx: Ctx, principal: StorageAdmin,
    limit: Annotated[int, Query(ge=1, le=100000)] = 1000,
    all: bool = False,
) -> JSONResponse:
    return JSONResponse(await fixity.scrub(ctx, limit=limit, force=all, rate_limited=False))
