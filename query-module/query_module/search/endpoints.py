"""``GET /api/v1/search`` (query string) and ``POST /api/v1/search`` (same fields as JSON)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from artstore_common.auth import Principal, require_scopes
from query_module.catalog.schemas import SearchPage
from query_module.db import DbSession
from query_module.search import service
from query_module.search.schemas import SearchParams

router = APIRouter(prefix="/api/v1", tags=["search"])

FilesRead = Annotated[Principal, Depends(require_scopes("files:read"))]


@router.get("/search", response_model=SearchPage, response_model_exclude_none=False)
async def search_get(
    params: Annotated[SearchParams, Query()],
    principal: FilesRead,
    session: DbSession,
    request: Request,
) -> SearchPage:
    return await service.search(session, params, request.app.state.discovery.current())


@router.post("/search", response_model=SearchPage)
async def search_post(
    params: SearchParams,
    principal: FilesRead,
    session: DbSession,
    request: Request,
) -> SearchPage:
    return await service.search(session, params, request.app.state.discovery.current())
