"""``POST /api/v1/admin/reindex`` (background run, 202) and its status."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from artstore_common.auth import StorageAdmin

router = APIRouter(prefix="/api/v1/admin/reindex", tags=["admin"])


@router.post("", status_code=202)
async def start_reindex(principal: StorageAdmin, request: Request) -> JSONResponse:
    summary = await request.app.state.reindexer.start()
    return JSONResponse(summary, status_code=202)


@router.get("/status")
async def reindex_status(principal: StorageAdmin, request: Request) -> dict[str, Any]:
    return await request.app.state.reindexer.status()
