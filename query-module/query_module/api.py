"""All routers of the query module."""

from __future__ import annotations

from fastapi import APIRouter

from query_module.files.archive import router as archive_router
from query_module.files.endpoints import router as files_router
from query_module.reindex.endpoints import router as reindex_router
from query_module.search.endpoints import router as search_router

api_router = APIRouter()
api_router.include_router(search_router)
api_router.include_router(archive_router)
api_router.include_router(files_router)
api_router.include_router(reindex_router)
