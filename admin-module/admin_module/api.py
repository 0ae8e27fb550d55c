"""Every domain's router. Add a domain by appending to ROUTERS (mounted under /api/v1);
ROOT_ROUTERS are mounted at the root (/.well-known/...)."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI

from admin_module.admin_users.auth_endpoints import router as admin_auth_router
from admin_module.admin_users.endpoints import router as admin_users_router
from admin_module.audit.endpoints import router as audit_router
from admin_module.auth.endpoints import router as auth_router
from admin_module.auth.revocations import router as revocations_router
from admin_module.copies.policy import router as copy_policies_router
from admin_module.copies.repair import lost_router as se_lost_router
from admin_module.copies.repair import router as copies_router
from admin_module.dashboard.endpoints import router as dashboard_router
from admin_module.disposition.endpoints import router as disposition_router
from admin_module.files.endpoints import router as files_router  # control plane
from admin_module.keys.endpoints import jwks_router, well_known_router
from admin_module.keys.endpoints import router as jwt_keys_router
from admin_module.records.endpoints import retention_router as retain_until_router
from admin_module.records.endpoints import router as legal_holds_router
from admin_module.retention.endpoints import router as retention_router  # control plane
from admin_module.sagas.endpoints import router as sagas_router
from admin_module.sagas.mode_endpoints import router as mode_router  # control plane
from admin_module.saved_searches.endpoints import router as saved_searches_router  # control plane
from admin_module.service_accounts.endpoints import router as service_accounts_router
from admin_module.storage_elements.endpoints import (
    router as storage_elements_router,  # control plane
)

API_PREFIX = "/api/v1"

ROUTERS: list[APIRouter] = [
    auth_router,
    revocations_router,
    jwks_router,
    admin_auth_router,
    admin_users_router,
    service_accounts_router,
    jwt_keys_router,
    audit_router,
    storage_elements_router,
    mode_router,
    sagas_router,
    retention_router,
    files_router,
    copy_policies_router,
    copies_router,
    se_lost_router,
    legal_holds_router,
    retain_until_router,
    disposition_router,
    dashboard_router,
    saved_searches_router,
]

ROOT_ROUTERS: list[APIRouter] = [
    well_known_router,
]


def include_routers(app: FastAPI) -> None:
    for router in ROUTERS:
        app.include_router(router, prefix=API_PREFIX)
    for router in ROOT_ROUTERS:
        app.include_router(router)
