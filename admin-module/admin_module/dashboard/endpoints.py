"""``/api/v1/dashboard/*`` (``storage:read``): capacity over time per SE, fixity counts,
ingest/download/error rates, Grafana links. Figures, never file names or accounts."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from admin_module.dashboard import service
from admin_module.deps import AppSettings, DbSession
from artstore_common.auth import StorageRead

router = APIRouter(prefix="/dashboard", tags=["dashboard"])

Hours = Annotated[int, Query(ge=1, le=24 * 90)]


@router.get("/capacity")
async def capacity(principal: StorageRead, session: DbSession, hours: Hours = 24 * 14
                   ) -> dict[str, Any]:
    return await service.capacity(session, hours)


@router.get("/fixity")
async def fixity(principal: StorageRead, session: DbSession) -> dict[str, Any]:
    return await service.fixity(session)


@router.get("/activity")
async def activity(principal: StorageRead, session: DbSession, hours: Hours = 24
                   ) -> dict[str, Any]:
    return await service.activity(session, hours)


@router.get("/links")
async def links(principal: StorageRead, settings: AppSettings) -> dict[str, Any]:
    return service.links(settings.GRAFANA_URL)
