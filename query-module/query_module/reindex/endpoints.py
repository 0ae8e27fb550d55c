"""``POST /api/v1/admin/reindex`` (background run, 202) and its status."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from query_module.deps import StorageAdmin
from query_module.reindex.deps import Reindex

router = APIRouter(prefix="/api/v1/admin/reindex", tags=["admin"])


@router.post("", status_code=202)
async def start_reindex(principal: StorageAdmin, reindexer: Reindex) -> JSONResponse:
    summary = await reindexer.start()
    return JSONResponse(summary, status_code=202)


@router.get("/status")
async def reindex_status(principal: StorageAdmin, reindexer: Reindex) -> dict[str, Any]:
    return await reindexer.status()
