"""Every domain's router, mounted under /api/v1. Add a domain by appending to ROUTERS."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI

from admin_module.audit.endpoints import router as audit_router

API_PREFIX = "/api/v1"

ROUTERS: list[APIRouter] = [
    audit_router,
]


def include_routers(app: FastAPI) -> None:
    for router in ROUTERS:
        app.include_router(router, prefix=API_PREFIX)
