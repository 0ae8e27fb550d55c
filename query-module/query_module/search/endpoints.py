"""``GET /api/v1/search`` (query string) and ``POST /api/v1/search`` (same fields as JSON)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from query_module.catalog.schemas import SearchPage
from query_module.deps import AppSettings, DbSession, Discovery, FilesRead
from query_module.search import service
from query_module.search.schemas import SearchParams

router = APIRouter(prefix="/api/v1", tags=["search"])


def _render(page: SearchPage) -> JSONResponse:
    # The list shape, plus "facets" only when they were asked for and "total_exact" only when
    # the count stopped early.
    exclude = {"facets", "facets_sample"} if page.facets is None else set()
    if page.total_exact:
        exclude.add("total_exact")
    return JSONResponse(page.model_dump(mode="json", exclude=exclude))


async def _search(session: DbSession, params: SearchParams, settings: AppSettings,
                  discovery: Discovery) -> SearchPage:
    return await service.search(session, params, discovery.current(),
                                exact_limit=settings.SEARCH_EXACT_TOTAL_LIMIT,
                                facet_sample=settings.SEARCH_FACET_SAMPLE)


@router.get("/search", response_model=SearchPage)
async def search_get(
    params: Annotated[SearchParams, Query()],
    principal: FilesRead,
    session: DbSession,
    settings: AppSettings,
    discovery: Discovery,
) -> JSONResponse:
    return _render(await _search(session, params, settings, discovery))


@router.post("/search", response_model=SearchPage)
async def search_post(
    params: SearchParams,
    principal: FilesRead,
    session: DbSession,
    settings: AppSettings,
    discovery: Discovery,
) -> JSONResponse:
    return _render(await _search(session, params, settings, discovery))
